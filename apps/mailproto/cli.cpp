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

namespace {

// One line, safe for a terminal: the server's text is untrusted (RFC 5321 §4.2 replies may
// span lines; a hostile server could send escape sequences). Line breaks become " / ",
// other control characters \xNN.
std::string one_line(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r' || c == '\n') {
      while (i + 1 < s.size() && (s[i + 1] == '\r' || s[i + 1] == '\n')) ++i;
      if (i + 1 < s.size()) out += " / ";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

constexpr const char* k_implicit_ports = "submissions 465, imaps 993, pop3s 995";
constexpr const char* k_starttls_ports = "submission 587, imap 143, pop3 110";

std::string hint(const std::error_code& ec) {
  using mailproto::net::errc;
  if (ec == errc::certificate_verify_failed)
    return "the server's certificate is not trusted: pass --cafile FILE with the CA that signed "
           "it (--insecure skips the check: anyone on the path could read your password)";
  if (ec == errc::certificate_name_mismatch)
    return "the certificate does not name this host: connect with the name it was issued for";
  if (ec == errc::tls_handshake_failed)
    return std::string("wrong port for the TLS mode? implicit TLS (--tls implicit) is on ") +
           k_implicit_ports + "; STARTTLS on " + k_starttls_ports + "; --trace shows more";
  if (ec == mailproto::smtp::errc::tls_mode_mismatch)
    return std::string("the port and the TLS mode disagree: implicit TLS (--tls implicit) is on ") +
           k_implicit_ports + ", STARTTLS (--tls starttls) on " + k_starttls_ports;
  if (ec == errc::starttls_not_offered)
    return std::string(
               "the server does not offer STARTTLS here: use --tls implicit with its "
               "implicit-TLS port (") +
           k_implicit_ports + ")";
  if (ec == errc::plaintext_auth_refused)
    return "use TLS (--tls starttls or implicit); sending a password in clear needs an explicit "
           "opt-out";
  if (ec == mailproto::condition::auth_failed)
    return "the server refused the login: check --user and MAILPROTO_PASSWORD";
  if (ec == mailproto::condition::timeout) return "is the server reachable, and is the port right?";
  // Standalone Asio's OS errors live in the "asio.system" category, with errno values.
  if (ec.value() == ECONNREFUSED &&
      std::string_view(ec.category().name()).find("system") != std::string_view::npos)
    return "nothing listens there: check --server and --port";
  if (ec == errc::resolve_failed) return "check the server name";
  return {};
}

}  // namespace

int fail(int status, const std::string& message) {
  std::cerr << "mailproto: " << message << "\n";
  return status;
}

int fail(const std::error_code& ec, const mailproto::server_reply& reply) {
  std::string msg = one_line(mailproto::describe(ec, reply));
  if (auto h = hint(ec); !h.empty()) msg += " (hint: " + h + ")";
  return fail(1, msg);
}

int fail_connect(const std::error_code& ec, const mailproto::server_reply& reply,
                 mailproto::net::tls_mode mode, bool greeted) {
  using mailproto::net::errc;
  using mailproto::net::tls_mode;
  const bool implicit = mode == tls_mode::implicit;
  std::string h;
  if (implicit &&
      (ec == errc::tls_handshake_failed || ec == mailproto::smtp::errc::tls_mode_mismatch))
    // Implicit TLS against a port that greets in clear: its "220"/"+OK"/"* OK" is garbage to
    // the TLS layer (RFC 8314 §3: implicit TLS has its own ports).
    h = std::string(
            "this port greets in clear, it does not speak implicit TLS: use --tls "
            "starttls, or an implicit-TLS port (") +
        k_implicit_ports + ")";
  else if (!implicit && ec == mailproto::smtp::errc::tls_mode_mismatch)
    h = std::string(
            "this port speaks implicit TLS (a TLS record came instead of a greeting): "
            "use --tls implicit (") +
        k_implicit_ports + ")";
  else if (!implicit && !greeted &&
           (ec == mailproto::condition::timeout || ec == errc::connection_closed))
    // An implicit-TLS server waits for our ClientHello and says nothing (RFC 8314 §3.3).
    h = std::string("no greeting came: if this port speaks implicit TLS (") + k_implicit_ports +
        ") use --tls implicit; otherwise check --server and --port";
  if (h.empty()) return fail(ec, reply);
  return fail(1, one_line(mailproto::describe(ec, reply)) + " (hint: " + h + ")");
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
