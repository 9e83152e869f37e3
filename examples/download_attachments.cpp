// Fetch the latest message(s) of INBOX over IMAP and save their attachments, streaming:
// the BODY[] literal goes from the socket straight into the MIME parser (a byte_sink), and
// the parser's events write each attachment's decoded bytes to a file. No message or
// attachment is ever held whole in memory.
//
//   eval "$(scripts/sandbox env)"; example_download_attachments [DIR]   (default: attachments)
//   MAILPROTO_EXAMPLE_LAST=N fetches the newest N messages (default 1).
#include "sandbox_env.hpp"

#include <mailproto/imap/client.hpp>
#include <mailproto/mime/parser.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;
using namespace mailproto;

// The sender chose the file name: keep only its last component, replace control characters,
// drop leading dots (no hidden files, no ".."), and never overwrite an existing file.
fs::path safe_path(const fs::path& dir, std::string name) {
  name = name.substr(name.find_last_of("/\\") + 1);
  for (char& c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  name = name.substr(std::min(name.find_first_not_of('.'), name.size()));
  fs::path p = dir / (name.empty() ? "attachment" : name);
  for (int i = 1; fs::exists(p); ++i) p = dir / (std::to_string(i) + "-" + name);
  return p;
}

// Parser events -> files: an attachment leaf opens a file and its decoded body chunks fill it.
struct saver : mime::parser_handler {
  fs::path dir;
  std::ofstream out;
  void on_headers_end(const mime::entity_head& e) override {
    if (!e.is_attachment()) return;
    auto path = safe_path(dir, e.filename);
    out.open(path, std::ios::binary);
    std::cout << "saving " << path.string() << " (" << e.content_type.type << "/"
              << e.content_type.subtype << ")" << std::endl;
  }
  void on_body_chunk(const mime::entity_head&, std::string_view bytes) override {
    if (out.is_open()) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  void on_entity_end(mime::entity_head&) override { out.close(); }
};

int main(int argc, char** argv) try {
  const fs::path dir = argc > 1 ? argv[1] : "attachments";
  fs::create_directories(dir);
  const char* last_env = std::getenv("MAILPROTO_EXAMPLE_LAST");
  const std::uint32_t last = last_env ? static_cast<std::uint32_t>(std::atoi(last_env)) : 1;

  imap::client im;
  imap::client_options o;
  o.net = {.host = example::env("MAILPROTO_HOST"),
           .port = example::port("MAILPROTO_IMAPS_PORT"),
           .tls = net::tls_mode::implicit};
  o.net.tls_opts.cafile = example::env("MAILPROTO_CAFILE");
  im.connect(o);
  im.login(example::env("MAILPROTO_BOB_USER"), example::env("MAILPROTO_BOB_PASSWORD"));
  const std::uint32_t n = im.examine("INBOX").exists;  // read-only: nothing becomes \Seen
  for (std::uint32_t seq = n > last ? n - last + 1 : 1; seq <= n; ++seq) {
    saver handler;
    handler.dir = dir;
    mime::parser parser(handler);  // a byte_sink; the fetch calls parser.finish() at the end
    imap::fetch_options fo{.body_sink = &parser};
    std::cout << "message " << seq << std::endl;
    im.fetch(imap::sequence_set::single(seq), imap::fetch_items{}.body_section(""), fo);
  }
  im.logout();
  return n > 0 ? 0 : 1;
} catch (const std::exception& e) {  // mailproto::error: the code and the server's words
  std::cerr << "download_attachments: " << e.what() << "\n";
  return 1;
}
