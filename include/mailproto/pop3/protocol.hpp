// mailproto/pop3/protocol.hpp — the sans-I/O POP3 session state (RFC 1939, 2449, 2595, 5034).
//
// Theory of operation
// -------------------
// A POP3 session (RFC 1939 §3) moves through these states:
//
//   disconnected --connect--> [greeting +OK] --> authorization
//   authorization: CAPA (RFC 2449 §5), STLS (RFC 2595 §4), USER/PASS (§7), APOP (§7),
//                  AUTH (RFC 5034), QUIT (§6: no update)
//        --successful PASS/APOP/AUTH--> transaction
//   transaction:   STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, CAPA (§5, RFC 2449)
//        --QUIT--> update (§6: the server removes the messages marked deleted) --> closed
//   any state --fatal error (EOF, timeout, malformed response, injection)--> failed
//
// Closing the connection without QUIT skips the update state: nothing marked with DELE
// is removed (RFC 1939 §6). The download-and-delete convenience relies on that: it only
// sends QUIT when every message it deleted was stored first.
//
// The protocol object owns the response parser, the capabilities, the APOP timestamp of
// the greeting, the numbers marked deleted, and the last server reply. Operations
// (src/pop3/) drive it; after a fatal error every later operation ends at once with
// net::errc::connection_unusable.
#pragma once

#include <mailproto/pop3/errc.hpp>
#include <mailproto/pop3/response_parser.hpp>
#include <mailproto/server_reply.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailproto::pop3 {

/// Session states (RFC 1939 §3), plus `disconnected` and `failed`.
enum class state {
  disconnected,   ///< not connected: never, or after QUIT / close()
  authorization,  ///< greeting received: CAPA, STLS, USER/PASS, APOP, AUTH (RFC 1939 §4)
  transaction,    ///< logged in: STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP (RFC 1939 §5)
  update,         ///< QUIT in transaction: the server removes the DELE'd messages (§6)
  failed,         ///< fatal error (EOF, timeout, bad response, injection): unusable
};

/// What CAPA (RFC 2449 §5) said. `known` is false before CAPA or when the server refused
/// it (an RFC 1939-only server): then every flag is false and the caller may still try.
struct capabilities {
  bool known = false;              ///< CAPA was answered with +OK
  std::vector<std::string> lines;  ///< the raw capability lines
  bool top = false;                ///< TOP (RFC 2449 §6.1)
  bool user = false;               ///< USER (§6.2)
  bool uidl = false;               ///< UIDL (§6.8)
  bool pipelining = false;         ///< PIPELINING (§6.6)
  bool resp_codes = false;         ///< RESP-CODES (§6.4)
  bool auth_resp_code = false;     ///< AUTH-RESP-CODE (RFC 3206 §6)
  bool stls = false;               ///< STLS (RFC 2595 §4)
  std::vector<std::string> sasl;   ///< SASL mechanisms (§6.3)
  std::string implementation;      ///< IMPLEMENTATION (§6.9), untrusted text
  std::string login_delay;         ///< LOGIN-DELAY argument (§6.5), or ""
  std::string expire;              ///< EXPIRE argument (§6.7), or ""

  /// True when a capability line's first word equals `name` (case-insensitive).
  bool has(std::string_view name) const;
  /// Parse the data lines of a CAPA response.
  static capabilities parse(const std::vector<std::string>& lines);
};

/// STAT (RFC 1939 §5): number of messages and their total size in octets.
struct mailbox_stat {
  std::uint32_t count = 0;  ///< number of messages (not counting those marked deleted)
  std::uint64_t size = 0;   ///< their total size in octets
};
/// One LIST entry (RFC 1939 §5): the size in octets as the server counts it (CRLF lines).
struct message_info {
  std::uint32_t number = 0;  ///< message number (1..count)
  std::uint64_t size = 0;    ///< size in octets
};
/// One UIDL entry (RFC 1939 §7): the unique-id is 1..70 characters 0x21..0x7E.
struct message_uid {
  std::uint32_t number = 0;  ///< message number (1..count)
  std::string uid;           ///< the server's unique id, stable across sessions
};
/// What QUIT did (RFC 1939 §6): the messages the update state removed.
struct quit_result {
  /// The numbers marked with DELE in this session, removed by the server (empty when QUIT
  /// came in the authorization state, or after RSET).
  std::vector<std::uint32_t> deleted;
  /// The server's text.
  std::string text;
};

