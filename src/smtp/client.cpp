// smtp::client: builds the operation and hands it to the connection. No protocol logic here.
#include <mailproto/smtp/client.hpp>

namespace mailproto::smtp {

client::client(client_options o) : opts_(std::move(o)), proto_(opts_.session) {
  conn_.set_options(opts_.net);
}

client::client(asio::any_io_executor ex, client_options o)
    : opts_(std::move(o)), conn_(std::move(ex)), proto_(opts_.session) {
  conn_.set_options(opts_.net);
}

namespace {
template <class Op>
auto run(net::connection& c, Op& op, std::error_code& ec) {
  c.run(op, ec);
  return op.take_result();
}
}  // namespace

void client::connect(const net::connect_options& o, std::error_code& ec) {
  opts_.net = o;
  conn_.set_options(o);
  run(conn_, *detail::make_connect_op(proto_, o.tls), ec);
}
void client::connect(const net::connect_options& o) {
  std::error_code ec;
  connect(o, ec);
  throw_if(ec, last_reply());
}

void client::login(std::string_view user, std::string_view password, std::error_code& ec) {
  authenticate(sasl::credentials::with_password(std::string(user), std::string(password)), {}, ec);
}
void client::login(std::string_view user, std::string_view password) {
  std::error_code ec;
  login(user, password, ec);
  throw_if(ec, last_reply());
}

void client::authenticate(const sasl::credentials& c, const auth_options& o, std::error_code& ec) {
  run(conn_, *detail::make_auth_op(proto_, c, o), ec);
}
void client::authenticate(const sasl::credentials& c, const auth_options& o) {
  std::error_code ec;
  authenticate(c, o, ec);
  throw_if(ec, last_reply());
}

send_result client::send(byte_source& message, const envelope& env, const send_options& opts,
                         std::error_code& ec) {
  return run(conn_, *detail::make_send_op(proto_, message, env, opts), ec);
}
send_result client::send(byte_source& message, const envelope& env, const send_options& opts) {
  std::error_code ec;
  auto r = send(message, env, opts, ec);
  throw_if(ec, last_reply());
  return r;
}

batch_error::batch_error(std::error_code ec, server_reply reply, std::vector<batch_result> results)
    : mailproto::error(ec, std::move(reply)), results_(std::move(results)) {}

std::vector<batch_result> client::send_batch(std::span<const batch_message> messages,
                                             const send_options& opts, std::error_code& ec) {
  return run(conn_, *detail::make_batch_op_borrowed(proto_, messages, opts), ec);
}
std::vector<batch_result> client::send_batch(std::span<const batch_message> messages,
                                             const send_options& opts) {
  std::error_code ec;
  auto r = send_batch(messages, opts, ec);
  if (ec) throw batch_error(ec, last_reply(), std::move(r));
  return r;
}

std::size_t client::send_batch(const batch_next& next, const batch_report& report,
                               const send_options& opts, std::error_code& ec) {
  std::exception_ptr thrown;
  const std::size_t n =
      run(conn_, *detail::make_batch_stream_op(proto_, next, report, opts, &thrown), ec);
  if (thrown) std::rethrow_exception(thrown);
  return n;
}
std::size_t client::send_batch(const batch_next& next, const batch_report& report,
                               const send_options& opts) {
  std::error_code ec;
  const std::size_t n = send_batch(next, report, opts, ec);
  throw_if(ec, last_reply());
  return n;
}

void client::noop(std::error_code& ec) {
  run(conn_, *detail::make_noop_op(proto_), ec);
}
void client::noop() {
  std::error_code ec;
  noop(ec);
  throw_if(ec, last_reply());
}

void client::reset(std::error_code& ec) {
  run(conn_, *detail::make_reset_op(proto_), ec);
}
void client::reset() {
  std::error_code ec;
  reset(ec);
  throw_if(ec, last_reply());
}

void client::quit(std::error_code& ec) {
  run(conn_, *detail::make_quit_op(proto_), ec);
}
void client::quit() {
  std::error_code ec;
  quit(ec);
  throw_if(ec, last_reply());
}

}  // namespace mailproto::smtp
