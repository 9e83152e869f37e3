// mailproto/smtp/protocol.hpp — the sans-I/O SMTP session state (RFC 5321).
//
// Theory of operation. One `protocol` object per connection holds what outlives a single
// command: the state below, the server's capabilities, whether TLS is active and the user
// authenticated, the reply parser (with bytes that arrived but were not yet used) and the
// last reply. The operations in src/smtp/ (connect, auth, send, noop, reset, quit) drive it;
// they never touch a socket (see net/operation.hpp).
//
//   disconnected --connect--> greeting --220--> (EHLO | HELO on 5xx, RFC 5321 §3.2)
//        --[STARTTLS, 220, TLS handshake, EHLO again: RFC 3207 §4.2]--> ready
//   ready --AUTH (RFC 4954)--> ready (authenticated)
//   ready --MAIL, RCPT..., DATA|BDAT (RFC 5321 §3.3, RFC 3030)--> ready   (many messages)
//   ready --QUIT--> closed
//   any  --fatal error (I/O, timeout, protocol violation, 421)--> failed
//
// In `failed` every operation ends at once with net::errc::connection_unusable; reconnect.
// A refusal of one command (a 5xx to RCPT, a 535 to AUTH) leaves the session `ready`.
// Tolerated: bare LF line ends in replies; "AUTH=LOGIN" capability lines of old servers.
#pragma once

#include <mailproto/sasl/mechanism.hpp>
#include <mailproto/server_reply.hpp>
#include <mailproto/smtp/capabilities.hpp>
#include <mailproto/smtp/reply_parser.hpp>

#include <chrono>
#include <string>
#include <system_error>

namespace mailproto::smtp {

/// Deadlines of each step (RFC 5321 §4.5.3.2). Zero: the connection's io_timeout.
struct timeouts {
  std::chrono::milliseconds greeting{0};    ///< §4.5.3.2.1 (RFC: 5 minutes)
  std::chrono::milliseconds command{0};     ///< EHLO, AUTH, MAIL, RCPT, RSET, NOOP, QUIT
  std::chrono::milliseconds data_block{0};  ///< each write of the message (RFC: 3 minutes)
  std::chrono::milliseconds data_end{0};    ///< reply after "." or BDAT LAST (RFC: 10 min)
};

/// Session settings. Plain aggregate with safe defaults.
struct protocol_options {
  /// The name sent with EHLO/HELO (RFC 5321 §4.1.1.1: FQDN or address literal).
  std::string helo_name = "localhost";
  /// Allow AUTH over a connection without TLS (credentials readable on the wire).
  bool allow_plaintext_auth = false;
  reply_limits limits{};      ///< bounds of the reply parser
  smtp::timeouts timeouts{};  ///< per-step deadlines
};

/// How to authenticate (RFC 4954). Plain aggregate.
struct auth_options {
  /// Force this SASL mechanism ("PLAIN", "SCRAM-SHA-256", ...). Empty: the strongest one the
  /// server offers that fits the credential kind (sasl::choose).
  std::string mechanism;
  /// Send the initial response on the AUTH line when the mechanism has one (SASL-IR, RFC 4954
  /// §4), unless the line would exceed 512 octets.
  bool initial_response = true;
  /// Passed to the mechanism (OAUTHBEARER host/port, SCRAM limits, test nonce).
  sasl::mechanism_options mechanism_options{};
};

enum class session_state {
  disconnected,  ///< never connected, or closed by quit()
  greeting,      ///< connecting: greeting, EHLO, STARTTLS in progress
  ready,         ///< commands may be sent
  failed,        ///< a fatal error happened: the connection is unusable
};

/// The sans-I/O SMTP session state shared by the operations (see the file comment).
class protocol {
 public:
  /// A disconnected session with these settings.
  explicit protocol(protocol_options o = {}) : opts_(std::move(o)), parser_(opts_.limits) {}

  /// The session state.
  session_state state() const noexcept { return state_; }
  /// True when the next operation may run (connected, no fatal error).
  bool usable() const noexcept { return state_ == session_state::ready; }
  /// What the last EHLO reply advertised.
  const smtp::capabilities& capabilities() const noexcept { return caps_; }
  /// True when the connection is encrypted (implicit TLS or after STARTTLS).
  bool tls_active() const noexcept { return tls_; }
  /// True after a successful AUTH.
  bool authenticated() const noexcept { return authenticated_; }
  /// The last complete reply from the server (untrusted text).
  const server_reply& last_reply() const noexcept { return last_; }
  /// The settings.
  protocol_options& options() noexcept { return opts_; }
  /// The settings, read-only.
  const protocol_options& options() const noexcept { return opts_; }

  // ---- for operations (src/smtp/) -------------------------------------------------
  /// Start a new connection: forget the old session.
  void begin_connect();
  /// Hand received bytes to the reply parser.
  void feed(std::string_view bytes) { parser_.feed(bytes); }
  /// The next complete reply (also stored as last_reply()); false: need more or `ec`.
  bool next_reply(server_reply& out, std::error_code& ec);
  /// The reply parser (with whatever it has buffered).
  reply_parser& parser() noexcept { return parser_; }
  /// Record an EHLO reply's capabilities.
  void set_capabilities(smtp::capabilities c);
  /// Record that TLS is active.
  void set_tls_active() noexcept { tls_ = true; }
  /// Record a successful AUTH.
  void set_authenticated() noexcept { authenticated_ = true; }
  /// Move to state `s`.
  void set_state(session_state s) noexcept { state_ = s; }
  /// A fatal error: the session is over.
  void set_failed() noexcept { state_ = session_state::failed; }
  /// Append a line to last_reply() (e.g. a SASL mechanism's decoded error detail).
  void annotate_last_reply(std::string line) { last_.lines.push_back(std::move(line)); }
  /// Record the last reply.
  void set_last_reply(server_reply r) { last_ = std::move(r); }

 private:
  protocol_options opts_;
  session_state state_ = session_state::disconnected;
  smtp::capabilities caps_;
  bool tls_ = false;
  bool authenticated_ = false;
  reply_parser parser_;
  server_reply last_;
};

/// RFC 3461 §4 xtext: "+" and "=" and bytes outside 33..126 become "+HH".
std::string xtext(std::string_view s);

/// Checks an addr-spec for the envelope: not empty, at most 256 octets (RFC 5321
/// §4.5.3.1.3), no CR, LF, NUL, other control characters, spaces, '<' or '>'.
/// Returns errc::bad_address or {}; sets `utf8` when it holds non-ASCII bytes.
std::error_code check_address(std::string_view addr, bool& utf8);

}  // namespace mailproto::smtp
