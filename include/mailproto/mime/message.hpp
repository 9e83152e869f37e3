// mailproto/mime/message.hpp — the parsed form of a message: a tree of entities.
//
// `entity_head` is what the streaming parser knows about an entity once its header block is
// read (headers, media type, disposition, transfer encoding, offsets, defects). `entity`
// adds the decoded body and the children, and `message` owns the root. Build one with
// mime::parse_message() / mime::parse_file() (parser.hpp), or stream with mime::parser.
#pragma once

#include <mailproto/mime/header.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::mime {

/// Every leniency the parser applies is recorded as one of these on the entity where it
/// happened (like Python's `email` defects and GMime's warnings); nothing is thrown.
enum class defect_kind {
  /// A line that is not a header field ended the header block; on a message/rfc822 or
  /// message/global entity: its body does not start with a header field, so it is not a
  /// message and was kept as a leaf with the raw body.
  missing_header_body_separator,
  continuation_without_field,   ///< a folded line with no field before it (dropped)
  bad_header_name,              ///< a field name outside RFC 5322 ftext (kept)
  header_line_too_long,         ///< a field exceeded parser_limits::max_header_line (truncated)
  too_many_headers,             ///< more than parser_limits::max_headers fields (rest dropped)
  header_block_too_long,        ///< header block exceeded max_header_bytes (rest dropped)
  invalid_utf8_header,          ///< 8-bit header bytes that are not UTF-8 (RFC 6532)
  bad_content_type,             ///< unparsable Content-Type: RFC 2045 §5.2 default applied
  duplicate_content_type,       ///< more than one Content-Type: the first one is used
  duplicate_transfer_encoding,  ///< more than one Content-Transfer-Encoding: first used
  multipart_without_boundary,   ///< multipart/* without a boundary: parsed as a leaf
  missing_start_boundary,       ///< a multipart body with no boundary line at all
  missing_end_boundary,         ///< a multipart (or its part) ended without close delimiter
  /// Characters outside the base64 alphabet were skipped (RFC 2045 §6.8) — or, when the
  /// body's first line has two or more of them, the body was never encoded and was kept raw.
  bad_base64,
  bad_quoted_printable,       ///< malformed "=" escapes were kept literally
  unknown_transfer_encoding,  ///< unknown Content-Transfer-Encoding: body kept raw
  encoded_composite,  ///< multipart or message/* with base64/QP encoding (RFC 2045 §6.4): leaf
  nesting_too_deep,   ///< parser_limits::max_depth reached: parsed as a leaf
  too_many_parts,     ///< parser_limits::max_parts reached: further parts are body text
  unknown_charset,    ///< text in a charset iconv does not know (kept raw)
  bad_charset_data,   ///< bytes invalid in the declared charset (U+FFFD)
};

/// Short stable name of a defect ("missing_end_boundary").
const char* to_string(defect_kind k) noexcept;

/// One defect: what was tolerated and where.
struct defect {
  /// What was tolerated.
  defect_kind kind;
  std::uint64_t offset = 0;  ///< byte offset in the input where it was noticed
  /// Same kind at the same offset.
  friend bool operator==(const defect&, const defect&) = default;
};

/// What is known about an entity after its header block.
struct entity_head {
  /// The header fields in order, as they appeared (values raw, not decoded).
  header_list headers;
  media_type
      content_type;  ///< explicit or defaulted (RFC 2045 §5.2; digest children: message/rfc822)
  bool content_type_explicit = false;  ///< false when the default was applied
  content_disposition disposition;     ///< type is "" when absent
  std::string transfer_encoding;       ///< lower case, "" when absent (meaning 7bit)
  std::string charset;                 ///< the charset parameter, lower case ("" when absent)
  std::string content_id;              ///< without angle brackets ("" when absent)
  std::string filename;                ///< disposition filename, else Content-Type name (decoded)
  /// What the parser tolerated in this entity's header and body, in the order noticed.
  std::vector<defect> defects;
  std::size_t depth = 0;  ///< 0 for the root; +1 per multipart part or nested message
  /// True when the body was parsed as children (multipart parts or one nested message),
  /// false for a leaf (a multipart or message/* degraded to a leaf by a defect included).
  bool container = false;

