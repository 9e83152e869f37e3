// `mailproto config`: show the connection settings a command would use, and where each
// came from (a flag, a MAILPROTO_* variable, the --profile section), without connecting.
#include "cli.hpp"

#include <iostream>

namespace {

constexpr const char* k_usage =
    "usage: mailproto config [--profile NAME] [--json]\n"
    "\n"
    "Prints the connection settings the other commands would use (server, port, tls, user,\n"
    "cafile) and where each came from: a flag, a MAILPROTO_* environment variable, or the\n"
    "[profile NAME] section of $XDG_CONFIG_HOME/mailproto/config\n"
    "(~/.config/mailproto/config). Flags override the environment, which overrides the\n"
    "profile. Connects to nothing. Unset values are left to each command (e.g. the port\n"
    "follows the protocol and the TLS mode).\n"
    "\n"
    "The config file:\n"
    "  # comment\n"
    "  [profile sandbox]\n"
    "  server = 127.0.0.1\n"
    "  port   = 28587\n"
    "  tls    = starttls\n"
    "  user   = alice\n"
    "  cafile = /tmp/mailproto-sandbox/tls/ca.pem\n"
    "A password key is refused: the password comes from MAILPROTO_PASSWORD or a prompt.\n"
    "\n"
    "--json: {\"profile\", \"config_file\", \"server\": {\"value\", \"from\"}, \"port\", \"tls\",\n"
    "\"user\", \"cafile\"} (value and from are null when unset).\n";

const char* tls_name(mailproto::net::tls_mode m) {
  using mailproto::net::tls_mode;
  switch (m) {
    case tls_mode::implicit:
      return "implicit";
    case tls_mode::starttls:
      return "starttls";
    case tls_mode::starttls_if_available:
      return "starttls-if-available";
    case tls_mode::none:
      return "none";
  }
  return "?";
}

int run_config(cli::context& ctx) {
  if (!ctx.args.empty()) return cli::fail(2, "config: unexpected argument " + ctx.args[0]);
  const auto& o = ctx.opts;
  const auto& f = ctx.origin;
  struct row {
    const char* name;
    std::string value;
    const std::string& from;
  };
  const row rows[] = {
      {"server", o.server, f.server},
      {"port", o.port ? std::to_string(*o.port) : "", f.port},
      {"tls", o.tls ? tls_name(*o.tls) : "", f.tls},
      {"user", o.user, f.user},
      {"cafile", o.cafile, f.cafile},
  };
  auto js = [](const std::string& v) { return v.empty() ? "null" : cli::json_string(v); };
  if (ctx.opts.json) {
    std::cout << "{\"profile\": " << js(ctx.profile)
              << ", \"config_file\": " << js(ctx.config_file);
    for (const auto& r : rows) {
      std::cout << ", \"" << r.name << "\": {\"value\": ";
      if (std::string_view(r.name) == "port" && !r.value.empty())
        std::cout << r.value;
      else
        std::cout << js(r.value);
      std::cout << ", \"from\": " << js(r.from) << "}";
    }
    std::cout << "}\n";
    return 0;
  }
  if (!ctx.profile.empty())
    std::cout << "profile  " << ctx.profile << " (" << ctx.config_file << ")\n";
  for (const auto& r : rows) {
    std::cout << r.name << std::string(9 - std::string_view(r.name).size(), ' ');
    if (r.value.empty())
      std::cout << "(unset)\n";
    else
      std::cout << r.value << "  (" << r.from << ")\n";
  }
  return 0;
}

}  // namespace

MAILPROTO_CLI_COMMAND(config, "config",
                      "show the connection settings in use and where each came from", k_usage,
                      run_config);
