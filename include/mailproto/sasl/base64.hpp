// mailproto/sasl/base64.hpp — the base64 the SASL exchanges travel in (RFC 4648 §4).
//
// SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE (RFC 9051 §6.2.2) carry
// every challenge and response base64-encoded on one line. These helpers are here so the
// protocols need not depend on the MIME module. Protocol-level conventions are the
// protocol's business: e.g. SMTP/IMAP SASL-IR send "=" for an empty initial response.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailproto::sasl {

/// Standard alphabet, with "=" padding, no line breaks. "" encodes as "".
std::string base64_encode(std::string_view bytes);

/// Strict decode: the length must be a multiple of 4, "=" may appear only as final padding,
/// no whitespace or characters outside the alphabet, and the unused bits of the last
/// group must be zero (RFC 4648 §3.5, canonical encoding). "" decodes as "".
/// Returns std::nullopt on any violation.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mailproto::sasl
