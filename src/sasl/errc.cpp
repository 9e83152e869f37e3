// The "mailproto.sasl" error category; see include/mailproto/sasl/errc.hpp for the mapping.
#include <mailproto/sasl/errc.hpp>

namespace mailproto::sasl {
namespace {

class sasl_category_impl final : public mailproto::detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.sasl"; }

  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::no_common_mechanism:
        return "no common SASL mechanism";
      case errc::mechanism_not_offered:
        return "SASL mechanism not offered by the server";
      case errc::unknown_mechanism:
        return "unknown SASL mechanism";
      case errc::plaintext_refused:
        return "refusing to send credentials over an unencrypted link";
      case errc::credential_kind_mismatch:
        return "credential kind does not fit the mechanism";
      case errc::unsafe_credential:
        return "credential cannot be sent safely by this mechanism";
      case errc::bad_challenge:
        return "malformed SASL challenge";
      case errc::unexpected_challenge:
        return "unexpected SASL challenge";
      case errc::challenge_too_long:
        return "SASL challenge too long";
      case errc::server_signature_mismatch:
        return "server signature mismatch";
      case errc::authentication_failed:
        return "authentication failed";
    }
    return "unknown mailproto.sasl error";
  }

  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::no_common_mechanism:
      case errc::mechanism_not_offered:
      case errc::authentication_failed:
      case errc::server_signature_mismatch:
        return make_error_condition(condition::auth_failed);
      case errc::plaintext_refused:
        return make_error_condition(condition::tls_failed);
      case errc::unknown_mechanism:
      case errc::credential_kind_mismatch:
      case errc::unsafe_credential:
        return make_error_condition(condition::bad_argument);
      case errc::bad_challenge:
      case errc::unexpected_challenge:
      case errc::challenge_too_long:
        return make_error_condition(condition::protocol_violation);
    }
    return {v, *this};
  }

  // Only a failed mutual authentication condemns the connection: the peer is not the
  // server that holds our verifier. Anything else: cancel the exchange and carry on.
  bool is_fatal(int v) const noexcept override {
    return static_cast<errc>(v) == errc::server_signature_mismatch;
  }
};

}  // namespace

const std::error_category& sasl_category() noexcept {
  static const sasl_category_impl cat;
  return cat;
}

}  // namespace mailproto::sasl
