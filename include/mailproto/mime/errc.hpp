// mailproto/mime/errc.hpp — errors of the MIME module (category "mailproto.mime").
#pragma once

#include <mailproto/error.hpp>

#include <system_error>

namespace mailproto::mime {

enum class errc {
  bad_base64 = 1,        ///< strict base64 decode met a character outside the alphabet
  bad_quoted_printable,  ///< strict QP decode met a malformed escape
  bad_encoded_word,      ///< an RFC 2047 encoded word could not be decoded
  unknown_charset,       ///< iconv does not know this charset; the bytes were kept raw
  bad_charset_data,      ///< the bytes are not valid in the named charset
  bad_address,           ///< an address could not be parsed (the message names it)
  unsafe_header,         ///< a header name or value holds CR, LF or NUL, or a bad name
  bad_header_name,       ///< a header name holds characters outside RFC 5322 ftext
  line_too_long,         ///< a line would exceed 998 octets and cannot be folded
  file_error,            ///< an attachment file could not be opened or read
  sink_error,            ///< the output sink reported a failure
  limit_exceeded,        ///< a parser bound (header size, depth, part count) was hit
  bad_media_type,        ///< a Content-Type could not be parsed
  bad_argument,          ///< other invalid input from the caller
};

const std::error_category& mime_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), mime_category()};
}

}  // namespace mailproto::mime

template <>
struct std::is_error_code_enum<mailproto::mime::errc> : std::true_type {};