/// Parses "n size" (LIST, §5) / "n uid" (UIDL, §7) data lines and "+OK n size" (STAT).
/// Return false on malformed input (numbers must be decimal, within range, n >= 1).
bool parse_list_line(std::string_view line, message_info& out);
bool parse_uidl_line(std::string_view line, message_uid& out);
bool parse_stat(std::string_view text, mailbox_stat& out);

/// The APOP timestamp of a greeting (RFC 1939 §7): the "<...>" msg-id, or "" if none.
std::string apop_timestamp(std::string_view greeting_text);
/// The APOP digest: lower-case hex MD5 of timestamp + secret (RFC 1939 §7).
std::string apop_digest(std::string_view timestamp, std::string_view secret);

/// Per-session settings the operations read.
struct protocol_options {
  parser_limits limits{};  ///< bounds of the response parser
  /// Send credentials (USER/PASS, APOP, AUTH) over a link without TLS. Off by default.
  bool allow_plaintext_auth = false;
  /// Most commands in flight when the server advertises PIPELINING (RFC 2449 §6.6).
  std::size_t pipeline_window = 16;
};

/// The sans-I/O POP3 session state shared by the operations (see the file comment).
class protocol {
 public:
  /// A disconnected session with these settings.
  explicit protocol(protocol_options o = {});

  /// Start a fresh session (a new connection): everything but the options is reset.
  void reset(protocol_options o);

  /// The session state (RFC 1939 §3).
  pop3::state state() const noexcept { return state_; }
  /// Move to state `s` (operations only).
  void set_state(pop3::state s) noexcept { state_ = s; }
  /// Fatal error: the session is over; later operations end with connection_unusable.
  void fail() noexcept { state_ = pop3::state::failed; }

  /// The settings.
  const protocol_options& options() const noexcept { return opts_; }
  /// The response parser (with whatever it has buffered).
  response_parser& parser() noexcept { return parser_; }

  /// What CAPA said last.
  const capabilities& caps() const noexcept { return caps_; }
  /// Record a CAPA answer.
  void set_caps(capabilities c) { caps_ = std::move(c); }
  /// Whether CAPA was asked on this (TLS) layer already.
  bool caps_asked() const noexcept { return caps_asked_; }
  /// See caps_asked().
  void set_caps_asked(bool b) noexcept { caps_asked_ = b; }

  /// True when the connection is encrypted.
  bool tls_active() const noexcept { return tls_active_; }
  /// Record that TLS is (or is not) active.
  void set_tls_active(bool b) noexcept { tls_active_ = b; }

  /// The greeting's text and its APOP timestamp ("" if none).
  const std::string& greeting() const noexcept { return greeting_; }
  /// The greeting's APOP timestamp ("<...>"), or "".
  const std::string& timestamp() const noexcept { return timestamp_; }
  /// Record the greeting's text (and extract its timestamp).
  void set_greeting(std::string text);

  /// The server's last status line (untrusted text).
  const server_reply& last_reply() const noexcept { return last_reply_; }
  /// Record the last status line.
  void set_last_reply(server_reply r) { last_reply_ = std::move(r); }

  /// Messages marked with DELE in this session (RFC 1939 §5), in the order marked.
  const std::vector<std::uint32_t>& marked() const noexcept { return marked_; }
  /// Record that message `n` was marked with DELE.
  void mark(std::uint32_t n) { marked_.push_back(n); }
  /// RSET: nothing is marked any more.
  void unmark_all() noexcept { marked_.clear(); }

  /// The window of commands in flight: pipeline_window with PIPELINING, else 1.
  std::size_t window() const noexcept;

  /// Where read hints go (pop3::client: net::connection::expect_bytes). Operations call
  /// expect_bytes before each read with a lower bound of the bytes still to come for the
  /// responses in flight (the RETR sizes LIST gave, less what was received).
  void on_expect_bytes(std::function<void(std::size_t)> f) { expect_ = std::move(f); }
  /// Pass a read hint on (nothing happens when no one listens).
  void expect_bytes(std::size_t n) {
    if (expect_) expect_(n);
  }

 private:
  protocol_options opts_;
  pop3::state state_ = pop3::state::disconnected;
  response_parser parser_;
  capabilities caps_;
  bool caps_asked_ = false;
  bool tls_active_ = false;
  std::string greeting_;
  std::string timestamp_;
  server_reply last_reply_;
  std::vector<std::uint32_t> marked_;
  std::function<void(std::size_t)> expect_;
};

}  // namespace mailproto::pop3
