// mailproto pop3: read a mailbox over POP3 (RFC 1939): stat, list, uidl, retr, top, dele.
#include "cli.hpp"

#include <mailproto/mime/parser.hpp>
#include <mailproto/pop3/client.hpp>

#include "progress.hpp"

#include <charconv>
#include <cstdio>
#include <iostream>

namespace {

namespace pop3 = mailproto::pop3;

constexpr const char* k_usage =
    "usage: mailproto pop3 stat [--json]\n"
    "       mailproto pop3 list [--json]\n"
    "       mailproto pop3 uidl [--json]\n"
    "       mailproto pop3 retr N [--out FILE]\n"
    "       mailproto pop3 retr N --parse [--json]\n"
    "       mailproto pop3 top N LINES [--out FILE]\n"
    "       mailproto pop3 dele N [--json]\n"
    "\n"
    "  stat             number of messages and total size (STAT, RFC 1939 §5);\n"
    "                   --json: {\"count\": N, \"size\": N}\n"
    "  list             size of each message (LIST, §5);\n"
    "                   --json: [{\"number\": 1, \"size\": 498}, ...]\n"
    "  uidl             unique id of each message (UIDL, §7);\n"
    "                   --json: [{\"number\": 1, \"uid\": \"...\"}, ...]\n"
    "  retr N           the raw message N (RETR, §5) on stdout, streamed\n"
    "      --out FILE   write it to FILE instead\n"
    "      --parse      print its MIME tree instead (--json: as `mailproto parse --json`)\n"
    "  top N LINES      the header of message N and the first LINES lines of its body (TOP, §7)\n"
    "  dele N           delete message N (DELE, then QUIT so the server removes it, §6);\n"
    "                   --json: {\"deleted\": [N]}\n"
    "\n"
    "Port 110 with STLS (RFC 2595) by default, 995 with --tls implicit; --server and --user\n"
    "are required (or from the environment / --profile). The password comes from\n"
    "MAILPROTO_PASSWORD or a prompt. A retr over 1 MiB shows a progress bar on stderr when it\n"
    "is a terminal.\n";

bool number(const std::string& s, std::uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Writes to stdout as bytes arrive (flat memory whatever the message size).
class stdout_sink final : public mailproto::byte_sink {
 public:
  void write(std::string_view b, std::error_code& ec) override {
    if (std::fwrite(b.data(), 1, b.size(), stdout) != b.size())
      ec = std::make_error_code(std::errc::io_error);
  }
  void finish(std::error_code& ec) override {
    if (std::fflush(stdout) != 0) ec = std::make_error_code(std::errc::io_error);
  }
};

void print_tree(const mailproto::mime::entity& e, int depth) {
  const std::string ind(static_cast<std::size_t>(depth) * 2, ' ');
  std::cout << ind << e.content_type.full();
  if (!e.filename.empty()) std::cout << " " << cli::json_string(e.filename);
  std::cout << "  [" << e.header_offset << ".." << e.end_offset << "]\n";
  if (depth == 0)
    for (const char* h : {"From", "To", "Subject", "Date"})
      if (auto v = e.headers.get(h)) std::cout << ind << "  " << h << ": " << *v << "\n";
  for (const auto& c : e.parts) print_tree(c, depth + 1);
}

int run_pop3(cli::context& ctx) {
  auto& args = ctx.args;
  if (args.empty())
    return cli::fail(2, "pop3: say stat, list, uidl, retr, top or dele (see mailproto help pop3)");
  const std::string sub = args[0];
  std::string out_file;
  bool parse = false;
  std::vector<std::string> pos;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--out") {
      if (i + 1 >= args.size()) return cli::fail(2, "pop3: --out needs a file name");
      out_file = args[++i];
    } else if (args[i] == "--parse") {
      parse = true;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return cli::fail(2, "pop3: unknown option " + args[i] + " (see mailproto help pop3)");
    } else {
      pos.push_back(args[i]);
    }
  }
  std::size_t want = 0;
  if (sub == "retr" || sub == "dele")
    want = 1;
  else if (sub == "top")
    want = 2;
  else if (sub != "stat" && sub != "list" && sub != "uidl")
    return cli::fail(2, "pop3: unknown subcommand '" + sub + "' (see mailproto help pop3)");
  std::uint32_t n = 0, lines = 0;
  if (pos.size() != want || (want >= 1 && (!number(pos[0], n) || n == 0)) ||
      (want == 2 && !number(pos[1], lines)))
    return cli::fail(2, "pop3 " + sub + ": bad arguments (see mailproto help pop3)");
  if (parse && sub != "retr") return cli::fail(2, "pop3: --parse goes with retr only");
  if (!out_file.empty() && sub != "retr" && sub != "top")
    return cli::fail(2, "pop3: --out goes with retr or top only");
  if (!out_file.empty() && parse) return cli::fail(2, "pop3: --out and --parse do not go together");
  if (ctx.opts.json && (sub == "top" || (sub == "retr" && !parse)))
    return cli::fail(2, "pop3 " + sub +
                            ": the output is the raw message, not JSON (retr N --parse --json "
                            "prints its MIME tree as JSON)");
  if (ctx.opts.server.empty()) return cli::fail(2, "pop3: --server is required");
  if (ctx.opts.user.empty()) return cli::fail(2, "pop3: --user is required");
  const auto pass = ctx.password();
  if (!pass) return 2;

