// `mailproto parse`: parse a message file (or stdin) with mime::parser and print its tree,
// for people or as JSON; optionally save the attachments.
//
// The logic (parse_cmd::run) does not depend on the CLI registry, so the MIME unit tests
// can include this file with MAILPROTO_PARSE_NO_REGISTER defined and drive it.
#include <mailproto/io.hpp>
#include <mailproto/mime/parser.hpp>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace parse_cmd {

constexpr const char* usage =
    "usage: mailproto parse [--json] [--save-attachments DIR] FILE|-\n"
    "\n"
    "Parses an RFC 5322 / MIME message (FILE, or stdin for -) and prints its part tree.\n"
    "\n"
    "  --json                  print {\"headers\": [[name, value], ...], \"content_type\",\n"
    "                          \"params\", \"disposition\", \"filename\", \"charset\", \"size\",\n"
    "                          \"sha256\", \"defects\", \"parts\": [...], \"text\"}\n"
    "  --save-attachments DIR  write each attachment under its decoded file name, made safe\n"
    "                          (no path separators, no leading dots, no control characters,\n"
    "                          unique in DIR; existing files are never overwritten)\n";

struct result {
  int status = 0;     ///< 0 ok, 1 failed (I/O), 2 bad usage or unreadable input
  std::string error;  ///< one line, without the "mailproto: " prefix
};

/// A file name that is safe to create inside a directory: path separators, control
/// characters and NUL become '_', leading dots and spaces are removed (no "..", no hidden
/// files), at most 200 bytes (cut on a UTF-8 character boundary); "attachment" if empty.
inline std::string sanitize_filename(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f || c == ':')
      out.push_back('_');
    else
      out.push_back(c);
  }
  std::size_t lead = 0;
  while (lead < out.size() && (out[lead] == '.' || out[lead] == ' ')) ++lead;
  out.erase(0, lead);
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  if (out.size() > 200) {
    std::size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  if (out.empty()) out = "attachment";
  return out;
}

/// `name` made unique against `taken` (and the files in `dir`): "a.pdf", "a-1.pdf", ...
inline std::string unique_name(const std::filesystem::path& dir, const std::string& name,
                               std::set<std::string>& taken) {
  std::string stem = name, ext;
  auto dot = name.rfind('.');
  bool ext_ok = dot != std::string::npos && dot > 0 && name.size() - dot <= 9;
  for (std::size_t i = dot + 1; ext_ok && i < name.size(); ++i)
    ext_ok = std::isalnum(static_cast<unsigned char>(name[i])) != 0;
  if (ext_ok) {
    stem = name.substr(0, dot);
    ext = name.substr(dot);
  }
  std::string candidate = name;
  for (int i = 1; taken.count(candidate) || std::filesystem::exists(dir / candidate); ++i)
    candidate = stem + "-" + std::to_string(i) + ext;
  taken.insert(candidate);
  return candidate;
}

namespace detail {

inline void print_tree(const mailproto::mime::entity& e, std::ostream& out, int depth) {
  std::string ind(static_cast<std::size_t>(depth) * 2, ' ');
  out << ind << e.content_type.full();
  if (!e.charset.empty()) out << "; charset=" << e.charset;
  if (!e.transfer_encoding.empty()) out << " (" << e.transfer_encoding << ")";
  if (!e.disposition.type.empty()) out << " " << e.disposition.type;
  if (!e.filename.empty()) out << " \"" << e.filename << "\"";
  if (!e.container) out << ", " << e.body.size() << " bytes";
  out << "  [" << e.header_offset << ".." << e.end_offset << "]\n";
  if (e.depth == 0 || (e.headers.find("Subject") && e.headers.find("From"))) {
    for (const char* h : {"From", "To", "Cc", "Date", "Subject", "Message-ID"})
      if (auto v = e.headers.get(h)) out << ind << "  " << h << ": " << *v << "\n";
  }
  for (const auto& d : e.defects)
    out << ind << "  ! " << mailproto::mime::to_string(d.kind) << "\n";
  for (const auto& c : e.parts) print_tree(c, out, depth + 1);
}

}  // namespace detail

/// Run `mailproto parse` with `args` (the common --json may come as `json`).
inline result run(const std::vector<std::string>& args, bool json, std::istream& in,
                  std::ostream& out) {
  std::string file, save_dir;
  bool have_file = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--save-attachments") {
      if (i + 1 >= args.size()) return {2, "--save-attachments needs a directory"};
      save_dir = args[++i];
    } else if (!have_file && (a == "-" || a.empty() || a[0] != '-')) {
      file = a;
      have_file = true;
    } else {
      return {2, "parse: unknown argument \"" + a + "\" (see mailproto help parse)"};
    }
  }
  if (!have_file) return {2, "parse: FILE or - expected (see mailproto help parse)"};
  std::error_code ec;
  mailproto::mime::message m;
  if (file == "-") {
    mailproto::mime::tree_builder tb;
    mailproto::mime::parser p(tb);
    std::string buf(1 << 16, '\0');
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      p.feed(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())), ec);
      if (ec) break;
    }
    if (!ec) p.finish(ec);
    m = tb.take();
  } else {
    m = mailproto::mime::parse_file(file, ec);
  }
  if (ec) return {2, file + ": " + ec.message()};
  if (json)
    out << mailproto::mime::to_json(m.root()) << "\n";
  else
    detail::print_tree(m.root(), out, 0);
  if (!save_dir.empty()) {
    std::filesystem::path dir(save_dir);
    std::error_code fec;
    std::filesystem::create_directories(dir, fec);
    if (fec) return {1, save_dir + ": " + fec.message()};
    std::set<std::string> taken;
    for (const auto* e : m.attachments()) {
      std::string name = unique_name(dir, sanitize_filename(e->filename), taken);
      std::filesystem::path path = dir / name;
      std::FILE* f = std::fopen(path.c_str(), "wbx");  // never overwrite
      if (!f) return {1, path.string() + ": cannot create"};
      bool ok = std::fwrite(e->body.data(), 1, e->body.size(), f) == e->body.size();
      ok = std::fclose(f) == 0 && ok;
      if (!ok) return {1, path.string() + ": write failed"};
      (json ? std::cerr : out) << "saved " << path.string() << " (" << e->body.size()
                               << " bytes)\n";
    }
  }
  return {};
}

}  // namespace parse_cmd

#ifndef MAILPROTO_PARSE_NO_REGISTER
#include "cli.hpp"

namespace {
int run_parse(cli::context& ctx) {
  auto r = parse_cmd::run(ctx.args, ctx.opts.json, std::cin, std::cout);
  if (r.status != 0) return cli::fail(r.status, r.error);
  return 0;
}
}  // namespace

MAILPROTO_CLI_COMMAND(parse, "parse", "parse a message and print its MIME tree (or --json)",
                      parse_cmd::usage, run_parse);
#endif
