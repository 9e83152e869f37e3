// mailproto/error.hpp — what every module reports when something goes wrong.
//
// Each module has its own `errc` enum and std::error_category ("mailproto.smtp",
// "mailproto.net", ...). All of them map onto the small, protocol-independent
// `mailproto::condition` set, so a caller can write
//
//     if (ec == mailproto::condition::transient) retry_later();
//
// without knowing which protocol produced `ec`. The server's own words never live in the
// category message: they travel beside the code in a `server_reply` (see error.hpp's
// `mailproto::error`, and each client's `last_reply()`).
#pragma once

#include <mailproto/server_reply.hpp>

#include <string>
#include <system_error>

namespace mailproto {

/// Protocol-independent classes of failure. Compare an error_code against these.
enum class condition {
  transient = 1,    ///< try again later (SMTP 4xx, POP3 [SYS/TEMP], [IN-USE], IMAP [UNAVAILABLE])
  permanent,        ///< the server refused for good (SMTP 5xx, IMAP NO, POP3 -ERR)
  auth_failed,      ///< credentials rejected, or no usable mechanism
  connection_lost,  ///< EOF, reset, or the connection was closed under us
  tls_failed,       ///< handshake failed, certificate not trusted, STARTTLS missing
  timeout,          ///< a deadline passed
  protocol_violation,  ///< the peer broke the protocol (bad reply line, bound exceeded)
  bad_argument,        ///< the caller passed a value that cannot go on the wire
  cancelled,           ///< the operation was cancelled by the caller
};

const std::error_category& condition_category() noexcept;
std::error_condition make_error_condition(condition c) noexcept;

/// True when the connection that produced `ec` can no longer be used (reconnect).
/// A server refusal (SMTP 550, IMAP NO, POP3 -ERR) is not fatal; a timeout, a protocol
/// violation, a TLS failure or a lost connection is.
bool is_fatal(std::error_code ec) noexcept;

/// Thrown by the throwing overloads: the error code plus the server's reply, if any.
class error : public std::system_error {
 public:
  /// `ec` with the server's reply; what() is describe(ec, reply).
  explicit error(std::error_code ec, server_reply reply = {});
  /// `ec` with an explicit message (what() returns `what_arg`) and the server's reply.
  error(std::error_code ec, const std::string& what_arg, server_reply reply = {});

  /// The server's last reply that belongs to this failure (may be empty). Untrusted text.
  const server_reply& reply() const noexcept { return reply_; }
  /// describe(code(), reply()), or the text given at construction.
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
  server_reply reply_;
};

/// Throws mailproto::error if `ec` is set.
void throw_if(std::error_code ec, const server_reply& reply = {});

/// Human-readable one-line description: the code's message, then the server's text if any.
std::string describe(std::error_code ec, const server_reply& reply = {});

namespace detail {

/// Base of every mailproto error category: knows which of its values are fatal and
/// which `condition` each maps to.
class category_base : public std::error_category {
 public:
  virtual bool is_fatal(int value) const noexcept = 0;
};

}  // namespace detail
}  // namespace mailproto

template <>
struct std::is_error_condition_enum<mailproto::condition> : std::true_type {};
