// mailproto — the command-line tool. Parses the options every subcommand shares, then hands
// the rest to the subcommand (see cli.hpp for how a subcommand registers itself).
#include "cli.hpp"

#include <mailproto/version.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>

namespace {

void print_usage(std::ostream& os) {
  os << "usage: mailproto [common options] <command> [arguments]\n\n"
        "commands:\n";
  auto cmds = cli::commands();
  std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const auto& c : cmds) {
    os << "  " << c.name;
    for (std::size_t i = c.name.size(); i < 10; ++i) os << ' ';
    os << "  " << c.summary << "\n";
  }
  os << "  help        show help for a command: mailproto help <command>\n"
        "\ncommon options (before or after the command):\n"
        "  --server HOST     server to connect to\n"
        "  --port N          port (default: the protocol's port for the TLS mode)\n"
        "  --tls MODE        implicit | starttls | starttls-if-available | none\n"
        "  --cafile FILE     trust the CAs in FILE (PEM) instead of the system store\n"
        "  --insecure        do not verify the server's certificate (explicit opt-out)\n"
        "  --user NAME       log in as NAME; the password comes from MAILPROTO_PASSWORD\n"
        "                    or a prompt, never from an argument\n"
        "  --timeout SEC     deadline for connecting and for each read/write (default 30)\n"
        "  --trace           print the C:/S: protocol transcript on stderr (secrets redacted)\n"
        "  --json            machine-readable output on stdout\n"
        "  --version         print the version\n"
        "\nexit status: 0 success, 1 the operation failed, 2 bad usage or input\n";
}

const cli::command* find(const std::string& name) {
  for (const auto& c : cli::commands())
    if (c.name == name) return &c;
  return nullptr;
}

std::optional<mailproto::net::tls_mode> parse_tls(const std::string& v) {
  using mailproto::net::tls_mode;
  if (v == "implicit") return tls_mode::implicit;
  if (v == "starttls") return tls_mode::starttls;
  if (v == "starttls-if-available") return tls_mode::starttls_if_available;
  if (v == "none") return tls_mode::none;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  cli::context ctx;
  std::string command;
  bool only_args = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (only_args) {
      ctx.args.push_back(a);
      continue;
    }
    if (a == "--") {
      only_args = true;
      ctx.args.push_back(a);
      continue;
    }
    std::string value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_inline = true;
      }
    }
    auto take = [&](std::string& out) -> bool {
      if (has_inline) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    auto missing = [&] { return cli::fail(2, "option " + a + " needs a value"); };
    if (a == "--version") {
      std::cout << "mailproto " << mailproto::version() << "\n";
      return 0;
    }
    if (a == "--help" || a == "-h") {
      if (!command.empty()) {
        ctx.args.push_back("--help");
        continue;
      }
      print_usage(std::cout);
      return 0;
    }
    if (a == "--server") {
      if (!take(ctx.opts.server)) return missing();
    } else if (a == "--port") {
      std::string v;
      if (!take(v)) return missing();
      unsigned p = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      if (ec != std::errc{} || ptr != v.data() + v.size() || p == 0 || p > 65535)
        return cli::fail(2, "--port must be a number from 1 to 65535, not '" + v + "'");
      ctx.opts.port = static_cast<std::uint16_t>(p);
    } else if (a == "--tls") {
      std::string v;
      if (!take(v)) return missing();
      ctx.opts.tls = parse_tls(v);
      if (!ctx.opts.tls)
        return cli::fail(
            2, "--tls must be implicit, starttls, starttls-if-available or none, not '" + v + "'");
    } else if (a == "--cafile") {
      if (!take(ctx.opts.cafile)) return missing();
    } else if (a == "--insecure") {
      ctx.opts.insecure = true;
    } else if (a == "--user") {
      if (!take(ctx.opts.user)) return missing();
    } else if (a == "--timeout") {
      std::string v;
      if (!take(v)) return missing();
      unsigned s = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
      if (ec != std::errc{} || ptr != v.data() + v.size() || s == 0 || s > 86400)
        return cli::fail(2,
                         "--timeout must be a number of seconds from 1 to 86400, not '" + v + "'");
      ctx.opts.timeout = std::chrono::seconds(s);
    } else if (a == "--password") {
      return cli::fail(2,
                       "passwords are never taken from the command line: set MAILPROTO_PASSWORD or "
                       "answer the prompt");
    } else if (a == "--trace") {
      ctx.opts.trace = true;
    } else if (a == "--json") {
      ctx.opts.json = true;
    } else if (command.empty() && a.rfind("-", 0) != 0) {
      command = a;
    } else {
      if (has_inline) a += "=" + value;
      ctx.args.push_back(a);
    }
  }

  if (command.empty()) {
    print_usage(std::cerr);
    return 2;
  }
  if (command == "help") {
    if (ctx.args.empty()) {
      print_usage(std::cout);
      return 0;
    }
    const auto* c = find(ctx.args[0]);
    if (!c) return cli::fail(2, "no command named '" + ctx.args[0] + "' (see mailproto help)");
    std::cout << "mailproto " << c->name << " — " << c->summary << "\n\n" << c->usage << "\n";
    return 0;
  }
  const auto* c = find(command);
  if (!c) return cli::fail(2, "no command named '" + command + "' (see mailproto help)");
  if (std::find(ctx.args.begin(), ctx.args.end(), "--help") != ctx.args.end()) {
    std::cout << "mailproto " << c->name << " — " << c->summary << "\n\n" << c->usage << "\n";
    return 0;
  }
  try {
    return c->run(ctx);
  } catch (const mailproto::error& e) {
    return cli::fail(e.code(), e.reply());
  } catch (const std::exception& e) {
    return cli::fail(1, e.what());
  }
}
