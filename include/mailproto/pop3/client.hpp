// mailproto/pop3/client.hpp — the POP3 client: sync (error_code or throwing) and async.
//
//     pop3::client c;
//     c.connect({.net = {.host = "127.0.0.1", .port = 995, .tls = net::tls_mode::implicit,
//                        .tls_opts = {.cafile = "ca.pem"}}});
//     c.login("bob", password);                     // USER/PASS (PASS is <redacted> in traces)
//     for (auto m : c.list()) std::cout << m.number << ' ' << m.size << '\n';
//     std::string raw;
//     mailproto::string_sink sink(raw);
//     c.retr(1, sink);                              // streamed, dot-unstuffed
//     c.dele(1);
//     auto q = c.quit();                            // q.deleted == {1}: the update state ran
//
// Every operation comes in three forms (style.md §8): `R f(args..., std::error_code&)`,
// throwing `R f(args...)` (mailproto::error with last_reply()), and
// `async_f(args..., token)` taking any Asio completion token (callbacks, use_future,
// use_awaitable, deferred) with signature void(std::error_code, R), or void(std::error_code)
// when R is void. Async operations support per-operation cancellation through the token's
// cancellation slot, and every step has the deadline of net::connect_options (io_timeout).
//
// Errors: pop3::errc (rejected, temporarily_rejected for [IN-USE]/[LOGIN-DELAY]/[SYS/TEMP],
// authentication_failed, ...), net::errc, sasl::errc, or the sink's own error; the server's
// reply is in last_reply() (status "-ERR", enhanced "IN-USE", lines {text}).
// A RETR whose connection drops before the "." terminator ends with
// net::errc::connection_closed and the sink's finish() is NOT called.
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/net/connection.hpp>
#include <mailproto/pop3/detail/ops.hpp>
#include <mailproto/pop3/fetch.hpp>
#include <mailproto/pop3/protocol.hpp>
#include <mailproto/sasl/mechanism.hpp>

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace mailproto::pop3 {

/// Everything a POP3 session needs. Plain aggregate with safe defaults.
struct client_options {
  /// Where and how to connect. Default TLS mode: starttls (STLS required, RFC 2595).
  net::connect_options net{};
  /// Allow USER/PASS, APOP and AUTH over a link without TLS (off by default).
  bool allow_plaintext_auth = false;
  /// Parser bounds (max_line is taken from net.max_line when left at the default).
  parser_limits limits{};
  /// Commands in flight when the server advertises PIPELINING (RFC 2449 §6.6).
  std::size_t pipeline_window = 16;
};

/// A POP3 client (RFC 1939, 2449, 2595, 5034): every command as a sync call setting an
/// error_code, a throwing call, and an async_ call taking any Asio completion token.
class client {
 public:
  /// Synchronous client with its own io_context.
  client();
  /// Asynchronous client whose I/O runs on `ex`.
  explicit client(asio::any_io_executor ex);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // ---- connect: TCP (+ implicit TLS), greeting, STLS per options.net.tls ---------------
  ///@{
  /// Connect: TCP (+ implicit TLS), the greeting, CAPA, STLS as o.net.tls says (RFC 2595 §4).
  void connect(const client_options& o, std::error_code& ec);
  void connect(const client_options& o);
  template <class Token>
  auto async_connect(const client_options& o, Token&& token) {
    prepare(o);
    return conn_.async_run_owned(detail::make_connect_op(proto_, o.net.tls),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---- CAPA (RFC 2449 §5): an old server's -ERR gives capabilities{.known = false} -----
  ///@{
  /// CAPA (RFC 2449 §5); an old server's -ERR gives capabilities{.known = false}.
  capabilities capa(std::error_code& ec);
  capabilities capa();
  template <class Token>
  auto async_capa(Token&& token) {
    return conn_.async_run_owned(detail::make_capa_op(proto_), std::forward<Token>(token));
  }
  ///@}

  // ---- USER/PASS (RFC 1939 §7) ----------------------------------------------------------
  ///@{
  /// USER/PASS (RFC 1939 §7). Refused without TLS unless allow_plaintext_auth.
  void login(const std::string& user, const std::string& pass, std::error_code& ec);
  void login(const std::string& user, const std::string& pass);
  template <class Token>
  auto async_login(const std::string& user, const std::string& pass, Token&& token) {
    return conn_.async_run_owned(detail::make_login_op(proto_, user, pass),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---- APOP (RFC 1939 §7): errc::apop_not_offered when the greeting has no timestamp ----
  ///@{
  /// APOP (RFC 1939 §7); errc::apop_not_offered when the greeting has no timestamp.
  void apop(const std::string& user, const std::string& secret, std::error_code& ec);
  void apop(const std::string& user, const std::string& secret);
  template <class Token>
  auto async_apop(const std::string& user, const std::string& secret, Token&& token) {
    return conn_.async_run_owned(detail::make_apop_op(proto_, user, secret),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---- AUTH (RFC 5034) with the shared SASL mechanisms; `mechanism` "" = choose ---------
  ///@{
  /// AUTH (RFC 5034) with the shared SASL mechanisms; `mechanism` "" = the strongest offered.
  void authenticate(const sasl::credentials& creds, const std::string& mechanism,
                    std::error_code& ec);
  void authenticate(const sasl::credentials& creds, const std::string& mechanism = {});
  template <class Token>
  auto async_authenticate(const sasl::credentials& creds, const std::string& mechanism,
                          Token&& token) {
    return conn_.async_run_owned(detail::make_auth_op(proto_, creds, mechanism, mech_options()),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---- STAT, LIST, UIDL (RFC 1939 §5, §7) -------------------------------------------------
  ///@{
  /// STAT (RFC 1939 §5): number of messages and total size.
  mailbox_stat stat(std::error_code& ec);
  mailbox_stat stat();
  template <class Token>
  auto async_stat(Token&& token) {
    return conn_.async_run_owned(detail::make_stat_op(proto_), std::forward<Token>(token));
  }
  ///@}

  ///@{
  /// LIST (RFC 1939 §5): the size of every message.
  std::vector<message_info> list(std::error_code& ec);
  std::vector<message_info> list();
  template <class Token>
  auto async_list(Token&& token) {
    return conn_.async_run_owned(detail::make_list_op(proto_), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// LIST n (RFC 1939 §5): the size of message `n`.
  message_info list(std::uint32_t n, std::error_code& ec);
  message_info list(std::uint32_t n);
  template <class Token>
  auto async_list(std::uint32_t n, Token&& token) {
    return conn_.async_run_owned(detail::make_list_one_op(proto_, n), std::forward<Token>(token));
  }
  ///@}

  ///@{
  /// UIDL (RFC 1939 §7): the unique id of every message.
  std::vector<message_uid> uidl(std::error_code& ec);
  std::vector<message_uid> uidl();
  template <class Token>
  auto async_uidl(Token&& token) {
    return conn_.async_run_owned(detail::make_uidl_op(proto_), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// UIDL n (RFC 1939 §7): the unique id of message `n`.
  message_uid uidl(std::uint32_t n, std::error_code& ec);
  message_uid uidl(std::uint32_t n);
  template <class Token>
  auto async_uidl(std::uint32_t n, Token&& token) {
    return conn_.async_run_owned(detail::make_uidl_one_op(proto_, n), std::forward<Token>(token));
  }
  ///@}

  // ---- RETR / TOP: stream into `sink` (must outlive the operation); returns the bytes ----
  ///@{
  /// RETR n (RFC 1939 §5): stream message `n` into `sink` (which must outlive the
  /// operation; finish() only when it arrived whole); returns the bytes delivered.
  std::uint64_t retr(std::uint32_t n, byte_sink& sink, std::error_code& ec);
  std::uint64_t retr(std::uint32_t n, byte_sink& sink);
  template <class Token>
  auto async_retr(std::uint32_t n, byte_sink& sink, Token&& token) {
    return conn_.async_run_owned(detail::make_retr_op(proto_, n, sink), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// TOP n lines (RFC 1939 §7): the header and the first `lines` body lines, into `sink`.
  std::uint64_t top(std::uint32_t n, std::uint32_t lines, byte_sink& sink, std::error_code& ec);
  std::uint64_t top(std::uint32_t n, std::uint32_t lines, byte_sink& sink);
  template <class Token>
  auto async_top(std::uint32_t n, std::uint32_t lines, byte_sink& sink, Token&& token) {
    return conn_.async_run_owned(detail::make_top_op(proto_, n, lines, sink),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---- DELE, RSET, NOOP, QUIT (RFC 1939 §5, §6) -------------------------------------------
  ///@{
  /// DELE n (RFC 1939 §5): mark message `n`; it is removed only by QUIT (the update state).
  void dele(std::uint32_t n, std::error_code& ec);
  void dele(std::uint32_t n);
  template <class Token>
  auto async_dele(std::uint32_t n, Token&& token) {
    return conn_.async_run_owned(detail::make_dele_op(proto_, n), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// RSET (RFC 1939 §5): unmark every message marked with DELE.
  void rset(std::error_code& ec);
  void rset();
  template <class Token>
  auto async_rset(Token&& token) {
    return conn_.async_run_owned(detail::make_rset_op(proto_), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// NOOP (RFC 1939 §5).
  void noop(std::error_code& ec);
  void noop();
  template <class Token>
  auto async_noop(Token&& token) {
    return conn_.async_run_owned(detail::make_noop_op(proto_), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// Ends the session; in the transaction state the server removes the messages marked
  /// with DELE (the update state) and quit_result::deleted lists them.
  quit_result quit(std::error_code& ec);
  quit_result quit();
  template <class Token>
  auto async_quit(Token&& token) {
    return conn_.async_run_owned(detail::make_quit_op(proto_), std::forward<Token>(token));
  }
  ///@}

  // ---- download and keep / download and delete (fetch.hpp) --------------------------------
  ///@{
  /// Download and keep, or download and delete (fetch.hpp): DELE only after a message's
  /// sink finished, QUIT only when every deleted message was stored.
  fetch_result fetch(fetch_options o, std::error_code& ec);
  fetch_result fetch(fetch_options o);
  template <class Token>
  auto async_fetch(fetch_options o, Token&& token) {
    return conn_.async_run_owned(detail::make_fetch_op(proto_, std::move(o)),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---- state ------------------------------------------------------------------------------
  /// The server's last status line (untrusted text).
  const server_reply& last_reply() const noexcept { return proto_.last_reply(); }
  /// What CAPA said (asked during connect, again after STLS).
  const capabilities& caps() const noexcept { return proto_.caps(); }
  /// The session state (RFC 1939 §3).
  pop3::state state() const noexcept { return proto_.state(); }
  /// The greeting text (after "+OK") and its APOP timestamp ("" if none).
  const std::string& greeting() const noexcept { return proto_.greeting(); }
  /// True when the connection is encrypted (implicit TLS or after STLS).
  bool tls_active() const noexcept { return proto_.tls_active(); }
  /// The underlying connection (TLS details, trace, cancel()).
  net::connection& connection() noexcept { return conn_; }
  /// Close the connection without QUIT (no update state: nothing is deleted).
  void close();

 private:
  void prepare(const client_options& o);
  sasl::mechanism_options mech_options() const;
  net::connection conn_;
  protocol proto_;
};

}  // namespace mailproto::pop3
