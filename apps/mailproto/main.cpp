// mailproto — the command-line tool. Parses the options every subcommand shares, then hands
// the rest to the subcommand (see cli.hpp for how a subcommand registers itself).
#include "cli.hpp"
#include "config.hpp"

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
        "\ncommon options (before or after the command; --opt=value works too):\n"
        "  --server HOST     server to connect to\n"
        "  --port N          port (default: the protocol's port for the TLS mode)\n"
        "  --tls MODE        implicit | starttls | starttls-if-available | none\n"
        "  --cafile FILE     trust the CAs in FILE (PEM) instead of the system store\n"
        "  --insecure        do not verify the server's certificate (explicit opt-out)\n"
        "  --user NAME       log in as NAME; the password comes from MAILPROTO_PASSWORD\n"
        "                    or a prompt, never from an argument\n"
        "  --profile NAME    take server, port, tls, user, cafile from [profile NAME] in\n"
        "                    $XDG_CONFIG_HOME/mailproto/config (~/.config/mailproto/config)\n"
        "  --timeout SEC     deadline for connecting and for each read/write (default 30)\n"
        "  --trace           print the C:/S: protocol transcript on stderr (secrets redacted)\n"
        "  --json            machine-readable output on stdout (every command whose output\n"
        "                    is data; no progress bar)\n"
        "  --version         print the version\n"
        "\nenvironment (flags override it; it overrides the profile):\n"
        "  MAILPROTO_SERVER (or MAILPROTO_HOST), MAILPROTO_PORT, MAILPROTO_TLS,\n"
        "  MAILPROTO_USER, MAILPROTO_CAFILE, MAILPROTO_PROFILE   defaults for the options above\n"
        "  MAILPROTO_PASSWORD      the password for --user\n"
        "  MAILPROTO_PROGRESS      auto (default: a bar on a terminal for transfers over\n"
        "                          1 MiB) | always | never\n"
        "  SSLKEYLOGFILE           append TLS session keys to this file (for Wireshark)\n"
        "\nexit status: 0 success, 1 the operation failed, 2 bad usage or input\n";
}

