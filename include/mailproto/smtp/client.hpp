// mailproto/smtp/client.hpp — an SMTP submission client (RFC 5321, RFC 6409), sync and async.
//
//   smtp::client c;                                    // sync: owns its io_context
//   c.connect({.host = "smtp.example.test", .port = 587, .tls = net::tls_mode::starttls});
//   c.login("alice", "secret");                         // AUTH, strongest mechanism offered
//   auto r = c.send(source, {.from = "alice@example.test", .recipients = {"bob@example.test"}});
//   c.quit();
//
// Every operation comes three ways (as in Asio):
//   R f(args..., std::error_code& ec)       sets ec; last_reply() holds the server's words
//   R f(args...)                             throws mailproto::error (code + last reply)
//   auto async_f(args..., CompletionToken)   callback, asio::use_future, asio::use_awaitable,
//                                            ...; signature void(std::error_code[, R]);
//                                            completes on the token's associated executor
// Async operations support per-operation cancellation (the token's cancellation slot) and
// every step has a deadline (client_options::session.timeouts, else net io_timeout).
// After a fatal error (mailproto::is_fatal) or a cancellation, usable() is false and the
// client must reconnect; after a refusal (550 to RCPT, 535 to AUTH) it stays usable.
// Only one operation may run at a time (else net::errc::operation_in_progress).
#pragma once

#include <mailproto/error.hpp>
#include <mailproto/io.hpp>
#include <mailproto/net/connection.hpp>
#include <mailproto/sasl/mechanism.hpp>
#include <mailproto/smtp/capabilities.hpp>
#include <mailproto/smtp/detail/ops.hpp>
#include <mailproto/smtp/envelope.hpp>
#include <mailproto/smtp/errc.hpp>
#include <mailproto/smtp/protocol.hpp>

#include <asio/any_io_executor.hpp>

#include <span>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::smtp {

namespace detail {
struct client_access;
}

/// What client::send_batch throws when the batch ended early (the session failed): the
/// error, the server's last reply, and every message's result, so that the caller still
/// knows which messages the server took (result.delivered) and which to send again.
class batch_error : public mailproto::error {
 public:
  /// `ec` and `reply` as for mailproto::error; `results` one per message of the batch.
  batch_error(std::error_code ec, server_reply reply, std::vector<batch_result> results);
  /// One result per message, in the order given; delivered ones are the server's now.
  const std::vector<batch_result>& results() const noexcept { return results_; }

 private:
  std::vector<batch_result> results_;
};

/// Everything a client needs. Plain aggregate:
/// smtp::client_options{.net = {.host = "127.0.0.1", .port = 587}, .session = {...}}.
struct client_options {
  /// Where and how to connect: host, port, TLS mode (implicit TLS or STARTTLS, RFC 3207),
  /// deadlines and the trace. connect() replaces it with the options it is given.
  net::connect_options net{};
  /// The session: the EHLO/HELO name, step deadlines, authentication and sending policy.
  protocol_options session{};
};

/// An SMTP client for submission and relay (RFC 5321, 3207 STARTTLS, 4954 AUTH, 3030 BDAT,
/// 2920 PIPELINING): every command as a sync call setting an error_code, a throwing call,
/// and an async_ call taking any Asio completion token.
class client {
 public:
  /// A synchronous client with its own io_context.
  explicit client(client_options o = {});
  /// An asynchronous client whose I/O runs on `ex`.
  explicit client(asio::any_io_executor ex, client_options o = {});
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // ---------------------------------------------------------------- connect
  ///@{
  /// Connect to `o` (replacing options().net): TCP (+TLS if implicit), greeting, EHLO
  /// (HELO on 5xx), STARTTLS per o.tls and EHLO again. Errors: connection errors (OS),
  /// net::errc (timeout, certificate_verify_failed, starttls_not_offered,
  /// data_before_tls_handshake, ...), errc::tls_mode_mismatch, greeting_refused,
  /// service_closing, bad_reply, reply category (EHLO/HELO refused).
  void connect(const net::connect_options& o, std::error_code& ec);
  void connect(const net::connect_options& o);
  template <class Token>
  auto async_connect(const net::connect_options& o, Token&& token) {
    conn_.set_options(o);
    opts_.net = o;
    return conn_.async_run_owned(detail::make_connect_op(proto_, o.tls),
                                 std::forward<Token>(token));
  }
  ///@}

