// mailproto/smtp/errc.hpp — errors of the SMTP module.
//
// Two categories:
//   "mailproto.smtp"        what the client detected (smtp::errc below);
//   "mailproto.smtp.reply"  a refusal by the server: the value IS the reply code
//                           (550 stays 550), made with smtp::make_reply_error(code).
//
// Mapping onto mailproto::condition (see error.hpp):
//   transient          4xx replies, recipients_deferred, service_closing (421)
//   permanent          5xx replies, greeting_refused, all_recipients_rejected,
//                      some_recipients_rejected, message_too_large
//   auth_failed        auth_failed, auth_not_offered
//   tls_failed         tls_mode_mismatch
//   protocol_violation bad_reply, reply_too_long, inconsistent_reply, unexpected_reply
//   bad_argument       no_recipients, bad_address, smtputf8_required,
//                      extension_not_supported, busy
// Fatal (mailproto::is_fatal: reconnect): protocol violations, tls_mode_mismatch,
// service_closing, greeting_refused, reply 421. A refusal of one command is not fatal.
#pragma once

#include <mailproto/error.hpp>

#include <system_error>

namespace mailproto::smtp {

enum class errc {
  bad_reply = 1,             ///< a reply line is not "ddd[ -]text" (RFC 5321 §4.2)
  reply_too_long,            ///< a multi-line reply has more lines than the limit
  inconsistent_reply,        ///< lines of one multi-line reply carry different codes
  unexpected_reply,          ///< a reply code that makes no sense at this step
  greeting_refused,          ///< the server greeted with 554 (RFC 5321 §3.1)
  service_closing,           ///< 421: the server is closing the channel (RFC 5321 §3.8)
  tls_mode_mismatch,         ///< implicit TLS against a plain port, or plain against a TLS port
  auth_not_offered,          ///< the server advertises no AUTH mechanism
  auth_failed,               ///< the server refused the credentials (535, 534, 454, ...)
  no_recipients,             ///< the envelope names no recipient
  bad_address,               ///< an address is empty, holds CR/LF/NUL, '<', '>' or spaces
  smtputf8_required,         ///< a UTF-8 address, but the server has no SMTPUTF8 (RFC 6531)
  extension_not_supported,   ///< the envelope asks for an extension the server lacks
                             ///< (8BITMIME, BINARYMIME, DSN, REQUIRETLS)
  message_too_large,         ///< the message exceeds the server's SIZE (RFC 1870), not sent
  all_recipients_rejected,   ///< every RCPT TO was refused permanently (nothing sent)
  recipients_deferred,       ///< every RCPT TO was refused, some only for now (4xx)
  some_recipients_rejected,  ///< all-or-nothing asked, and a recipient was refused
  not_ready,                 ///< the session is not connected (connect first)
};

const std::error_category& smtp_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), smtp_category()};
}

/// The category of server refusals: the error value is the SMTP reply code.
const std::error_category& reply_category() noexcept;
/// An error_code for a refusal with reply code `code` (e.g. 550).
inline std::error_code make_reply_error(int code) noexcept {
  return {code, reply_category()};
}

}  // namespace mailproto::smtp

template <>
struct std::is_error_code_enum<mailproto::smtp::errc> : std::true_type {};