  pop3::client_options o;
  const bool implicit = ctx.opts.tls == mailproto::net::tls_mode::implicit;
  o.net = ctx.connect_options(implicit ? 995 : 110, mailproto::net::tls_mode::starttls);
  pop3::client c;
  std::error_code ec;
  auto failed = [&] { return cli::fail(ec, c.last_reply()); };
  c.connect(o, ec);
  if (ec) return cli::fail_connect(ec, c.last_reply(), o.net.tls, !c.last_reply().empty());
  c.login(ctx.opts.user, *pass, ec);
  if (ec) return failed();

  const bool json = ctx.opts.json;
  if (sub == "stat") {
    const auto st = c.stat(ec);
    if (ec) return failed();
    if (json)
      std::cout << "{\"count\": " << st.count << ", \"size\": " << st.size << "}\n";
    else
      std::cout << st.count << " messages, " << st.size << " octets\n";
  } else if (sub == "list") {
    const auto l = c.list(ec);
    if (ec) return failed();
    if (json) {
      std::cout << '[';
      for (std::size_t i = 0; i < l.size(); ++i)
        std::cout << (i ? ", " : "") << "{\"number\": " << l[i].number
                  << ", \"size\": " << l[i].size << '}';
      std::cout << "]\n";
    } else {
      for (const auto& m : l) std::cout << m.number << ' ' << m.size << '\n';
    }
  } else if (sub == "uidl") {
    const auto l = c.uidl(ec);
    if (ec) return failed();
    if (json) {
      std::cout << '[';
      for (std::size_t i = 0; i < l.size(); ++i)
        std::cout << (i ? ", " : "") << "{\"number\": " << l[i].number
                  << ", \"uid\": " << cli::json_string(l[i].uid) << '}';
      std::cout << "]\n";
    } else {
      for (const auto& m : l) std::cout << m.number << ' ' << m.uid << '\n';
    }
  } else if (sub == "retr" && parse) {
    // The MIME parser is a byte_sink: the message streams into it (bodies not kept).
    mailproto::mime::tree_builder tb(false);
    mailproto::mime::parser p(tb);
    c.retr(n, p, ec);
    if (ec) return failed();
    const auto m = tb.take();
    if (json)
      std::cout << mailproto::mime::to_json(m.root()) << "\n";
    else
      print_tree(m.root(), 0);
  } else if (sub == "retr" || sub == "top") {
    std::cout.flush();
    std::unique_ptr<mailproto::byte_sink> sink;
    if (out_file.empty())
      sink = std::make_unique<stdout_sink>();
    else
      sink = std::make_unique<mailproto::file_sink>(out_file);
    if (sub == "retr") {
      // The size for the bar comes from LIST N (RFC 1939 §5), asked only when a bar may show.
      const bool bar = cli::progress_enabled(ctx.opts.json);
      std::optional<std::uint64_t> total;
      if (bar) {
        const auto info = c.list(n, ec);
        if (ec) return failed();
        total = info.size;
      }
      cli::progress_meter meter("retr " + std::to_string(n), total, bar);
      cli::counting_sink counted(*sink, meter);
      c.retr(n, counted, ec);
      meter.finish();
    } else {
      c.top(n, lines, *sink, ec);
    }
    if (ec) return failed();
  } else if (sub == "dele") {
    c.dele(n, ec);
    if (ec) return failed();
    c.quit(ec);
    if (ec) return failed();
    if (json)
      std::cout << "{\"deleted\": [" << n << "]}\n";
    else
      std::cout << "deleted message " << n << "\n";
    return 0;
  }
  c.quit(ec);  // nothing marked: no update needed, but end the session politely
  if (ec) return failed();
  return 0;
}

}  // namespace

MAILPROTO_CLI_COMMAND(pop3, "pop3", "read a mailbox over POP3 (stat, list, uidl, retr, top, dele)",
                      k_usage, run_pop3);
