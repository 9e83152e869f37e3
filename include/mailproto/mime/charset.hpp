// mailproto/mime/charset.hpp — converting text to UTF-8 with glibc iconv.
#pragma once

#include <mailproto/mime/errc.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace mailproto::mime {

/// Convert `in` from `charset` (any MIME name or alias: "utf-8", "iso-8859-1", "latin1",
/// "windows-1258", "cp1252", "koi8-r", "gb2312", "gbk", "big5", "shift_jis", "iso-2022-jp",
/// "euc-kr", "us-ascii", ...) to UTF-8.
/// - unknown charset: ec = errc::unknown_charset, and the input is returned unchanged;
/// - invalid bytes: each is replaced by U+FFFD and ec = errc::bad_charset_data.
std::string to_utf8(std::string_view in, std::string_view charset, std::error_code& ec);

/// True if iconv can convert from this charset.
bool charset_known(std::string_view charset);

/// True if `s` is valid UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Normalise a charset name: lower-case, known aliases mapped ("latin1" -> "iso-8859-1",
/// "utf8" -> "utf-8", "ks_c_5601-1987" -> "euc-kr", "x-sjis" -> "shift_jis").
std::string canonical_charset(std::string_view name);

}  // namespace mailproto::mime
