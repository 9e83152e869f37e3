// mailproto/imap/client.hpp — the IMAP client: sync and async API over one state machine.
//
//   imap::client c;                                         // sync: owns its io_context
//   c.connect({.net = {.host = "127.0.0.1", .port = 143, .tls = net::tls_mode::starttls,
//                      .tls_opts = {.cafile = ca}}});
//   c.login("bob", password);
//   for (auto& f : c.list("", "*")) std::cout << f.name << '\n';
//   c.select("INBOX");
//   auto found = c.search(imap::search_key::unseen());
//   c.fetch(imap::sequence_set::of(found.ids), imap::fetch_items{}.uid().envelope());
//   c.logout();
//
// Every operation comes three ways: `f(args..., std::error_code&)`, throwing `f(args...)`
// (mailproto::error carrying last_reply()), and `async_f(args..., token)` for any Asio
// completion token (callback, use_future, use_awaitable, deferred); the completion
// signature is void(std::error_code, R) or void(std::error_code). One operation at a time
// per client. A server refusal is imap::errc::no / bad / unavailable with the server's text
// and response code in last_reply() (status "NO", enhanced "TRYCREATE"); a BYE, EOF, timeout
// or malformed response is fatal (mailproto::is_fatal) and the client must reconnect.
//
// Unsolicited responses (EXISTS, EXPUNGE, FETCH flag changes, ALERT, BYE) update
// selected() and reach the handler set with set_event_handler(); the handler runs inside
// the running operation and must not call back into the client.
#pragma once

#include <mailproto/error.hpp>
#include <mailproto/imap/detail/ops.hpp>
#include <mailproto/imap/errc.hpp>
#include <mailproto/imap/protocol.hpp>
#include <mailproto/imap/types.hpp>
#include <mailproto/net/connection.hpp>

#include <asio/any_io_executor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mailproto::imap {

/// An IMAP client (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1, with STARTTLS, SASL, IDLE,
/// CONDSTORE/QRESYNC, UIDPLUS, MOVE, ESEARCH, LITERAL+, ...): every command as a sync call
/// setting an error_code, a throwing call, and an async_ call taking any Asio completion
/// token (see the file comment). One operation at a time.
class client {
 public:
  /// Synchronous use: the client runs its own io_context.
  client();
  /// Asynchronous use on `ex` (sync calls then need another thread running `ex`).
  explicit client(asio::any_io_executor ex);
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client();

  // ---- state
  /// The session state (RFC 9051 §3): not_connected, not_authenticated, authenticated,
  /// selected, logged_out, or failed after a fatal error.
  session_state state() const noexcept { return proto_->state(); }
  /// The server's capabilities as last learned (greeting code, CAPABILITY, after STARTTLS
  /// and after authentication).
  const capabilities& caps() const noexcept { return proto_->caps(); }
  /// The selected mailbox (valid in state `selected`), kept up to date by the untagged
  /// EXISTS, EXPUNGE, VANISHED, FLAGS and FETCH responses.
  const mailbox_state& selected() const noexcept { return proto_->mailbox(); }
  /// The last status response (tagged or BYE): untrusted server text.
  const server_reply& last_reply() const noexcept { return proto_->last_reply(); }
  /// The TLS details of the connection (version, cipher, peer certificate), if TLS is active.
  const net::tls_info& tls() const { return conn_.tls(); }
  /// The server deviations in effect (set from the greeting / ID, or by the caller).
  server_quirks& quirks() noexcept { return proto_->quirks(); }
  /// The sans-I/O session state shared by the operations (protocol.hpp).
  protocol& session() noexcept { return *proto_; }
  /// The underlying connection (TLS details, trace, deadlines).
  net::connection& connection() noexcept { return conn_; }
  /// See the class comment: the handler must not call back into the client.
  void set_event_handler(std::function<void(const event&)> h);
  /// Ask a running idle() to send DONE and finish (thread-safe).
  void stop_idle();
  /// Cancel the running operation (completes with net::errc::cancelled).
  void cancel();

  // ---- connection
  ///@{
  /// Connect, read the greeting, learn capabilities, STARTTLS as options.net.tls says.
  void connect(const client_options& o, std::error_code& ec);
  void connect(const client_options& o);
  template <class Token>
  auto async_connect(const client_options& o, Token&& token) {
    prepare(o);
    return conn_.async_run_owned(detail::make_connect_op(*proto_), std::forward<Token>(token));
  }
  ///@}

#define MAILPROTO_IMAP_OP(R, name, params, args, factory)                      \
  R name(MAILPROTO_IMAP_UNPAREN params, std::error_code& ec);                  \
  R name(MAILPROTO_IMAP_UNPAREN params);                                       \
  template <class Token>                                                       \
  auto async_##name(MAILPROTO_IMAP_UNPAREN params, Token&& token) {            \
    return conn_.async_run_owned(detail::factory, std::forward<Token>(token)); \
  }
