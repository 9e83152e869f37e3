#include <mailproto/net/errc.hpp>

namespace mailproto::net {
namespace {

class category final : public mailproto::detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.net"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::timeout:
        return "timed out";
      case errc::line_too_long:
        return "the peer sent a line longer than the limit";
      case errc::data_before_tls_handshake:
        return "the server sent data before the TLS handshake (possible injection)";
      case errc::starttls_not_offered:
        return "the server does not offer STARTTLS";
      case errc::tls_required:
        return "TLS is required but not active";
      case errc::certificate_verify_failed:
        return "certificate verification failed";
      case errc::certificate_name_mismatch:
        return "certificate does not match the host name";
      case errc::tls_handshake_failed:
        return "TLS handshake failed";
      case errc::not_connected:
        return "not connected";
      case errc::connection_closed:
        return "the server closed the connection";
      case errc::operation_in_progress:
        return "another operation is in progress";
      case errc::connection_unusable:
        return "the connection is unusable after an earlier error";
      case errc::resolve_failed:
        return "host name could not be resolved";
      case errc::cancelled:
        return "operation cancelled";
      case errc::unsafe_argument:
        return "value contains CR, LF or NUL";
      case errc::plaintext_auth_refused:
        return "refusing to send credentials over an unencrypted connection";
    }
    return "unknown net error";
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::timeout:
        return condition::timeout;
      case errc::line_too_long:
      case errc::data_before_tls_handshake:
        return condition::protocol_violation;
      case errc::starttls_not_offered:
      case errc::tls_required:
      case errc::certificate_verify_failed:
      case errc::certificate_name_mismatch:
      case errc::tls_handshake_failed:
      case errc::plaintext_auth_refused:
        return condition::tls_failed;
      case errc::not_connected:
      case errc::connection_closed:
      case errc::connection_unusable:
      case errc::resolve_failed:
        return condition::connection_lost;
      case errc::cancelled:
        return condition::cancelled;
      case errc::unsafe_argument:
      case errc::operation_in_progress:
        return condition::bad_argument;
    }
    return std::error_condition(v, *this);
  }
  bool is_fatal(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::unsafe_argument:
      case errc::operation_in_progress:
      case errc::plaintext_auth_refused:
        return false;  // nothing was sent
      default:
        return true;
    }
  }
};

}  // namespace

const std::error_category& net_category() noexcept {
  static const category c;
  return c;
}

}  // namespace mailproto::net
