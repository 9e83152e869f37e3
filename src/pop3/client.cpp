// pop3::client: constructs operations and runs them; no protocol logic here.
#include <mailproto/pop3/client.hpp>

namespace mailproto::pop3 {

namespace {

template <class R>
R run(net::connection& conn, detail::op_ptr<R> op, std::error_code& ec) {
  ec.clear();
  conn.run(*op, ec);
  if constexpr (std::is_void_v<R>)
    op->take_result();
  else
    return op->take_result();
}

}  // namespace

client::client() {
  proto_.on_expect_bytes([this](std::size_t n) { conn_.expect_bytes(n); });
}
client::client(asio::any_io_executor ex) : conn_(std::move(ex)) {
  proto_.on_expect_bytes([this](std::size_t n) { conn_.expect_bytes(n); });
}
client::~client() = default;

void client::prepare(const client_options& o) {
  conn_.close();
  conn_.set_options(o.net);
  protocol_options po;
  po.limits = o.limits;
  if (po.limits.max_line == parser_limits{}.max_line) po.limits.max_line = o.net.max_line;
  po.allow_plaintext_auth = o.allow_plaintext_auth;
  po.pipeline_window = o.pipeline_window;
  proto_.reset(po);
}

sasl::mechanism_options client::mech_options() const {
  sasl::mechanism_options m;
  m.host = conn_.options().host;
  m.port = conn_.options().port;
  return m;
}

void client::close() {
  conn_.close();
  if (proto_.state() != state::failed) proto_.set_state(state::disconnected);
}

#define MAILPROTO_POP3_THROWING(expr) \
  std::error_code ec;                 \
  auto&& result = expr;               \
  throw_if(ec, proto_.last_reply());  \
  return std::forward<decltype(result)>(result)

void client::connect(const client_options& o, std::error_code& ec) {
  prepare(o);
  run(conn_, detail::make_connect_op(proto_, o.net.tls), ec);
}
void client::connect(const client_options& o) {
  std::error_code ec;
  connect(o, ec);
  throw_if(ec, proto_.last_reply());
}

capabilities client::capa(std::error_code& ec) {
  return run(conn_, detail::make_capa_op(proto_), ec);
}
capabilities client::capa() {
  MAILPROTO_POP3_THROWING(capa(ec));
}

void client::login(const std::string& user, const std::string& pass, std::error_code& ec) {
  run(conn_, detail::make_login_op(proto_, user, pass), ec);
}
void client::login(const std::string& user, const std::string& pass) {
  std::error_code ec;
  login(user, pass, ec);
  throw_if(ec, proto_.last_reply());
}

void client::apop(const std::string& user, const std::string& secret, std::error_code& ec) {
  run(conn_, detail::make_apop_op(proto_, user, secret), ec);
}
void client::apop(const std::string& user, const std::string& secret) {
  std::error_code ec;
  apop(user, secret, ec);
  throw_if(ec, proto_.last_reply());
}

void client::authenticate(const sasl::credentials& creds, const std::string& mechanism,
                          std::error_code& ec) {
  run(conn_, detail::make_auth_op(proto_, creds, mechanism, mech_options()), ec);
}
void client::authenticate(const sasl::credentials& creds, const std::string& mechanism) {
  std::error_code ec;
  authenticate(creds, mechanism, ec);
  throw_if(ec, proto_.last_reply());
}

mailbox_stat client::stat(std::error_code& ec) {
  return run(conn_, detail::make_stat_op(proto_), ec);
}
mailbox_stat client::stat() {
  MAILPROTO_POP3_THROWING(stat(ec));
}

std::vector<message_info> client::list(std::error_code& ec) {
  return run(conn_, detail::make_list_op(proto_), ec);
}
std::vector<message_info> client::list() {
  MAILPROTO_POP3_THROWING(list(ec));
}
message_info client::list(std::uint32_t n, std::error_code& ec) {
  return run(conn_, detail::make_list_one_op(proto_, n), ec);
}
message_info client::list(std::uint32_t n) {
  MAILPROTO_POP3_THROWING(list(n, ec));
}

std::vector<message_uid> client::uidl(std::error_code& ec) {
  return run(conn_, detail::make_uidl_op(proto_), ec);
}
std::vector<message_uid> client::uidl() {
  MAILPROTO_POP3_THROWING(uidl(ec));
}
message_uid client::uidl(std::uint32_t n, std::error_code& ec) {
  return run(conn_, detail::make_uidl_one_op(proto_, n), ec);
}
message_uid client::uidl(std::uint32_t n) {
  MAILPROTO_POP3_THROWING(uidl(n, ec));
}

std::uint64_t client::retr(std::uint32_t n, byte_sink& sink, std::error_code& ec) {
  return run(conn_, detail::make_retr_op(proto_, n, sink), ec);
}
std::uint64_t client::retr(std::uint32_t n, byte_sink& sink) {
  MAILPROTO_POP3_THROWING(retr(n, sink, ec));
}
std::uint64_t client::top(std::uint32_t n, std::uint32_t lines, byte_sink& sink,
                          std::error_code& ec) {
  return run(conn_, detail::make_top_op(proto_, n, lines, sink), ec);
}
std::uint64_t client::top(std::uint32_t n, std::uint32_t lines, byte_sink& sink) {
  MAILPROTO_POP3_THROWING(top(n, lines, sink, ec));
}

void client::dele(std::uint32_t n, std::error_code& ec) {
  run(conn_, detail::make_dele_op(proto_, n), ec);
}
void client::dele(std::uint32_t n) {
  std::error_code ec;
  dele(n, ec);
  throw_if(ec, proto_.last_reply());
}
void client::rset(std::error_code& ec) {
  run(conn_, detail::make_rset_op(proto_), ec);
}
void client::rset() {
  std::error_code ec;
  rset(ec);
  throw_if(ec, proto_.last_reply());
}
void client::noop(std::error_code& ec) {
  run(conn_, detail::make_noop_op(proto_), ec);
}
void client::noop() {
  std::error_code ec;
  noop(ec);
  throw_if(ec, proto_.last_reply());
}
quit_result client::quit(std::error_code& ec) {
  return run(conn_, detail::make_quit_op(proto_), ec);
}
quit_result client::quit() {
  MAILPROTO_POP3_THROWING(quit(ec));
}

fetch_result client::fetch(fetch_options o, std::error_code& ec) {
  return run(conn_, detail::make_fetch_op(proto_, std::move(o)), ec);
}
fetch_result client::fetch(fetch_options o) {
  MAILPROTO_POP3_THROWING(fetch(std::move(o), ec));
}

#undef MAILPROTO_POP3_THROWING

}  // namespace mailproto::pop3
