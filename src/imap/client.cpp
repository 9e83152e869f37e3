// The IMAP client: constructs operations and hands them to the connection (no protocol
// logic here; see src/imap/ops.cpp).
#include <mailproto/imap/client.hpp>

#include <asio/post.hpp>

namespace mailproto::imap {

client::client() : proto_(std::make_unique<protocol>()) {}
client::client(asio::any_io_executor ex)
    : conn_(std::move(ex)), proto_(std::make_unique<protocol>()) {}
client::~client() = default;

void client::set_event_handler(std::function<void(const event&)> h) {
  handler_ = h;
  proto_->set_event_handler(std::move(h));
}

void client::stop_idle() {
  proto_->idle_stop() = true;
  asio::post(conn_.get_executor(), [this] { conn_.cancel(); });
  conn_.wake();  // a sync idle() waiting in poll(2) lets the cancel run now
}

void client::cancel() {
  conn_.cancel();
}

void client::prepare(const client_options& o) {
  if (conn_.is_open()) conn_.close();
  proto_ = std::make_unique<protocol>(o);
  proto_->set_event_handler(handler_);
  conn_.set_options(o.net);
}

template <class R>
R client::run(std::unique_ptr<net::result_operation<R>> op, std::error_code& ec) {
  ec.clear();
  conn_.run(*op, ec);
  if constexpr (std::is_void_v<R>)
    op->take_result();
  else
    return op->take_result();
}

template <class R>
R client::run_throw(std::unique_ptr<net::result_operation<R>> op) {
  std::error_code ec;
  if constexpr (std::is_void_v<R>) {
    run(std::move(op), ec);
    if (ec) throw mailproto::error(ec, proto_->last_reply());
  } else {
    R r = run(std::move(op), ec);
    if (ec) throw mailproto::error(ec, proto_->last_reply());
    return r;
  }
}

void client::connect(const client_options& o, std::error_code& ec) {
  prepare(o);
  run(detail::make_connect_op(*proto_), ec);
}
void client::connect(const client_options& o) {
  prepare(o);
  run_throw(detail::make_connect_op(*proto_));
}

#define MAILPROTO_IMAP_DEF(R, name, params, factory)                   \
  R client::name(MAILPROTO_IMAP_UNPAREN params, std::error_code& ec) { \
    return run(detail::factory, ec);                                   \
  }                                                                    \
  R client::name(MAILPROTO_IMAP_UNPAREN params) {                      \
    return run_throw(detail::factory);                                 \
  }
#define MAILPROTO_IMAP_DEF0(R, name, factory) \
  R client::name(std::error_code& ec) {       \
    return run(detail::factory, ec);          \
  }                                           \
  R client::name() {                          \
    return run_throw(detail::factory);        \
  }
#define MAILPROTO_IMAP_UNPAREN(...) __VA_ARGS__

MAILPROTO_IMAP_DEF(void, login, (const std::string& user, const std::string& password),
                   make_login_op(*proto_, user, password))
MAILPROTO_IMAP_DEF(void, authenticate, (const sasl::credentials& creds),
                   make_authenticate_op(*proto_, creds))
MAILPROTO_IMAP_DEF0(capabilities, capability, make_capability_op(*proto_))
MAILPROTO_IMAP_DEF(std::vector<std::string>, enable, (std::vector<std::string> extensions),
                   make_enable_op(*proto_, std::move(extensions)))
MAILPROTO_IMAP_DEF(id_fields, id, (id_fields fields), make_id_op(*proto_, std::move(fields)))
MAILPROTO_IMAP_DEF0(namespace_info, get_namespace, make_namespace_op(*proto_))
MAILPROTO_IMAP_DEF(std::vector<list_entry>, list,
                   (const std::string& reference, const std::string& pattern, list_options o),
                   make_list_op(*proto_, reference, pattern, o, false))
MAILPROTO_IMAP_DEF(std::vector<list_entry>, lsub,
                   (const std::string& reference, const std::string& pattern),
                   make_list_op(*proto_, reference, pattern, {}, true))
MAILPROTO_IMAP_DEF(status_info, status, (const std::string& mailbox, unsigned items),
                   make_status_op(*proto_, mailbox, items))
MAILPROTO_IMAP_DEF(std::vector<status_entry>, status_many,
                   (std::vector<std::string> mailboxes, unsigned items),
                   make_status_many_op(*proto_, std::move(mailboxes), items))
MAILPROTO_IMAP_DEF(std::vector<batch_result>, pipeline, (command_batch batch),
                   make_batch_op(*proto_, std::move(batch)))
MAILPROTO_IMAP_DEF(mime::message, fetch_mime,
                   (std::uint32_t n, bool uid, mime::parser_limits limits),
                   make_fetch_mime_op(*proto_, n, uid, limits))
MAILPROTO_IMAP_DEF(mailbox_state, select, (const std::string& mailbox),
                   make_select_op(*proto_, mailbox, false))
MAILPROTO_IMAP_DEF(mailbox_state, examine, (const std::string& mailbox),
                   make_select_op(*proto_, mailbox, true))
MAILPROTO_IMAP_DEF(mailbox_state, select, (const std::string& mailbox, select_options o),
                   make_select_op(*proto_, mailbox, false, std::move(o)))
MAILPROTO_IMAP_DEF(mailbox_state, examine, (const std::string& mailbox, select_options o),
                   make_select_op(*proto_, mailbox, true, std::move(o)))
MAILPROTO_IMAP_DEF(void, create, (const std::string& mailbox),
                   make_mailbox_op(*proto_, "CREATE", mailbox))
MAILPROTO_IMAP_DEF(void, delete_mailbox, (const std::string& mailbox),
                   make_mailbox_op(*proto_, "DELETE", mailbox))
MAILPROTO_IMAP_DEF(void, rename, (const std::string& from, const std::string& to),
                   make_mailbox_op(*proto_, "RENAME", from, to))
MAILPROTO_IMAP_DEF(void, subscribe, (const std::string& mailbox),
                   make_mailbox_op(*proto_, "SUBSCRIBE", mailbox))
MAILPROTO_IMAP_DEF(void, unsubscribe, (const std::string& mailbox),
                   make_mailbox_op(*proto_, "UNSUBSCRIBE", mailbox))
MAILPROTO_IMAP_DEF(append_result, append,
                   (const std::string& mailbox, byte_source& message,
                    std::vector<std::string> flags, std::optional<std::string> date),
                   make_append_op(*proto_, mailbox, message, std::move(flags), std::move(date)))
MAILPROTO_IMAP_DEF(std::vector<fetch_message>, fetch,
                   (const sequence_set& set, const fetch_items& items, fetch_options o),
                   make_fetch_op(*proto_, set, items, std::move(o)))
MAILPROTO_IMAP_DEF(std::vector<fetch_message>, store,
                   (const sequence_set& set, store_mode mode, std::vector<std::string> flags,
                    store_options o),
                   make_store_op(*proto_, set, mode, std::move(flags), o))
MAILPROTO_IMAP_DEF(search_result, search, (const search_key& key, search_options o),
                   make_search_op(*proto_, key, std::move(o)))
MAILPROTO_IMAP_DEF(copy_result, copy, (const sequence_set& set, const std::string& dest, bool uid),
                   make_copy_op(*proto_, set, dest, uid, false))
MAILPROTO_IMAP_DEF(copy_result, move, (const sequence_set& set, const std::string& dest, bool uid),
                   make_copy_op(*proto_, set, dest, uid, true))
MAILPROTO_IMAP_DEF0(std::vector<std::uint32_t>, expunge, make_expunge_op(*proto_, std::nullopt))
MAILPROTO_IMAP_DEF(std::vector<std::uint32_t>, uid_expunge, (const sequence_set& uids),
                   make_expunge_op(*proto_, uids))
MAILPROTO_IMAP_DEF0(void, close, make_simple_op(*proto_, "CLOSE"))
MAILPROTO_IMAP_DEF0(void, unselect, make_simple_op(*proto_, "UNSELECT"))
MAILPROTO_IMAP_DEF0(void, noop, make_simple_op(*proto_, "NOOP"))
MAILPROTO_IMAP_DEF(void, idle, (idle_options o), make_idle_op(*proto_, std::move(o)))
MAILPROTO_IMAP_DEF0(void, logout, make_logout_op(*proto_))

}  // namespace mailproto::imap