void print_command_help(std::ostream& os, const cli::command& c) {
  os << "mailproto " << c.name << " — " << c.summary << "\n\n" << c.usage;
  if (!c.usage.empty() && c.usage.back() != '\n') os << "\n";
  os << "\nCommon options (--server, --port, --tls, --cafile, --insecure, --user, --profile,\n"
        "--timeout, --trace, --json) and the environment: mailproto help.\n";
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

std::optional<std::uint16_t> parse_port(const std::string& v) {
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
  if (ec != std::errc{} || ptr != v.data() + v.size() || p == 0 || p > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(p);
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// Fill the connection options no flag set: first from the environment, then from the
// profile (flags > environment > profile). Returns an exit status, 0 to go on.
struct set_by_flag {
  bool server = false, port = false, tls = false, user = false, cafile = false;
};

int apply_defaults(cli::context& ctx, const set_by_flag& flags) {
  auto& o = ctx.opts;
  auto& from = ctx.origin;
  auto set_port = [&](const std::string& v, const std::string& source) {
    o.port = parse_port(v);
    if (!o.port) return cli::fail(2, source + " must be a number from 1 to 65535, not '" + v + "'");
    from.port = source;
    return 0;
  };
  auto set_tls = [&](const std::string& v, const std::string& source) {
    o.tls = parse_tls(v);
    if (!o.tls)
      return cli::fail(2, source +
                              " must be implicit, starttls, starttls-if-available or none, "
                              "not '" +
                              v + "'");
    from.tls = source;
    return 0;
  };
  auto set_string = [](std::string& field, std::string& origin, const char* value,
                       const std::string& source) {
    field = value;
    origin = source;
  };
  if (flags.server) from.server = "--server";
  if (flags.port) from.port = "--port";
  if (flags.tls) from.tls = "--tls";
  if (flags.user) from.user = "--user";
  if (flags.cafile) from.cafile = "--cafile";

  // The environment. MAILPROTO_HOST is the name `scripts/sandbox env` prints;
  // MAILPROTO_SERVER wins over it.
  if (from.server.empty()) {
    if (const char* v = env("MAILPROTO_SERVER"))
      set_string(o.server, from.server, v, "MAILPROTO_SERVER");
    else if (const char* h = env("MAILPROTO_HOST"))
      set_string(o.server, from.server, h, "MAILPROTO_HOST");
  }
  if (from.port.empty())
    if (const char* v = env("MAILPROTO_PORT"))
      if (int rc = set_port(v, "MAILPROTO_PORT")) return rc;
  if (from.tls.empty())
    if (const char* v = env("MAILPROTO_TLS"))
      if (int rc = set_tls(v, "MAILPROTO_TLS")) return rc;
  if (from.user.empty())
    if (const char* v = env("MAILPROTO_USER")) set_string(o.user, from.user, v, "MAILPROTO_USER");
  if (from.cafile.empty())
    if (const char* v = env("MAILPROTO_CAFILE"))
      set_string(o.cafile, from.cafile, v, "MAILPROTO_CAFILE");

  // The profile, for what is still unset.
  if (ctx.profile.empty()) return 0;
  ctx.config_file = cli::config::path();
  if (ctx.config_file.empty())
    return cli::fail(2, "--profile: neither XDG_CONFIG_HOME nor HOME is set");
  cli::config::profile p;
  std::string err;
  if (!cli::config::load(ctx.config_file, ctx.profile, p, err)) return cli::fail(2, err);
  const std::string source = "profile " + ctx.profile;
  if (from.server.empty() && p.server) set_string(o.server, from.server, p.server->c_str(), source);
  if (from.port.empty() && p.port)
    if (int rc = set_port(*p.port, source + ": port")) return rc;
  if (from.tls.empty() && p.tls)
    if (int rc = set_tls(*p.tls, source + ": tls")) return rc;
  if (from.user.empty() && p.user) set_string(o.user, from.user, p.user->c_str(), source);
  if (from.cafile.empty() && p.cafile) set_string(o.cafile, from.cafile, p.cafile->c_str(), source);
  // The value is right; its origin is the profile (not "profile NAME: port").
  if (from.port == source + ": port") from.port = source;
  if (from.tls == source + ": tls") from.tls = source;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cli::context ctx;
  set_by_flag flags;
  bool have_profile = false;
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
      flags.server = true;
    } else if (a == "--port") {
      std::string v;
      if (!take(v)) return missing();
      ctx.opts.port = parse_port(v);
      if (!ctx.opts.port)
        return cli::fail(2, "--port must be a number from 1 to 65535, not '" + v + "'");
      flags.port = true;
    } else if (a == "--tls") {
      std::string v;
      if (!take(v)) return missing();
      ctx.opts.tls = parse_tls(v);
      if (!ctx.opts.tls)
        return cli::fail(
            2, "--tls must be implicit, starttls, starttls-if-available or none, not '" + v + "'");
      flags.tls = true;
    } else if (a == "--cafile") {
      if (!take(ctx.opts.cafile)) return missing();
      flags.cafile = true;
    } else if (a == "--insecure") {
      ctx.opts.insecure = true;
    } else if (a == "--user") {
      if (!take(ctx.opts.user)) return missing();
      flags.user = true;
    } else if (a == "--profile") {
      if (!take(ctx.profile)) return missing();
      if (ctx.profile.empty()) return cli::fail(2, "--profile needs a name");
      have_profile = true;
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
      // A subcommand's own --opt=value arrives as two arguments, like --opt value.
      ctx.args.push_back(a);
      if (has_inline) ctx.args.push_back(value);
    }
  }

  if (command.empty()) {
    print_usage(std::cerr);
    return 2;
  }
  if (command == "help") {
    if (ctx.args.empty() || ctx.args[0] == "help") {
      print_usage(std::cout);
      return 0;
    }
    const auto* c = find(ctx.args[0]);
    if (!c) return cli::fail(2, "no command named '" + ctx.args[0] + "' (see mailproto help)");
    print_command_help(std::cout, *c);
    return 0;
  }
  const auto* c = find(command);
  if (!c) return cli::fail(2, "no command named '" + command + "' (see mailproto help)");
  if (std::find(ctx.args.begin(), ctx.args.end(), "--help") != ctx.args.end()) {
    print_command_help(std::cout, *c);
    return 0;
  }
  if (!have_profile)
    if (const char* p = env("MAILPROTO_PROFILE")) ctx.profile = p;
  if (int rc = apply_defaults(ctx, flags)) return rc;
  try {
    return c->run(ctx);
  } catch (const mailproto::error& e) {
    return cli::fail(e.code(), e.reply());
  } catch (const std::exception& e) {
    return cli::fail(1, e.what());
  }
}