  ///@{
  /// Byte offsets in the input: header block [header_offset, body_offset), body
  /// [body_offset, end_offset). The body range excludes the line break that belongs to a
  /// following boundary (RFC 2046 §5.1.1).
  std::uint64_t header_offset = 0;
  std::uint64_t body_offset = 0;
  std::uint64_t end_offset = 0;
  ///@}

  /// Media type multipart/* (true also when, lacking a boundary, it was parsed as a leaf).
  bool is_multipart() const noexcept { return content_type.type == "multipart"; }
  /// message/rfc822 or message/global: the body is parsed as a nested message.
  bool is_message() const noexcept {
    return content_type.type == "message" &&
           (content_type.subtype == "rfc822" || content_type.subtype == "global");
  }
  /// Media type text/*.
  bool is_text() const noexcept { return content_type.type == "text"; }
  /// Disposition "attachment", or a non-text leaf with a filename.
  bool is_attachment() const noexcept;
  /// Whether a defect of kind `k` was recorded on this entity (not its children).
  bool has_defect(defect_kind k) const noexcept;
};

/// An entity with its content: a leaf's decoded body, or a container's children.
struct entity : entity_head {
  /// Transfer-decoded body of a leaf (base64/QP removed, charset untouched). Empty for
  /// containers and for leaves the parser was told not to keep.
  std::string body;
  ///@{
  /// Raw preamble and epilogue of a multipart (RFC 2046 §5.1.1). A multipart without any
  /// boundary line is a leaf, and its text is in `body`.
  std::string preamble, epilogue;
  ///@}
  /// Multipart children in order; for message/rfc822 and message/global exactly one: the
  /// nested message's root.
  std::vector<entity> parts;

  /// The body of a text leaf converted to UTF-8 from its charset (us-ascii by default;
  /// 8-bit bytes that are valid UTF-8 are kept, others become U+FFFD). `ec` reports
  /// errc::unknown_charset (body kept as is, invalid UTF-8 replaced) or bad_charset_data.
  std::string text(std::error_code& ec) const;
  /// The same, ignoring the error.
  std::string text() const;
};

/// A parsed message: the root entity and convenience look-ups.
class message {
 public:
  message() = default;
  /// A message with this root entity.
  explicit message(entity root) : root_(std::move(root)) {}

  ///@{
  /// The root entity: the message itself (its header and body or parts).
  const entity& root() const noexcept { return root_; }
  entity& root() noexcept { return root_; }
  ///@}
  /// The message's header fields (the root's).
  const header_list& headers() const noexcept { return root_.headers; }

  /// First text/plain leaf that is not an attachment (depth-first), or nullptr.
  const entity* text_body() const noexcept;
  /// First text/html leaf that is not an attachment, or nullptr.
  const entity* html_body() const noexcept;
  /// Every leaf that is_attachment(), depth-first.
  std::vector<const entity*> attachments() const;
  /// Every entity, depth-first pre-order (root first).
  std::vector<const entity*> all() const;

 private:
  entity root_;
};

/// The entity tree as JSON, the shape printed by `mailproto parse --json`:
/// {"headers": [[name, decoded value], ...], "content_type": "type/sub", "params": {...},
///  "disposition": s|null, "filename": s|null, "charset": s|null, "size": n|null,
///  "sha256": hex|null, "defects": [...], "parts": [...], "text": s (text leaves only)}.
/// size and sha256 describe the decoded body of a leaf (null for containers); text is the
/// body converted to UTF-8. All strings are valid UTF-8 (bad bytes become U+FFFD).
std::string to_json(const entity& e);

/// Lower-case hex SHA-256 of `data` (OpenSSL libcrypto).
std::string sha256_hex(std::string_view data);

}  // namespace mailproto::mime
