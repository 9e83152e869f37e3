// cli.hpp — the shared parts of the `mailproto` command-line tool.
//
// Common options are parsed once in main.cpp; each subcommand is a function registered
// with MAILPROTO_CLI_COMMAND in its own cmd_*.cpp file:
//
//   static int run_compose(cli::context& ctx);   // ctx.args: what follows the subcommand
//   MAILPROTO_CLI_COMMAND(compose, "compose", "build a message and write it to stdout",
//                         "usage text for `mailproto help compose`", run_compose);
//
// Exit status: 0 success, 1 operation failed (network, server refusal), 2 bad usage or
// bad input. Errors are one line on stderr: "mailproto: <what>[: server text][ (hint)]".
#pragma once

#include <mailproto/error.hpp>
#include <mailproto/net/options.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace cli {

/// Options shared by every subcommand (parsed before and after the subcommand name).
struct common_options {
  std::string server;                 ///< --server HOST
  std::optional<std::uint16_t> port;  ///< --port N
  std::optional<mailproto::net::tls_mode>
      tls;                           ///< --tls implicit|starttls|starttls-if-available|none
  std::string cafile;                ///< --cafile FILE
  bool insecure = false;             ///< --insecure: no certificate verification
  std::string user;                  ///< --user NAME
  std::chrono::seconds timeout{30};  ///< --timeout SECONDS
  bool trace = false;                ///< --trace: C:/S: transcript on stderr
  bool json = false;                 ///< --json: machine-readable output on stdout
};

/// Where each connection option's value came from ("--server", "MAILPROTO_SERVER",
/// "profile NAME", or empty when unset), for `mailproto config`.
struct option_origins {
  std::string server, port, tls, user, cafile;
};

struct context {
  common_options opts;
  option_origins origin;
  std::string profile;            ///< the --profile / MAILPROTO_PROFILE name in use, or empty
  std::string config_file;        ///< the config file read for the profile, or empty
  std::vector<std::string> args;  ///< the subcommand's own arguments, common options removed

  /// The password for --user: MAILPROTO_PASSWORD, else a prompt on the terminal (no echo).
  /// Never from an argument. Returns nullopt (and prints why) if none can be had.
  std::optional<std::string> password() const;

  /// net::connect_options from the common options, with `default_port` when --port is
  /// absent and `default_tls` when --tls is absent. The trace goes to stderr with --trace.
  mailproto::net::connect_options connect_options(std::uint16_t default_port,
                                                  mailproto::net::tls_mode default_tls) const;
};

/// Print "mailproto: <message>" on stderr and return `status`.
int fail(int status, const std::string& message);
/// Print an error_code failure with the server's reply (made one line, control characters
/// escaped) and a hint for common causes (certificate not trusted, authentication failed,
/// STARTTLS not offered, nothing listening, ...).
int fail(const std::error_code& ec, const mailproto::server_reply& reply = {});
/// The same for a failure while connecting (TCP, TLS, greeting, STARTTLS) in TLS mode
/// `mode`: adds the hints that depend on the mode (wrong port for the TLS mode). `greeted`:
/// whether the server's greeting arrived.
int fail_connect(const std::error_code& ec, const mailproto::server_reply& reply,
                 mailproto::net::tls_mode mode, bool greeted);

/// JSON string literal of `s` (quotes included, control characters escaped, UTF-8 kept).
std::string json_string(std::string_view s);

struct command {
  std::string name;
  std::string summary;
  std::string usage;
  std::function<int(context&)> run;
};

/// Registry of subcommands, filled by MAILPROTO_CLI_COMMAND at static-init time.
std::vector<command>& commands();
struct registrar {
  explicit registrar(command c) { commands().push_back(std::move(c)); }
};

}  // namespace cli

#define MAILPROTO_CLI_COMMAND(id, name, summary, usage, fn)    \
  static const ::cli::registrar mailproto_cli_registrar_##id { \
    ::cli::command {                                           \
      name, summary, usage, fn                                 \
    }                                                          \
  }