#define MAILPROTO_IMAP_OP0(R, name, factory)                                   \
  R name(std::error_code& ec);                                                 \
  R name();                                                                    \
  template <class Token>                                                       \
  auto async_##name(Token&& token) {                                           \
    return conn_.async_run_owned(detail::factory, std::forward<Token>(token)); \
  }
#define MAILPROTO_IMAP_UNPAREN(...) __VA_ARGS__

  ///@{
  /// LOGIN (RFC 9051 §6.2.3). Refused without TLS unless allow_plaintext_auth.
  MAILPROTO_IMAP_OP(void, login, (const std::string& user, const std::string& password), _,
                    make_login_op(*proto_, user, password))
  ///@}
  ///@{
  /// AUTHENTICATE with the strongest shared SASL mechanism (SASL-IR when offered).
  MAILPROTO_IMAP_OP(void, authenticate, (const sasl::credentials& creds), _,
                    make_authenticate_op(*proto_, creds))
  ///@}
  ///@{
  /// CAPABILITY (also refreshes caps()).
  MAILPROTO_IMAP_OP0(capabilities, capability, make_capability_op(*proto_))
  ///@}
  ///@{
  /// ENABLE (RFC 5161); returns what the server enabled.
  MAILPROTO_IMAP_OP(std::vector<std::string>, enable, (std::vector<std::string> extensions), _,
                    make_enable_op(*proto_, std::move(extensions)))
  ///@}
  ///@{
  /// ID (RFC 2971): send ours (empty = NIL), get the server's.
  MAILPROTO_IMAP_OP(id_fields, id, (id_fields fields), _, make_id_op(*proto_, std::move(fields)))
  ///@}
  ///@{
  /// NAMESPACE (RFC 2342).
  MAILPROTO_IMAP_OP0(namespace_info, get_namespace, make_namespace_op(*proto_))
  ///@}
  ///@{
  /// LIST reference pattern; names decoded to UTF-8; RETURN (SPECIAL-USE [STATUS]) if offered.
  MAILPROTO_IMAP_OP(std::vector<list_entry>, list,
                    (const std::string& reference, const std::string& pattern, list_options o), _,
                    make_list_op(*proto_, reference, pattern, o, false))
  ///@}
  ///@{
  /// LSUB (IMAP4rev1; deprecated in IMAP4rev2).
  MAILPROTO_IMAP_OP(std::vector<list_entry>, lsub,
                    (const std::string& reference, const std::string& pattern), _,
                    make_list_op(*proto_, reference, pattern, {}, true))
  ///@}
  ///@{
  /// STATUS mailbox (items: status_item bits).
  MAILPROTO_IMAP_OP(status_info, status, (const std::string& mailbox, unsigned items), _,
                    make_status_op(*proto_, mailbox, items))
  ///@}
  ///@{
  /// STATUS of several mailboxes, the commands pipelined in one write (RFC 9051 §5.5);
  /// one entry per mailbox, each with its own error (a NO for one does not fail the rest).
  MAILPROTO_IMAP_OP(std::vector<status_entry>, status_many,
                    (std::vector<std::string> mailboxes, unsigned items), _,
                    make_status_many_op(*proto_, std::move(mailboxes), items))
  ///@}
  ///@{
  /// Several FETCH / STORE / SEARCH / STATUS commands pipelined (RFC 9051 §5.5): written
  /// together (split only where the RFC's ambiguity rule requires waiting), each completion
  /// matched to its command by tag. One batch_result per command, in order; a NO/BAD for one
  /// command fails only that entry. See command_batch.
  MAILPROTO_IMAP_OP(std::vector<batch_result>, pipeline, (command_batch batch), _,
                    make_batch_op(*proto_, std::move(batch)))
  ///@}
  ///@{
  /// SELECT / EXAMINE.
  MAILPROTO_IMAP_OP(mailbox_state, select, (const std::string& mailbox), _,
                    make_select_op(*proto_, mailbox, false))
  ///@}
  ///@{
  /// EXAMINE (RFC 9051 §6.3.3): like SELECT, but the mailbox is opened read-only.
  MAILPROTO_IMAP_OP(mailbox_state, examine, (const std::string& mailbox), _,
                    make_select_op(*proto_, mailbox, true))
  ///@}
  ///@{
  /// SELECT / EXAMINE with (CONDSTORE) or (QRESYNC (...)) (RFC 7162 §3.1.8, §3.2.5); with
  /// QRESYNC the result's `vanished` and `changed` say what happened since o.qresync->modseq.
  MAILPROTO_IMAP_OP(mailbox_state, select, (const std::string& mailbox, select_options o), _,
                    make_select_op(*proto_, mailbox, false, std::move(o)))
  ///@}
  ///@{
  /// EXAMINE with (CONDSTORE) or (QRESYNC (...)) (RFC 7162 §3.1.8, §3.2.5): read-only, as
  /// select() with select_options.
  MAILPROTO_IMAP_OP(mailbox_state, examine, (const std::string& mailbox, select_options o), _,
                    make_select_op(*proto_, mailbox, true, std::move(o)))
  ///@}
  ///@{
  /// CREATE mailbox (RFC 9051 §6.3.4); `mailbox` is UTF-8 (sent as modified UTF-7 unless
  /// UTF-8 is enabled).
  MAILPROTO_IMAP_OP(void, create, (const std::string& mailbox), _,
                    make_mailbox_op(*proto_, "CREATE", mailbox))
  ///@}
  ///@{
  /// DELETE mailbox (RFC 9051 §6.3.5).
  MAILPROTO_IMAP_OP(void, delete_mailbox, (const std::string& mailbox), _,
                    make_mailbox_op(*proto_, "DELETE", mailbox))
  ///@}
  ///@{
  /// RENAME `from` to `to` (RFC 9051 §6.3.6).
  MAILPROTO_IMAP_OP(void, rename, (const std::string& from, const std::string& to), _,
                    make_mailbox_op(*proto_, "RENAME", from, to))
  ///@}
  ///@{
  /// SUBSCRIBE mailbox (RFC 9051 §6.3.7).
  MAILPROTO_IMAP_OP(void, subscribe, (const std::string& mailbox), _,
                    make_mailbox_op(*proto_, "SUBSCRIBE", mailbox))
  ///@}
  ///@{
  /// UNSUBSCRIBE mailbox (RFC 9051 §6.3.8).
  MAILPROTO_IMAP_OP(void, unsubscribe, (const std::string& mailbox), _,
                    make_mailbox_op(*proto_, "UNSUBSCRIBE", mailbox))
  ///@}
  ///@{
  /// APPEND the bytes of `message` (streamed through a literal); flags and date optional.
  /// `message` must stay alive until the operation completes.
  MAILPROTO_IMAP_OP(append_result, append,
                    (const std::string& mailbox, byte_source& message,
                     std::vector<std::string> flags, std::optional<std::string> date),
                    _, make_append_op(*proto_, mailbox, message, std::move(flags), std::move(date)))
  ///@}
  ///@{
  /// FETCH / UID FETCH. With o.on_message the results go there one by one.
  MAILPROTO_IMAP_OP(std::vector<fetch_message>, fetch,
                    (const sequence_set& set, const fetch_items& items, fetch_options o), _,
                    make_fetch_op(*proto_, set, items, std::move(o)))
  ///@}
  ///@{
  /// Fetch message `n` (a UID when `uid`) with BODY.PEEK[] and parse it locally with the
  /// MIME parser, streaming (the raw message is never held whole): the structure to use
  /// instead of BODYSTRUCTURE when quirks().bodystructure_unreliable is set (Exchange's
  /// message/rfc822 parts, Yahoo's inline parts...). errc::no if there is no such message.
  MAILPROTO_IMAP_OP(mime::message, fetch_mime,
                    (std::uint32_t n, bool uid, mime::parser_limits limits), _,
                    make_fetch_mime_op(*proto_, n, uid, limits))
  ///@}
  ///@{
  /// STORE / UID STORE; returns the FETCH responses (none with .SILENT).
  MAILPROTO_IMAP_OP(std::vector<fetch_message>, store,
                    (const sequence_set& set, store_mode mode, std::vector<std::string> flags,
                     store_options o),
                    _, make_store_op(*proto_, set, mode, std::move(flags), o))
  ///@}
  ///@{
  /// SEARCH / UID SEARCH (ESEARCH when offered).
  MAILPROTO_IMAP_OP(search_result, search, (const search_key& key, search_options o), _,
                    make_search_op(*proto_, key, std::move(o)))
  ///@}
  ///@{
  /// COPY / UID COPY.
  MAILPROTO_IMAP_OP(copy_result, copy, (const sequence_set& set, const std::string& dest, bool uid),
                    _, make_copy_op(*proto_, set, dest, uid, false))
  ///@}
  ///@{
  /// MOVE / UID MOVE; without MOVE: COPY, STORE +FLAGS.SILENT (\\Deleted), then UID EXPUNGE
  /// of exactly those messages (UIDPLUS) or EXPUNGE. Nothing is expunged if COPY fails.
  MAILPROTO_IMAP_OP(copy_result, move, (const sequence_set& set, const std::string& dest, bool uid),
                    _, make_copy_op(*proto_, set, dest, uid, true))
  ///@}
  ///@{
  /// EXPUNGE; returns the expunged message numbers.
  MAILPROTO_IMAP_OP0(std::vector<std::uint32_t>, expunge, make_expunge_op(*proto_, std::nullopt))
  ///@}
  ///@{
  /// UID EXPUNGE (UIDPLUS).
  MAILPROTO_IMAP_OP(std::vector<std::uint32_t>, uid_expunge, (const sequence_set& uids), _,
                    make_expunge_op(*proto_, uids))
  ///@}
  ///@{
  /// CLOSE (RFC 9051 §6.4.1): expunge the \\Deleted messages silently and leave the
  /// selected state (back to authenticated).
  MAILPROTO_IMAP_OP0(void, close, make_simple_op(*proto_, "CLOSE"))
  ///@}
  ///@{
  /// UNSELECT (RFC 3691, RFC 9051 §6.4.2): leave the selected state without expunging;
  /// errc::not_supported (nothing sent) unless UNSELECT or IMAP4rev2 is offered.
  MAILPROTO_IMAP_OP0(void, unselect, make_simple_op(*proto_, "UNSELECT"))
  ///@}
  ///@{
  /// NOOP (RFC 9051 §6.1.2): lets the server report pending updates (as events).
  MAILPROTO_IMAP_OP0(void, noop, make_simple_op(*proto_, "NOOP"))
  ///@}
  ///@{
  /// IDLE until o.on_event returns false, o.interval passes, stop_idle() or cancel().
  MAILPROTO_IMAP_OP(void, idle, (idle_options o), _, make_idle_op(*proto_, std::move(o)))
  ///@}
  ///@{
  /// LOGOUT (RFC 9051 §6.1.3): the server answers BYE and closes; the state becomes
  /// logged_out.
  MAILPROTO_IMAP_OP0(void, logout, make_logout_op(*proto_))
  ///@}

