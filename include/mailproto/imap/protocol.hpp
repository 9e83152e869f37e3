// mailproto/imap/protocol.hpp — the sans-I/O IMAP session state shared by every operation.
//
// Theory of operation (RFC 9051 §3, state diagram in §3.5):
//
//   not_connected --connect--> (greeting)
//        * OK      -> not_authenticated      * PREAUTH -> authenticated
//        * BYE     -> failed (errc::bye)     anything else -> failed (errc::bad_greeting)
//   not_authenticated --LOGIN/AUTHENTICATE OK--> authenticated
//   authenticated --SELECT/EXAMINE OK--> selected --CLOSE/UNSELECT OK--> authenticated
//   selected --SELECT/EXAMINE NO--> authenticated (RFC 9051 §6.3.2: the old mailbox is closed)
//   any --LOGOUT--> logged_out ; any --BYE, EOF, timeout, parse error--> failed
//
//   After a fatal error the session is `failed` and every later operation ends at once with
//   net::errc::connection_unusable. Operations (src/imap/ops.cpp) drive the exchange; they
//   hand every untagged response to apply_untagged(), which keeps the capabilities and the
//   selected mailbox (EXISTS, EXPUNGE, FLAGS, PERMANENTFLAGS, UIDVALIDITY, HIGHESTMODSEQ...)
//   up to date and reports what the caller did not ask for as an `event` (RFC 9051 §5.2,
//   §7: a server may send EXISTS/EXPUNGE/FETCH at any time).
//
//   Tags are "a1", "a2", ... per connection (client_options::tag_prefix), deterministic so
//   that transcripts can match them.
#pragma once

#include <mailproto/imap/command_writer.hpp>
#include <mailproto/imap/response_parser.hpp>
#include <mailproto/imap/types.hpp>
#include <mailproto/net/options.hpp>
#include <mailproto/sasl/mechanism.hpp>
#include <mailproto/server_reply.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <system_error>

namespace mailproto::imap {

enum class session_state {
  not_connected,      ///< no connection yet
  not_authenticated,  ///< greeting `* OK`: STARTTLS, LOGIN, AUTHENTICATE (RFC 9051 §3.1)
  authenticated,      ///< logged in or PREAUTH: mailbox commands, SELECT (RFC 9051 §3.2)
  selected,           ///< a mailbox is selected: FETCH, STORE, SEARCH, ... (RFC 9051 §3.3)
  logged_out,         ///< LOGOUT completed (RFC 9051 §3.4)
  failed,             ///< fatal error (BYE, EOF, timeout, parse error): unusable
};

/// Known server deviations, as named switches (never scattered special cases). Some are
/// set from the greeting / ID by detect_quirks(); the caller may set any of them.
struct server_quirks {
  /// BODYSTRUCTURE is known to be wrong on this server (e.g. Exchange for some
  /// message/rfc822 parts, Yahoo for inline parts): fetch BODY.PEEK[] and parse locally
  /// with mailproto::mime instead of trusting it.
  bool bodystructure_unreliable = false;
  /// The server sends the SCRAM server-final as a "+ " continuation that must be answered
  /// with an empty line before the tagged OK (Dovecot; RFC 4422 §3.6 allows both). Always
  /// handled; recorded for information.
  bool sasl_final_as_continuation = false;
  /// Do not use LITERAL+ even when advertised (servers that advertise it and then stall).
  bool no_literal_plus = false;
};

/// Everything the IMAP client needs. Plain aggregate with safe defaults.
struct client_options {
  /// Where and how to connect. TLS: implicit (port 993) or STARTTLS (RFC 9051 §6.2.1).
  net::connect_options net;
  /// Allow LOGIN/AUTHENTICATE over a connection without TLS (explicit opt-in).
  bool allow_plaintext_auth = false;
  /// SASL mechanism to force ("" = the strongest offered that fits the credentials).
  std::string sasl_mechanism;
  /// Bounds of the response parser.
  parser_limits limits{};
  /// Known deviations of the server; detect_quirks() may add to them.
  server_quirks quirks{};
  /// Tags are this prefix and a counter from 1: "a1", "a2", ... (RFC 9051 §2.2.1).
  std::string tag_prefix = "a";
  /// Extensions to ENABLE right after authentication when offered (RFC 5161), e.g.
  /// {"UTF8=ACCEPT", "CONDSTORE", "QRESYNC", "IMAP4rev2"}. Empty: none.
  std::vector<std::string> enable;
};

/// The sans-I/O IMAP session state shared by the operations (see the file comment): state,
/// capabilities, enabled extensions, the selected mailbox, the response parser, tags, the
/// last reply and the event handler. Never touches a socket.
class protocol {
 public:
  /// A not_connected session with these options (the parser gets opts.limits).
  explicit protocol(client_options opts = {});

