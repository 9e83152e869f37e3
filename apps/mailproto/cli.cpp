#include "cli.hpp"

#include <mailproto/net/errc.hpp>
#include <mailproto/smtp/errc.hpp>

#include <termios.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace cli {

std::vector<command>& commands() {
  static std::vector<command> all;
  return all;
}

std::optional<std::string> context::password() const {
  if (const char* p = std::getenv("MAILPROTO_PASSWORD")) return std::string(p);
  // Prompt on the terminal with echo off, as ssh and git do; never from argv.
  std::FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) {
    fail(2, "no password: set MAILPROTO_PASSWORD (there is no terminal to ask on)");
    return std::nullopt;
  }
  std::fprintf(tty, "Password for %s: ", opts.user.c_str());
  std::fflush(tty);
  termios old{};
  const int fd = fileno(tty);
  const bool have_term = tcgetattr(fd, &old) == 0;
  if (have_term) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string pw;
  for (int c; (c = std::fgetc(tty)) != EOF && c != '\n';) pw += static_cast<char>(c);
  if (have_term) tcsetattr(fd, TCSAFLUSH, &old);
  std::fprintf(tty, "\n");
  std::fclose(tty);
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}

mailproto::net::connect_options context::connect_options(
    std::uint16_t default_port, mailproto::net::tls_mode default_tls) const {
  mailproto::net::connect_options o;
  o.host = opts.server;
  o.port = opts.port.value_or(default_port);
  o.tls = opts.tls.value_or(default_tls);
  o.tls_opts.cafile = opts.cafile;
  if (opts.insecure) o.tls_opts.verify = mailproto::net::tls_verify::none;
  o.connect_timeout = opts.timeout;
  o.io_timeout = opts.timeout;
  if (opts.trace) o.trace = mailproto::net::trace_to(std::cerr);
  return o;
}

int fail(int status, const std::string& message) {
  std::cerr << "mailproto: " << message << "\n";
  return status;
}

namespace {

std::string hint(const std::error_code& ec) {
  using mailproto::net::errc;
  if (ec == errc::certificate_verify_failed)
    return "the server's certificate is not trusted: pass --cafile with the CA that signed it";
  if (ec == errc::certificate_name_mismatch)
    return "the certificate does not name this host: connect with the name it was issued for";
  if (ec == errc::tls_handshake_failed)
    return "wrong port for the TLS mode? implicit TLS is usually on 465/993/995, STARTTLS on "
           "587/143/110";
  if (ec == mailproto::smtp::errc::tls_mode_mismatch)
    return "the port and the TLS mode disagree: implicit TLS (--tls implicit) is usually on "
           "465/993/995, "
           "STARTTLS on 587/143/110";
  if (ec == errc::starttls_not_offered)
    return "the server does not offer STARTTLS: use --tls implicit on its TLS port";
  if (ec == errc::plaintext_auth_refused)
    return "use TLS (--tls starttls or implicit); sending a password in clear needs an explicit "
           "opt-out";
  if (ec == mailproto::condition::auth_failed) return "check the user name and MAILPROTO_PASSWORD";
  if (ec == mailproto::condition::timeout) return "is the server reachable, and is the port right?";
  // Standalone Asio's OS errors live in the "asio.system" category, with errno values.
  if (ec.value() == ECONNREFUSED &&
      std::string_view(ec.category().name()).find("system") != std::string_view::npos)
    return "nothing listens there: check --server and --port";
  if (ec == errc::resolve_failed) return "check the server name";
  return {};
}

}  // namespace

int fail(const std::error_code& ec, const mailproto::server_reply& reply) {
  std::string msg = mailproto::describe(ec, reply);
  if (auto h = hint(ec); !h.empty()) msg += " (hint: " + h + ")";
  return fail(1, msg);
}

std::string json_string(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace cli
