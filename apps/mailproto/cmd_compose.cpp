// `mailproto compose`: build a message with mime::message_builder and write it to stdout.
//
// The logic (compose_cmd::compose) does not depend on the CLI registry, so the MIME unit
// tests can include this file with MAILPROTO_COMPOSE_NO_REGISTER defined and drive it.
#include <mailproto/io.hpp>
#include <mailproto/mime/message_builder.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace compose_cmd {

constexpr const char* usage =
    "usage: mailproto compose --from ADDR --to ADDR --subject TEXT [options]\n"
    "\n"
    "Builds a message (RFC 5322, MIME RFC 2045-2047, RFC 2231 file names) and writes it to\n"
    "stdout with CRLF line ends. Nothing is written when an input is invalid.\n"
    "\n"
    "  --from ADDR         the author (From)\n"
    "  --to ADDR           a recipient (To); may repeat\n"
    "  --cc ADDR           a copy recipient (Cc); may repeat\n"
    "  --bcc ADDR          a blind copy recipient: not written into the message; may repeat\n"
    "  --reply-to ADDR     where replies go (Reply-To)\n"
    "  --subject TEXT      the subject (RFC 2047-encoded when not ASCII)\n"
    "  --text FILE|-       the plain-text body (- reads stdin, once)\n"
    "  --html FILE|-       the HTML body (with --text: multipart/alternative)\n"
    "  --attach FILE       attach FILE (media type from its name, streamed); may repeat\n"
    "  --inline FILE       an inline part referred to from the html as cid:<file name>\n"
    "  --header 'N: v'     an extra header field; may repeat\n"
    "  --8bitmime          allow 8bit bodies (RFC 6152)\n"
    "  --smtputf8          allow UTF-8 addresses and raw UTF-8 headers (RFC 6531)\n"
    "\n"
    "The output is a message, not data: --json is refused.\n";

struct result {
  int status = 0;     ///< 0 ok, 1 failed while writing, 2 bad usage or input
  std::string error;  ///< one line, without the "mailproto: " prefix
};

namespace detail {

inline bool read_all(const std::string& path, std::istream& stdin_stream, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(stdin_stream), std::istreambuf_iterator<char>());
    return !stdin_stream.bad();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return !f.bad();
}

inline std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace detail

/// Parse `args`, build the message, and write it to `out` only if everything is valid.
/// `in` is read for "--text -" / "--html -".
inline result compose(const std::vector<std::string>& args, std::istream& in,
                      mailproto::byte_sink& out) {
  using mailproto::mime::message_builder;
  mailproto::mime::build_options opts;
  for (const auto& a : args) {
    if (a == "--8bitmime") opts.eight_bit = true;
    if (a == "--smtputf8") opts.smtputf8 = true;
  }
  message_builder b(opts);
  bool have_from = false, have_to = false, have_subject = false;
  bool stdin_used = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& opt = args[i];
    if (opt == "--8bitmime" || opt == "--smtputf8") continue;
    static const char* const with_value[] = {"--from",     "--to",      "--cc",    "--bcc",
                                             "--reply-to", "--subject", "--text",  "--html",
                                             "--attach",   "--inline",  "--header"};
    bool known = false;
    for (const char* w : with_value) known = known || opt == w;
    if (!known) return {2, "compose: unknown option \"" + opt + "\" (see mailproto help compose)"};
    if (i + 1 >= args.size()) return {2, "compose: " + opt + " needs a value"};
    const std::string& v = args[++i];
    if (opt == "--from") {
      b.from(v);
      have_from = true;
    } else if (opt == "--to") {
      b.to(v);
      have_to = true;
    } else if (opt == "--cc") {
      b.cc(v);
    } else if (opt == "--bcc") {
      b.bcc(v);
    } else if (opt == "--reply-to") {
      b.reply_to(v);
    } else if (opt == "--subject") {
      b.subject(v);
      have_subject = true;
    } else if (opt == "--text" || opt == "--html") {
      if (v == "-") {
        if (stdin_used) return {2, "compose: standard input can be read only once"};
        stdin_used = true;
      }
      std::string body;
      if (!detail::read_all(v, in, body)) return {2, "compose: cannot read \"" + v + "\""};
      if (opt == "--text")
        b.text(body);
      else
        b.html(body);
    } else if (opt == "--attach") {
      b.attach_file(v);
    } else if (opt == "--inline") {
      b.inline_file(detail::base_name(v), v);
    } else if (opt == "--header") {
      const auto colon = v.find(':');
      if (colon == std::string::npos) return {2, "compose: --header wants 'Name: value'"};
      std::string value = v.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.erase(0, 1);
      b.header(v.substr(0, colon), value);
    }
  }
  if (!have_from) return {2, "compose: --from is required"};
  if (!have_to) return {2, "compose: at least one --to is required"};
  if (!have_subject) return {2, "compose: --subject is required"};
  // Everything that can fail before writing fails here, so a bad input writes nothing.
  if (const auto ec = b.validate()) return {2, "compose: " + b.error_message()};
  std::error_code ec;
  b.write_to(out, ec);
  if (ec) return {1, "compose: " + (b.error_message().empty() ? ec.message() : b.error_message())};
  return {};
}

}  // namespace compose_cmd

#ifndef MAILPROTO_COMPOSE_NO_REGISTER
#include "cli.hpp"

namespace {

class stdout_sink final : public mailproto::byte_sink {
 public:
  void write(std::string_view bytes, std::error_code& ec) override {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size())
      ec = std::make_error_code(std::errc::io_error);
  }
  void finish(std::error_code& ec) override {
    if (std::fflush(stdout) != 0) ec = std::make_error_code(std::errc::io_error);
  }
};

int run_compose(cli::context& ctx) {
  if (ctx.opts.json)
    return cli::fail(2, "compose: the output is a message (RFC 5322), there is no JSON form");
  stdout_sink out;
  const auto r = compose_cmd::compose(ctx.args, std::cin, out);
  if (r.status != 0) return cli::fail(r.status, r.error);
  return 0;
}

}  // namespace

MAILPROTO_CLI_COMMAND(compose, "compose", "build a message and write it to stdout",
                      compose_cmd::usage, run_compose);
#endif
