// mailproto/imap/errc.hpp — errors of the IMAP module (category "mailproto.imap").
//
// Mapping onto mailproto::condition (see error.hpp):
//   permanent           no (tagged NO), bad (tagged BAD), not_supported
//   transient           unavailable (NO [UNAVAILABLE] / [INUSE] / [LIMIT] / [EXPUNGEISSUED])
//   auth_failed         authentication_failed
//   connection_lost     bye (the server said BYE: the connection is gone)
//   protocol_violation  bad_response, literal_too_large, nesting_too_deep, response_too_large,
//                       unexpected_continuation, unexpected_tag, bad_greeting
//   bad_argument        invalid_argument, wrong_state, body_not_stored (not fatal)
// The server's own text and response code travel in the client's last_reply()
// (server_reply.status "NO", .enhanced "TRYCREATE"), never in the category message.
#pragma once

#include <mailproto/error.hpp>

#include <system_error>

namespace mailproto::imap {

enum class errc {
  no = 1,                   ///< the server answered the command with a tagged NO
  bad,                      ///< the server answered the command with a tagged BAD
  unavailable,              ///< NO with [UNAVAILABLE], [INUSE], [LIMIT]: try again later
  bye,                      ///< the server sent BYE (closing the connection) (fatal)
  authentication_failed,    ///< LOGIN / AUTHENTICATE refused
  bad_greeting,             ///< the greeting was not OK / PREAUTH (fatal)
  bad_response,             ///< a response line that breaks the RFC 9051 §9 grammar (fatal)
  literal_too_large,        ///< a literal announced larger than parser_limits allow (fatal)
  nesting_too_deep,         ///< parenthesised lists nested past parser_limits::max_depth (fatal)
  response_too_large,       ///< one response holds more bytes/items than the limits (fatal)
  unexpected_continuation,  ///< a "+" continuation request where none was expected (fatal)
  unexpected_tag,           ///< a tagged response with a tag we never sent (fatal)
  not_supported,            ///< the server does not offer what the command needs
  invalid_argument,         ///< a caller's value cannot be encoded (bad UTF-8, empty set...)
  wrong_state,              ///< the command is not valid in this state (e.g. FETCH unselected)
  /// FETCH: a body literal above parser_limits::max_literal_in_memory came and no
  /// fetch_options::body_sink was given; it was read and dropped, the command completed
  /// and the session goes on (not fatal: pass a body_sink, or raise the limit).
  body_not_stored,
};

const std::error_category& imap_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), imap_category()};
}

}  // namespace mailproto::imap

template <>
struct std::is_error_code_enum<mailproto::imap::errc> : std::true_type {};
