// mailproto/mime/media_type.hpp — media types (RFC 2045 §5, RFC 6838) for attachments.
#pragma once

#include <string_view>

namespace mailproto::mime {

/// Media type of a file by its extension (case-insensitive), from a built-in table of the
/// common attachment types (".rar" -> "application/vnd.rar", ".pdf" -> "application/pdf",
/// ".eml" -> "message/rfc822", ".docx" -> the OOXML type, ...). Accepts "rar", ".rar",
/// "report.rar" or a path "dir/Báo cáo.RAR". Unknown or missing extension:
/// "application/octet-stream".
std::string_view media_type_for_filename(std::string_view filename) noexcept;

/// True if `s` is `type "/" subtype` with both parts RFC 2045 §5.1 tokens (no parameters).
bool is_valid_media_type(std::string_view s) noexcept;

/// True for "text/..." media types (case-insensitive).
bool is_text_media_type(std::string_view s) noexcept;

}  // namespace mailproto::mime
