// mailproto/pop3/errc.hpp — errors of the POP3 client (category "mailproto.pop3").
//
// Mapping onto mailproto::condition (see error.hpp):
//   transient          temporarily_rejected  (-ERR [IN-USE], [LOGIN-DELAY], [SYS/TEMP], RFC 2449
//   §8) permanent          rejected              (-ERR, -ERR [SYS/PERM]), update_failed auth_failed
//   authentication_failed (-ERR [AUTH], or -ERR to PASS/APOP/AUTH) protocol_violation bad_response,
//   response_too_large bad_argument       invalid_message_number, wrong_state, apop_not_offered
// bad_response and response_too_large are fatal (mailproto::is_fatal): the session cannot
// be resynchronised. A server refusal is not fatal: the session goes on.
#pragma once

#include <mailproto/error.hpp>

#include <system_error>

namespace mailproto::pop3 {

enum class errc {
  rejected = 1,            ///< the server answered -ERR (the text is in last_reply())
  temporarily_rejected,    ///< -ERR with [IN-USE], [LOGIN-DELAY] or [SYS/TEMP]: try later
  authentication_failed,   ///< -ERR [AUTH], or -ERR to PASS, APOP or AUTH
  bad_response,            ///< a line that is neither +OK, -ERR nor (in AUTH) "+ "
  response_too_large,      ///< a multi-line response exceeded parser_limits::max_lines
  invalid_message_number,  ///< message number 0 (POP3 numbers start at 1); nothing was sent
  wrong_state,             ///< the command is not valid in the session's state (RFC 1939 §3)
  apop_not_offered,        ///< APOP asked for, but the greeting holds no timestamp (§7)
  update_failed,           ///< -ERR to QUIT in the transaction state: deletions not done (§6)
};

const std::error_category& pop3_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), pop3_category()};
}

}  // namespace mailproto::pop3

template <>
struct std::is_error_code_enum<mailproto::pop3::errc> : std::true_type {};
