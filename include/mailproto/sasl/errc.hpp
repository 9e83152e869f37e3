// mailproto/sasl/errc.hpp — errors of the SASL module (category "mailproto.sasl").
//
// Mapping onto mailproto::condition (see error.hpp):
//   auth_failed        no_common_mechanism, mechanism_not_offered, authentication_failed,
//                      server_signature_mismatch
//   tls_failed         plaintext_refused (the fix is "use TLS", not "change the password")
//   bad_argument       unknown_mechanism, credential_kind_mismatch, unsafe_credential
//   protocol_violation bad_challenge, unexpected_challenge, challenge_too_long
// Only server_signature_mismatch is fatal (mailproto::is_fatal): the server could not prove
// it knows the password, so it must not be trusted with anything else on that connection.
// After any other error in the middle of an exchange, the protocol cancels the exchange
// ("*" in SMTP/POP3/IMAP AUTH, RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2) and may go on.
#pragma once

#include <mailproto/error.hpp>

#include <system_error>

namespace mailproto::sasl {

enum class errc {
  no_common_mechanism = 1,    ///< no mechanism the server offers fits the credential kind
  mechanism_not_offered,      ///< the caller forced a mechanism the server does not offer
  unknown_mechanism,          ///< a mechanism name this library does not implement
  plaintext_refused,          ///< refusing to send credentials over an unencrypted link
  credential_kind_mismatch,   ///< password for an OAuth mechanism, token for a password one,
                              ///< or credentials with both or neither of password/token
  unsafe_credential,          ///< user/password/token/authzid holds a byte the mechanism
                              ///< cannot carry (NUL, CR, LF, ^A, ...) or fails SASLprep
  bad_challenge,              ///< the server's challenge is malformed for this mechanism
  unexpected_challenge,       ///< a challenge arrived after the exchange was complete
  challenge_too_long,         ///< a challenge exceeded mechanism_options::max_challenge
  server_signature_mismatch,  ///< SCRAM: the server's v= is wrong or missing (fatal)
  authentication_failed,      ///< the server said no (for the protocols to report; the
                              ///< mechanism's error_detail() may say why)
};

const std::error_category& sasl_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), sasl_category()};
}

}  // namespace mailproto::sasl

template <>
struct std::is_error_code_enum<mailproto::sasl::errc> : std::true_type {};
