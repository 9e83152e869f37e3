// mailproto/net/probe.hpp — connect to a mail server, read its greeting, upgrade to TLS.
//
// A diagnostic, used by `mailproto probe` and by the transport's own tests: it speaks just
// enough of each protocol to reach TLS — the greeting, then the STARTTLS exchange of SMTP
// (RFC 3207 §4: EHLO, STARTTLS, 220), POP3 (RFC 2595 §4: STLS, +OK) or IMAP (RFC 9051
// §6.2.1: STARTTLS, tagged OK) — and says goodbye (QUIT / LOGOUT). Everything else belongs
// to the protocol clients.
#pragma once

#include <mailproto/net/connection.hpp>
#include <mailproto/net/operation.hpp>
#include <mailproto/net/transport.hpp>

#include <memory>
#include <string>
#include <vector>

namespace mailproto::net {

/// Which protocol's greeting and capability exchange a probe speaks.
enum class probe_protocol { smtp, pop3, imap };

/// What a probe learned: the greeting, whether TLS came up (and how), SMTP capabilities.
struct probe_result {
  std::string greeting;                   ///< the server's first line (without CRLF)
  bool tls = false;                       ///< TLS was active when the probe ended
  bool starttls_used = false;             ///< TLS came from STARTTLS/STLS (not implicit)
  std::vector<std::string> capabilities;  ///< SMTP EHLO keywords seen last (others: empty)
};

/// The operation: runs with connection::run/async_run_owned. The connection's options
/// (set_options) say where to connect; `mode` should be the same tls_mode.
std::unique_ptr<result_operation<probe_result>> make_probe_op(probe_protocol p, tls_mode mode,
                                                              std::size_t max_line = 64 * 1024);

/// Synchronous convenience: connect with `o`, probe, close. TLS details: `conn.tls()`.
probe_result probe(connection& conn, const connect_options& o, probe_protocol p,
                   std::error_code& ec);

}  // namespace mailproto::net
