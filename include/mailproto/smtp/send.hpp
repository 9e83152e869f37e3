// mailproto/smtp/send.hpp — sending a mime::message_builder, and the one-call `smtp::send`.
//
// The SMTP core knows messages only as byte sources (client::send(byte_source&, envelope));
// this header is the bridge to the MIME builder, and depends only on its public API:
//
//   mime::message_builder msg;
//   msg.from("alice@example.test").to("bob@example.test")
//      .subject("Tiêu đề: Lập trình mạng").text("Thân gửi An, ...").attach_file("bt.rar");
//   smtp::send({.host = "smtp.example.test", .port = 587}, "alice", password, msg);
//
// which is Python's smtplib.SMTP(host, 587); starttls(); login(u, p); send_message(msg);
// quit() — STARTTLS is the default tls_mode, certificates are verified. Over a connected
// client: send_message(c, msg) (sync, error_code or throwing) and
// async_send_message(c, msg, token) (callback, use_future, use_awaitable).
#pragma once

#include <mailproto/mime/message_builder.hpp>
#include <mailproto/smtp/client.hpp>

#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace mailproto::smtp {

/// The envelope of a built message: MAIL FROM = Sender or first From, RCPT TO = To, Cc and
/// Bcc (the builder never writes Bcc into the message).
envelope envelope_of(const mime::message_builder& msg);

/// Send `msg` over a connected (and usually authenticated) client. The builder's options
/// follow the server: 8-bit bodies with 8BITMIME, UTF-8 addresses with SMTPUTF8. Errors: as
/// client::send, plus the builder's mime::errc (nothing sent then; see msg.error_message()).
send_result send_message(client& c, const mime::message_builder& msg, std::error_code& ec,
                         const send_options& opts = {});
send_result send_message(client& c, const mime::message_builder& msg,
                         const send_options& opts = {});

namespace detail {
struct client_access {
  static protocol& proto(client& c) noexcept { return c.proto_; }
};
/// A built message ready for the wire: its source, and the envelope adjusted to the
/// server's extensions (as send_message does); `ec` is the builder's error, if any.
struct prepared_message {
  std::unique_ptr<byte_source> source;
  envelope env;
  std::error_code ec;
  std::string error_text;  ///< the builder's error_message() for `ec`
};
prepared_message prepare_message(const client& c, const mime::message_builder& msg);
/// The same for an envelope the caller chose (e.g. the CLI's --envelope-from / --rcpt):
/// SMTPUTF8 is asked for when one of ITS addresses is not ASCII.
prepared_message prepare_message(const client& c, const mime::message_builder& msg, envelope env);
}  // namespace detail

/// send_message, asynchronously. Completion signature: void(std::error_code, send_result).
/// The message is copied into the operation (`msg` may go away at once); a builder error
/// (mime::errc) completes the operation before anything is sent.
template <class Token>
auto async_send_message(client& c, const mime::message_builder& msg, const send_options& opts,
                        Token&& token) {
  auto pm = detail::prepare_message(c, msg);
  return c.connection().async_run_owned(
      detail::make_send_op(detail::client_access::proto(c), std::move(pm.source), std::move(pm.env),
                           opts, pm.ec),
      std::forward<Token>(token));
}
template <class Token>
auto async_send_message(client& c, const mime::message_builder& msg, Token&& token) {
  return async_send_message(c, msg, send_options{}, std::forward<Token>(token));
}

/// One call for the common case: connect to `server` (STARTTLS by default), log in if `user`
/// is not empty, send `msg`, QUIT. The result lists each recipient's reply.
send_result send(const net::connect_options& server, std::string_view user,
                 std::string_view password, const mime::message_builder& msg, std::error_code& ec);
send_result send(const net::connect_options& server, std::string_view user,
                 std::string_view password, const mime::message_builder& msg);

}  // namespace mailproto::smtp
