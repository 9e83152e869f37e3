// mailproto/smtp/detail/ops.hpp — factories of the SMTP operations (defined in src/smtp/).
// Internal: used by client.hpp's async initiations. Each returns a sans-I/O operation
// that the connection driver runs (net/operation.hpp).
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/net/operation.hpp>
#include <mailproto/net/options.hpp>
#include <mailproto/sasl/mechanism.hpp>
#include <mailproto/smtp/envelope.hpp>
#include <mailproto/smtp/protocol.hpp>

#include <exception>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

namespace mailproto::smtp::detail {

/// Connect, greeting, EHLO (HELO fallback), STARTTLS per `mode`, EHLO again over TLS.
std::unique_ptr<net::result_operation<void>> make_connect_op(protocol& p, net::tls_mode mode);
/// AUTH with the chosen SASL mechanism.
std::unique_ptr<net::result_operation<void>> make_auth_op(protocol& p, sasl::credentials creds,
                                                          auth_options opts);
/// One message: MAIL FROM, RCPT TO..., DATA or BDAT. `body` must outlive the operation.
std::unique_ptr<net::result_operation<send_result>> make_send_op(protocol& p, byte_source& body,
                                                                 envelope env, send_options opts);
/// The same, owning its body (async sends of a built message). A `precheck` error ends the
/// operation before anything is sent (a message that could not be prepared).
std::unique_ptr<net::result_operation<send_result>> make_send_op(protocol& p,
                                                                 std::unique_ptr<byte_source> body,
                                                                 envelope env, send_options opts,
                                                                 std::error_code precheck = {});
/// Several messages over the session, one mail transaction each, in order; with PIPELINING
/// the end of one message's data goes in the same write as the next message's MAIL, RCPT...
/// (RFC 2920 §3.1). One batch_result per message. The sources must outlive the operation.
std::unique_ptr<net::result_operation<std::vector<batch_result>>> make_batch_op(
    protocol& p, std::vector<batch_message> messages, send_options opts);
/// The same, reading the caller's messages in place (no copy of every envelope up front):
/// for a synchronous batch, whose messages outlive the operation.
std::unique_ptr<net::result_operation<std::vector<batch_result>>> make_batch_op_borrowed(
    protocol& p, std::span<const batch_message> messages, send_options opts);
/// A streamed batch: messages from `next` one at a time, each result to `report` as it is
/// known, nothing kept. The result is the number of messages taken. A callback that throws
/// ends it (no further message; net::errc::cancelled unless the session failed); the
/// exception goes to `*thrown` when given.
std::unique_ptr<net::result_operation<std::size_t>> make_batch_stream_op(
    protocol& p, batch_next next, batch_report report, send_options opts,
    std::exception_ptr* thrown = nullptr);
/// NOOP (RFC 5321 §4.1.1.9).
std::unique_ptr<net::result_operation<void>> make_noop_op(protocol& p);
/// RSET (RFC 5321 §4.1.1.5).
std::unique_ptr<net::result_operation<void>> make_reset_op(protocol& p);
/// QUIT (RFC 5321 §4.1.1.10), then close.
std::unique_ptr<net::result_operation<void>> make_quit_op(protocol& p);

}  // namespace mailproto::smtp::detail
