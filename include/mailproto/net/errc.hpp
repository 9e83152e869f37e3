// mailproto/net/errc.hpp — errors of the transport layer (category "mailproto.net").
#pragma once

#include <mailproto/error.hpp>

#include <system_error>

namespace mailproto::net {

enum class errc {
  timeout = 1,                ///< a connect, read or write deadline passed
  line_too_long,              ///< the peer sent a line longer than the parser's bound
  data_before_tls_handshake,  ///< bytes arrived after the STARTTLS go-ahead, before TLS (RFC 3207
                              ///< §4)
  starttls_not_offered,       ///< tls_mode::starttls, but the server does not offer STARTTLS/STLS
  tls_required,               ///< the operation needs TLS and the connection has none
  certificate_verify_failed,  ///< the peer's chain did not verify against the trusted CAs
  certificate_name_mismatch,  ///< the certificate does not name the host we connected to
  tls_handshake_failed,       ///< the TLS handshake failed for another reason (see the trace)
  not_connected,              ///< an operation needs an open connection
  connection_closed,          ///< the peer closed the connection (EOF) in the middle of an exchange
  operation_in_progress,      ///< another operation is running on this connection
  connection_unusable,        ///< an earlier fatal error left the connection unusable
  resolve_failed,             ///< the host name could not be resolved
  cancelled,                  ///< the caller cancelled the operation
  unsafe_argument,            ///< a value for the wire holds CR, LF or NUL (nothing was sent)
  plaintext_auth_refused,     ///< credentials would go over an unencrypted link
};

const std::error_category& net_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), net_category()};
}

}  // namespace mailproto::net

template <>
struct std::is_error_code_enum<mailproto::net::errc> : std::true_type {};
