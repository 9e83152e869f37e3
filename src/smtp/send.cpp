// The bridge from mime::message_builder to client::send (see smtp/send.hpp).
#include <mailproto/smtp/send.hpp>

namespace mailproto::smtp {
namespace {
bool has_non_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}
}  // namespace

envelope envelope_of(const mime::message_builder& msg) {
  envelope e;
  e.from = msg.envelope_sender();
  for (auto& r : msg.envelope_recipients()) e.recipients.emplace_back(std::move(r));
  return e;
}

namespace detail {
prepared_message prepare_message(const client& c, const mime::message_builder& msg) {
  return prepare_message(c, msg, envelope_of(msg));
}

prepared_message prepare_message(const client& c, const mime::message_builder& msg, envelope env) {
  prepared_message pm;
  mime::message_builder b = msg;
  pm.env = std::move(env);
  const auto& caps = c.capabilities();
  bool utf8 = has_non_ascii(pm.env.from);
  for (const auto& r : pm.env.recipients) utf8 |= has_non_ascii(r.address);
  // RFC 6531: UTF-8 addresses (and then raw UTF-8 headers) only with SMTPUTF8; without it the
  // send op reports smtputf8_required before anything is sent.
  b.options().smtputf8 = utf8 && caps.smtputf8;
  pm.env.smtputf8 = b.options().smtputf8;
  // RFC 6152: 8-bit text bodies only when the server takes them.
  b.options().eight_bit = caps.eight_bit_mime;
  if (caps.eight_bit_mime) pm.env.body = body_type::eight_bit;
  pm.source = b.source(pm.ec);  // owns what it needs: the copy `b` may go
  if (pm.ec) pm.error_text = b.error_message();
  return pm;
}
}  // namespace detail

send_result send_message(client& c, const mime::message_builder& msg, std::error_code& ec,
                         const send_options& opts) {
  auto pm = detail::prepare_message(c, msg);
  if ((ec = pm.ec)) return {};
  return c.send(*pm.source, pm.env, opts, ec);
}

send_result send_message(client& c, const mime::message_builder& msg, const send_options& opts) {
  std::error_code ec;
  auto r = send_message(c, msg, ec, opts);
  if (ec && ec.category() == mime::mime_category()) throw error(ec, msg.error_message());
  throw_if(ec, c.last_reply());
  return r;
}

namespace {
send_result send_impl(const net::connect_options& server, std::string_view user,
                      std::string_view password, const mime::message_builder& msg,
                      std::error_code& ec, server_reply& last) {
  // Check the message first: no connection for a message that cannot be sent.
  if ((ec = msg.validate())) return {};
  client c;
  send_result r;
  c.connect(server, ec);
  if (!ec && !user.empty()) c.login(user, password, ec);
  if (!ec) r = send_message(c, msg, ec);
  last = c.last_reply();
  std::error_code ignored;
  c.quit(ignored);
  return r;
}
}  // namespace

send_result send(const net::connect_options& server, std::string_view user,
                 std::string_view password, const mime::message_builder& msg, std::error_code& ec) {
  server_reply last;
  return send_impl(server, user, password, msg, ec, last);
}

send_result send(const net::connect_options& server, std::string_view user,
                 std::string_view password, const mime::message_builder& msg) {
  std::error_code ec;
  server_reply last;
  auto r = send_impl(server, user, password, msg, ec, last);
  if (ec && ec.category() == mime::mime_category()) throw error(ec, msg.error_message());
  throw_if(ec, last);
  return r;
}

}  // namespace mailproto::smtp