  ///@{
  /// The session's options.
  const client_options& options() const noexcept { return opts_; }
  client_options& options() noexcept { return opts_; }
  ///@}
  /// The session state (RFC 9051 §3).
  session_state state() const noexcept { return state_; }
  /// Move to state `s` (operations do this on the transitions of the file comment).
  void set_state(session_state s) noexcept { state_ = s; }
  /// True after a fatal error: every later operation ends with net::errc::connection_unusable.
  bool failed() const noexcept { return state_ == session_state::failed; }
  /// Enter `failed` (fatal error).
  void fail() noexcept { state_ = session_state::failed; }

  /// The capabilities last learned (CAPABILITY response or [CAPABILITY] code).
  const capabilities& caps() const noexcept { return caps_; }
  /// Record the server's capabilities (caps_known() is then true).
  void set_caps(capabilities c) {
    caps_ = std::move(c);
    caps_known_ = true;
  }
  /// Whether caps() holds what the server said (false after forget_caps()).
  bool caps_known() const noexcept { return caps_known_; }
  /// Discard the capabilities: after STARTTLS (RFC 9051 §6.2.1) and after authentication
  /// (unless its OK carried [CAPABILITY]) they must be learned again.
  void forget_caps() {
    caps_ = {};
    caps_known_ = false;
  }

  /// True when the connection is encrypted (implicit TLS or after STARTTLS).
  bool tls_active() const noexcept { return tls_; }
  /// Record whether TLS is active.
  void set_tls(bool on) noexcept { tls_ = on; }

  /// Extensions the server confirmed with ENABLED.
  const std::vector<std::string>& enabled() const noexcept { return enabled_; }
  /// Whether the server confirmed `ext` with ENABLED (case-insensitive).
  bool is_enabled(std::string_view ext) const noexcept;
  /// Record an extension as enabled (an ENABLED response, RFC 5161 §3.2, or CONDSTORE
  /// enabled by SELECT/EXAMINE (CONDSTORE), RFC 7162 §3.1).
  void add_enabled(std::string e) { enabled_.push_back(std::move(e)); }
  /// Mailbox names and quoted strings are UTF-8 (UTF8=ACCEPT or IMAP4rev2 enabled).
  bool utf8() const noexcept;
  /// The literal announcement to use (LITERAL+ / LITERAL- when offered).
  literal_mode lit_mode() const noexcept;

  ///@{
  /// The selected mailbox (valid in state `selected`).
  const mailbox_state& mailbox() const noexcept { return mbox_; }
  mailbox_state& mailbox() noexcept { return mbox_; }
  ///@}

  /// The response parser of this connection (holds bytes received but not yet parsed).
  response_parser& parser() noexcept { return parser_; }

  /// The tag the next command gets, and taking it.
  std::string peek_tag() const;
  /// The tag the command `k` places after the next one will get (pipelining).
  std::string opts_tag(std::size_t k) const;
  /// Takes the next tag: the one peek_tag() returned.
  std::string next_tag();

  /// A FETCH response an operation consumes itself (FETCH, STORE, pipeline): only its
  /// MODSEQ is tracked (RFC 7162 §3.1.4), without decoding it a second time for an event.
  void track_fetch_modseq(const response& r);

  /// The last status response recorded (tagged or BYE): untrusted server text.
  const server_reply& last_reply() const noexcept { return reply_; }
  /// Record a status response (tagged or untagged) as the last reply.
  void set_reply(const response& r);
  /// Record `r` as the last reply as it is.
  void set_reply(server_reply r) { reply_ = std::move(r); }

  /// Receives unsolicited events. Must not call back into the client (the session is in
  /// the middle of an operation when it runs).
  void set_event_handler(std::function<void(const event&)> h) { handler_ = std::move(h); }
  /// Hand `e` to the event handler, if one is set.
  void emit(const event& e) {
    if (handler_) handler_(e);
  }

  /// Update the session from a response (untagged, or the codes of a tagged one). `wanted`
  /// is true when the running operation consumes this response itself (it then goes to no
  /// handler). Returns the event it stands for, if any (emitted unless `wanted`).
  std::optional<event> apply_untagged(const response& r, bool wanted);
  /// Whether a BYE was received (its text is in last_reply()).
  bool bye_received() const noexcept { return bye_; }

  /// The server deviations in effect (options().quirks).
  server_quirks& quirks() noexcept { return opts_.quirks; }
  /// Sets quirks from what the server said about itself (greeting text, ID fields).
  void detect_quirks(std::string_view greeting, const id_fields& id = {});

  /// Set from another thread to ask a running IDLE to finish (client::stop_idle()).
  std::atomic<bool>& idle_stop() noexcept { return idle_stop_; }

 private:
  client_options opts_;
  session_state state_ = session_state::not_connected;
  capabilities caps_;
  bool caps_known_ = false;
  bool tls_ = false;
  bool bye_ = false;
  std::vector<std::string> enabled_;
  mailbox_state mbox_;
  response_parser parser_;
  unsigned long tag_ = 0;
  server_reply reply_;
  std::function<void(const event&)> handler_;
  std::atomic<bool> idle_stop_{false};
};

/// The server_reply of a status response: status "NO", enhanced = response code, text.
server_reply to_server_reply(const response& r);

}  // namespace mailproto::imap
