// mailproto probe: connect, greet, upgrade to TLS, and report the certificate check.
#include "cli.hpp"

#include <mailproto/net/probe.hpp>

#include <iostream>

namespace {

using mailproto::net::probe_protocol;
using mailproto::net::tls_mode;

std::optional<probe_protocol> protocol_for_port(std::uint16_t p) {
  switch (p) {
    case 25:
    case 465:
    case 587:
      return probe_protocol::smtp;
    case 110:
    case 995:
      return probe_protocol::pop3;
    case 143:
    case 993:
      return probe_protocol::imap;
    default:
      return std::nullopt;
  }
}

std::uint16_t default_port(probe_protocol p, tls_mode m) {
  const bool implicit = m == tls_mode::implicit;
  switch (p) {
    case probe_protocol::smtp:
      return implicit ? 465 : 587;
    case probe_protocol::pop3:
      return implicit ? 995 : 110;
    case probe_protocol::imap:
      return implicit ? 993 : 143;
  }
  return 0;
}

int run_probe(cli::context& ctx) {
  std::optional<probe_protocol> proto;
  for (std::size_t i = 0; i < ctx.args.size(); ++i) {
    const auto& a = ctx.args[i];
    std::string v;
    if (a == "--protocol" && i + 1 < ctx.args.size())
      v = ctx.args[++i];
    else if (a.rfind("--protocol=", 0) == 0)
      v = a.substr(11);
    else
      return cli::fail(2, "probe: unexpected argument '" + a + "'");
    if (v == "smtp")
      proto = probe_protocol::smtp;
    else if (v == "pop3")
      proto = probe_protocol::pop3;
    else if (v == "imap")
      proto = probe_protocol::imap;
    else
      return cli::fail(2, "probe: --protocol must be smtp, pop3 or imap");
  }
  if (ctx.opts.server.empty()) return cli::fail(2, "probe: --server is required");
  if (!proto && ctx.opts.port) proto = protocol_for_port(*ctx.opts.port);
  if (!proto) return cli::fail(2, "probe: say --protocol smtp|pop3|imap (the port does not tell)");
  tls_mode mode = ctx.opts.tls.value_or(
      ctx.opts.port && (*ctx.opts.port == 465 || *ctx.opts.port == 993 || *ctx.opts.port == 995)
          ? tls_mode::implicit
          : tls_mode::starttls);
  auto o = ctx.connect_options(default_port(*proto, mode), mode);

  mailproto::net::connection conn;
  std::error_code ec;
  auto r = mailproto::net::probe(conn, o, *proto, ec);
  const auto& tls = conn.tls();
  if (ctx.opts.json) {
    std::cout << "{\"server\": " << cli::json_string(o.host) << ", \"port\": " << o.port
              << ", \"greeting\": " << cli::json_string(r.greeting)
              << ", \"tls\": " << (tls.active ? "true" : "false")
              << ", \"starttls\": " << (r.starttls_used ? "true" : "false")
              << ", \"tls_version\": " << cli::json_string(tls.protocol)
              << ", \"cipher\": " << cli::json_string(tls.cipher)
              << ", \"verified\": " << (tls.verified ? "true" : "false")
              << ", \"verify_result\": " << cli::json_string(tls.verify_result)
              << ", \"subject\": " << cli::json_string(tls.peer_subject)
              << ", \"issuer\": " << cli::json_string(tls.peer_issuer)
              << ", \"error\": " << (ec ? cli::json_string(ec.message()) : std::string("null"))
              << "}\n";
  } else {
    if (!r.greeting.empty()) std::cout << "greeting: " << r.greeting << "\n";
    if (tls.active) {
      std::cout << "tls: " << tls.protocol << ", " << tls.cipher
                << (r.starttls_used ? " (STARTTLS)" : " (implicit)") << "\n";
      std::cout << "certificate: " << (tls.verified ? "verified" : "NOT verified") << " ("
                << tls.verify_result << "; subject " << tls.peer_subject << "; issuer "
                << tls.peer_issuer << ")\n";
    } else if (!ec) {
      std::cout << "tls: none (the connection stayed in clear)\n";
    } else if (!tls.verify_result.empty() && tls.verify_result != "ok") {
      std::cout << "certificate: NOT verified (" << tls.verify_result << ")\n";
    }
  }
  if (ec) return cli::fail_connect(ec, {}, o.tls, !r.greeting.empty());
  return 0;
}

}  // namespace

MAILPROTO_CLI_COMMAND(
    probe, "probe", "connect, greet, start TLS and check the server's certificate",
    "usage: mailproto probe --server HOST [--port N] [--protocol smtp|pop3|imap] [--json]\n"
    "\n"
    "Connects, prints the greeting, performs STARTTLS (SMTP EHLO + STARTTLS, RFC 3207; POP3\n"
    "STLS, RFC 2595; IMAP STARTTLS, RFC 9051 §6.2.1) or implicit TLS (RFC 8314), prints the\n"
    "TLS version, cipher and the certificate verification result, then says QUIT/LOGOUT.\n"
    "\n"
    "  --protocol P     smtp, pop3 or imap; guessed from standard ports (25/465/587,\n"
    "                   110/995, 143/993) when absent\n"
    "\n"
    "The TLS mode defaults to implicit on 465/993/995, else starttls (--tls overrides).\n"
    "--json: {\"server\", \"port\", \"greeting\", \"tls\", \"starttls\", \"tls_version\", "
    "\"cipher\",\n"
    "\"verified\", \"verify_result\", \"subject\", \"issuer\", \"error\"} (error: null or text).\n",
    run_probe);