  // ---------------------------------------------------------------- authenticate
  ///@{
  /// AUTH with a user name and password (RFC 4954): the strongest mechanism offered.
  /// Errors: errc::auth_failed (535/534/454...; last_reply() says why), auth_not_offered,
  /// net::errc::plaintext_auth_refused (no TLS), sasl::errc (no common mechanism, ...).
  void login(std::string_view user, std::string_view password, std::error_code& ec);
  void login(std::string_view user, std::string_view password);
  template <class Token>
  auto async_login(std::string_view user, std::string_view password, Token&& token) {
    return async_authenticate(
        sasl::credentials::with_password(std::string(user), std::string(password)), {},
        std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// AUTH with any credential kind (password or OAuth token) and options.
  void authenticate(const sasl::credentials& c, const auth_options& o, std::error_code& ec);
  void authenticate(const sasl::credentials& c, const auth_options& o = {});
  template <class Token>
  auto async_authenticate(const sasl::credentials& c, const auth_options& o, Token&& token) {
    return conn_.async_run_owned(detail::make_auth_op(proto_, c, o), std::forward<Token>(token));
  }
  ///@}

  // ---------------------------------------------------------------- send
  ///@{
  /// Send one message: `message` is read in chunks (it must stay alive until the operation
  /// completes). The result lists every recipient with its reply, also on failure. A refused
  /// recipient does not stop the send when another was accepted (unless
  /// opts.all_or_nothing). Errors: errc (no_recipients, bad_address, smtputf8_required,
  /// message_too_large, all_recipients_rejected, recipients_deferred, ...), the reply
  /// category (MAIL or DATA refused: 550, 452, ...), the source's own error, net errors.
  send_result send(byte_source& message, const envelope& env, const send_options& opts,
                   std::error_code& ec);
  send_result send(byte_source& message, const envelope& env, std::error_code& ec) {
    return send(message, env, send_options{}, ec);
  }
  send_result send(byte_source& message, const envelope& env, const send_options& opts = {});
  template <class Token>
  auto async_send(byte_source& message, const envelope& env, const send_options& opts,
                  Token&& token) {
    return conn_.async_run_owned(detail::make_send_op(proto_, message, env, opts),
                                 std::forward<Token>(token));
  }
  template <class Token>
  auto async_send(byte_source& message, const envelope& env, Token&& token) {
    return async_send(message, env, send_options{}, std::forward<Token>(token));
  }
  ///@}
  /// The same with a source the operation owns (and destroys when it completes), so the
  /// caller keeps nothing alive. A null `message` completes with std::errc::invalid_argument.
  template <class Token>
  auto async_send(std::unique_ptr<byte_source> message, const envelope& env,
                  const send_options& opts, Token&& token) {
    return conn_.async_run_owned(detail::make_send_op(proto_, std::move(message), env, opts),
                                 std::forward<Token>(token));
  }

  // ---------------------------------------------------------------- several messages
  ///@{
  /// Send several messages over this session, one mail transaction each, in order: the way
  /// to send many messages. Each message is sent exactly as send() would send it (same
  /// validation, SIZE, DATA or BDAT, per-recipient results, `opts` for every message), but
  /// with PIPELINING (RFC 2920 §3.1: "the actual transfer of message content is explicitly
  /// allowed to be the first 'command' in a group") the end of one message's data goes in
  /// the same write as the next message's MAIL FROM, RCPT TO... and DATA, so a small
  /// message costs one round trip, not two. Every reply is still read and matched in order.
  ///
  /// Returns one batch_result per message, in order, also on failure. A refusal of one
  /// message (MAIL or RCPT refused, 5xx after the data) fails only that message; the next
  /// one starts cleanly (after RSET when the server still holds a transaction). A message
  /// counts as sent only once its final reply (250 after "." or BDAT LAST) was received.
  /// `ec` is set only when the batch ended early because the session failed (connection
  /// lost, timeout, 421, protocol violation): the message in progress then has that error,
  /// and the ones after it net::errc::connection_unusable (not sent). The throwing form
  /// throws smtp::batch_error, which carries the results. Each source must stay alive until
  /// the batch completes; the envelopes are copied.
  std::vector<batch_result> send_batch(std::span<const batch_message> messages,
                                       const send_options& opts, std::error_code& ec);
  std::vector<batch_result> send_batch(std::span<const batch_message> messages,
                                       std::error_code& ec) {
    return send_batch(messages, send_options{}, ec);
  }
  std::vector<batch_result> send_batch(std::span<const batch_message> messages,
                                       const send_options& opts = {});
  /// Completion signature: void(std::error_code, std::vector<batch_result>).
  template <class Token>
  auto async_send_batch(std::span<const batch_message> messages, const send_options& opts,
                        Token&& token) {
    return conn_.async_run_owned(
        detail::make_batch_op(proto_, std::vector<batch_message>(messages.begin(), messages.end()),
                              opts),
        std::forward<Token>(token));
  }
  template <class Token>
  auto async_send_batch(std::span<const batch_message> messages, Token&& token) {
    return async_send_batch(messages, send_options{}, std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// The same batch as a stream, for any number of messages in constant memory (a mailing
  /// list, a queue being drained): `next()` supplies the messages one at a time (nullptr:
  /// no more), and `report(index, result)` receives each message's result as soon as its
  /// final reply (or its failure) is known, usually in order; nothing is kept. Everything
  /// else is as for the vector form: the same pipelining, the same per-message outcome.
  /// A message, and its source, must stay valid until its result has been reported: at most
  /// two are in flight (batch_next), so two message objects used in turn are enough.
  /// Returns the number of messages taken from `next`. After a session failure (`ec`, as
  /// for the vector form) no further message is taken; the ones taken are all reported. A
  /// callback that throws also ends the batch: no further message is taken, the ones taken
  /// finish and are still reported (nothing sent goes unreported; the first exception is
  /// kept, later ones are dropped), and then the synchronous forms rethrow it, with the
  /// session at rest; the asynchronous one completes with net::errc::cancelled. The
  /// throwing form throws mailproto::error for a session failure.
  std::size_t send_batch(const batch_next& next, const batch_report& report,
                         const send_options& opts, std::error_code& ec);
  std::size_t send_batch(const batch_next& next, const batch_report& report, std::error_code& ec) {
    return send_batch(next, report, send_options{}, ec);
  }
  std::size_t send_batch(const batch_next& next, const batch_report& report,
                         const send_options& opts = {});
  /// Completion signature: void(std::error_code, std::size_t). The callbacks run on the
  /// connection's executor.
  template <class Token>
  auto async_send_batch(batch_next next, batch_report report, const send_options& opts,
                        Token&& token) {
    return conn_.async_run_owned(
        detail::make_batch_stream_op(proto_, std::move(next), std::move(report), opts),
        std::forward<Token>(token));
  }
  template <class Token>
  auto async_send_batch(batch_next next, batch_report report, Token&& token) {
    return async_send_batch(std::move(next), std::move(report), send_options{},
                            std::forward<Token>(token));
  }
  ///@}

  // ---------------------------------------------------------------- small commands
  ///@{
  /// NOOP (RFC 5321 §4.1.1.9): keeps the session alive, checks it works.
  void noop(std::error_code& ec);
  void noop();
  template <class Token>
  auto async_noop(Token&& token) {
    return conn_.async_run_owned(detail::make_noop_op(proto_), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// RSET (RFC 5321 §4.1.1.5): abort a transaction.
  void reset(std::error_code& ec);
  void reset();
  template <class Token>
  auto async_reset(Token&& token) {
    return conn_.async_run_owned(detail::make_reset_op(proto_), std::forward<Token>(token));
  }
  ///@}
  ///@{
  /// QUIT (RFC 5321 §4.1.1.10) and close. Never fails: a server that hung up is fine.
  void quit(std::error_code& ec);
  void quit();
  template <class Token>
  auto async_quit(Token&& token) {
    return conn_.async_run_owned(detail::make_quit_op(proto_), std::forward<Token>(token));
  }
  ///@}

  // ---------------------------------------------------------------- state
  /// The server's last reply (also after errors). Untrusted text.
  const server_reply& last_reply() const noexcept { return proto_.last_reply(); }
  /// What the server advertised in its (last) EHLO reply.
  const smtp::capabilities& capabilities() const noexcept { return proto_.capabilities(); }
  /// True when the session can take another command (connected, no fatal error).
  bool usable() const { return proto_.usable() && conn_.is_open(); }
  /// Where the session is (protocol.hpp: disconnected, greeting, ready, failed).
  session_state state() const noexcept { return proto_.state(); }
  /// True after a successful AUTH (RFC 4954 §4: 235) in this session.
  bool authenticated() const noexcept { return proto_.authenticated(); }
  /// The TLS details of the connection (version, cipher, peer certificate), if TLS is active.
  const net::tls_info& tls() const { return conn_.tls(); }
  /// Cancel the running async operation (it completes with net::errc::cancelled and the
  /// session is then unusable: the server's state is unknown).
  void cancel() { conn_.cancel(); }
  /// The options given to the constructor, with `net` as the last connect() set it.
  const client_options& options() const noexcept { return opts_; }
  /// The underlying connection (TLS details, trace, deadlines).
  net::connection& connection() noexcept { return conn_; }
  /// The executor the I/O runs on (the own io_context's, or the one given).
  asio::any_io_executor get_executor() const { return conn_.get_executor(); }

 private:
  friend struct detail::client_access;  // smtp/send.hpp's async_send_message
  client_options opts_;
  net::connection conn_;
  protocol proto_;
};

}  // namespace mailproto::smtp