#undef MAILPROTO_IMAP_OP
  // Shorter forms with default options.
  ///@{
  /// LIST with default list_options (RETURN (SPECIAL-USE) when offered, no STATUS).
  std::vector<list_entry> list(const std::string& ref, const std::string& pattern) {
    return list(ref, pattern, list_options{});
  }
  std::vector<list_entry> list(const std::string& ref, const std::string& pattern,
                               std::error_code& ec) {
    return list(ref, pattern, list_options{}, ec);
  }
  ///@}
  /// The STATUS items status(mailbox) asks for: MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN.
  static constexpr unsigned default_status_items =
      status_messages | status_uidnext | status_uidvalidity | status_unseen;
  ///@{
  /// STATUS mailbox with default_status_items.
  status_info status(const std::string& mailbox) {
    return status(mailbox, default_status_items);
  }
  status_info status(const std::string& mailbox, std::error_code& ec) {
    return status(mailbox, default_status_items, ec);
  }
  ///@}
  ///@{
  /// APPEND without flags and date (the server then uses the current time, RFC 9051 §6.3.12).
  append_result append(const std::string& mailbox, byte_source& message) {
    return append(mailbox, message, {}, std::nullopt);
  }
  append_result append(const std::string& mailbox, byte_source& message, std::error_code& ec) {
    return append(mailbox, message, {}, std::nullopt, ec);
  }
  ///@}
  ///@{
  /// FETCH (message numbers, not UIDs) with default fetch_options: results returned whole.
  std::vector<fetch_message> fetch(const sequence_set& set, const fetch_items& items) {
    return fetch(set, items, fetch_options{});
  }
  std::vector<fetch_message> fetch(const sequence_set& set, const fetch_items& items,
                                   std::error_code& ec) {
    return fetch(set, items, fetch_options{}, ec);
  }
  ///@}
  /// STORE (message numbers, not UIDs; not .SILENT) with default store_options.
  std::vector<fetch_message> store(const sequence_set& set, store_mode mode,
                                   std::vector<std::string> flags) {
    return store(set, mode, std::move(flags), store_options{});
  }
  ///@{
  /// SEARCH (message numbers, ESEARCH when offered) with default search_options.
  search_result search(const search_key& key) {
    return search(key, search_options{});
  }
  search_result search(const search_key& key, std::error_code& ec) {
    return search(key, search_options{}, ec);
  }
  ///@}
#undef MAILPROTO_IMAP_OP0
#undef MAILPROTO_IMAP_UNPAREN

 private:
  void prepare(const client_options& o);
  template <class R>
  R run(std::unique_ptr<net::result_operation<R>> op, std::error_code& ec);
  template <class R>
  R run_throw(std::unique_ptr<net::result_operation<R>> op);

  net::connection conn_;
  std::unique_ptr<protocol> proto_;
  std::function<void(const event&)> handler_;
};

}  // namespace mailproto::imap
