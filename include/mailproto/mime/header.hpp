// mailproto/mime/header.hpp — parsed header fields and their structured values.
//
// A `header_list` keeps every field of one entity in input order (repeated fields stay
// repeated), each with its raw text (folding kept) and its byte offset in the input. Values
// are interpreted on demand:
//
//   value()       unfolded (RFC 5322 §2.2.3), surrounding whitespace trimmed
//   decoded()     value() with RFC 2047 encoded words decoded to UTF-8; raw 8-bit UTF-8
//                 (RFC 6532) is kept; bytes that are not UTF-8 become U+FFFD
//   structured    addresses (RFC 5322 §3.4), dates (§3.3 with the obsolete forms of §4.3),
//                 Message-ID lists (§3.6.4), Received (§3.6.7), media types (RFC 2045 §5.1)
//                 with RFC 2231 parameters, Content-Disposition (RFC 2183)
#pragma once

#include <mailproto/mime/address.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mailproto::mime {

/// One header field as it appeared in the input.
struct header_field {
  std::string name;          ///< field name as written (case kept, surrounding WSP removed)
  std::string raw_value;     ///< everything after the colon, folding kept, final line break removed
  std::uint64_t offset = 0;  ///< byte offset of the field's first byte in the parsed input
  std::uint64_t length = 0;  ///< raw length in the input, final line break included

  /// Unfolded value: line breaks of folds removed (RFC 5322 §2.2.3), leading and trailing
  /// whitespace trimmed.
  std::string value() const;
  /// value() with RFC 2047 words decoded; always valid UTF-8.
  std::string decoded() const;
  /// Case-insensitive name comparison (RFC 5322 §1.2.2: field names are case-insensitive).
  bool is(std::string_view n) const noexcept;
};

/// A date-time from a header (RFC 5322 §3.3).
struct date_time {
  int year = 0;                ///< four digits (two-digit years mapped per RFC 5322 §4.3)
  int month = 0;               ///< 1..12
  int day = 0;                 ///< 1..31
  int hour = 0;                ///< 0..23
  int minute = 0;              ///< 0..59
  int second = 0;              ///< 0..60 (0 when the seconds were omitted)
  int utc_offset_minutes = 0;  ///< +0200 is 120, EST is -300; unknown zones are 0

  /// Seconds since 1970-01-01T00:00:00Z of this instant.
  std::int64_t to_unix() const noexcept;
  /// Equal when every field (the zone offset included) is equal.
  friend bool operator==(const date_time&, const date_time&) = default;
};

/// Parse a date-time leniently: optional day of week, comments, folding, two- and
/// three-digit years, missing seconds, named zones (UT, GMT, EST, EDT, CST, CDT, MST, MDT,
/// PST, PDT; military letters count as +0000) per RFC 5322 §4.3, and the asctime form
/// "Mon Jan  2 15:04:05 2006". Returns nullopt when no date can be found.
std::optional<date_time> parse_date(std::string_view value);

/// Message identifiers of a Message-ID / In-Reply-To / References value, without the angle
/// brackets, in order (RFC 5322 §3.6.4). Words between ids (obsolete phrases) are skipped;
/// a value with no angle brackets yields its single trimmed token.
std::vector<std::string> parse_message_ids(std::string_view value);

/// The clauses of a Received trace field (RFC 5322 §3.6.7, RFC 5321 §4.4).
struct received_info {
  ///@{
  /// The FROM, BY, VIA, WITH, ID and FOR clauses.
  std::string from, by, via, with, id, for_;  ///< first word after each keyword ("" if absent)
  std::optional<date_time> date;              ///< the date after the last ';'
  ///@}
};
received_info parse_received(std::string_view value);

/// Parameters of a structured field, decoded: RFC 2231 continuations, charsets and
/// languages; RFC 2047 words inside quoted values. Names are lower-case.
using parameter_list = std::vector<std::pair<std::string, std::string>>;

/// The value of the parameter named `name` (case-insensitive), or nullptr.
const std::string* find_parameter(const parameter_list& params, std::string_view name) noexcept;

/// A media type (RFC 2045 §5.1): type and subtype in lower case plus parameters.
struct media_type {
  std::string type = "text";      ///< top-level type, lower case
  std::string subtype = "plain";  ///< subtype, lower case
  parameter_list params;          ///< parameters (charset, boundary, name, ...)

  /// "type/subtype".
  std::string full() const { return type + "/" + subtype; }
  /// True for type `t` and subtype `s` (both given in lower case).
  bool is(std::string_view t, std::string_view s) const noexcept {
    return type == t && subtype == s;
  }
  /// The parameter `name` (case-insensitive), or nullptr.
  const std::string* param(std::string_view name) const noexcept {
    return find_parameter(params, name);
  }
};

/// Parse a Content-Type value. Comments are skipped; parameter syntax is lenient (missing
/// ';', spaces around '=', unquoted values with spaces). Returns false (and leaves `out`
/// untouched) when there is no valid "type/subtype".
bool parse_media_type(std::string_view value, media_type& out);

/// A Content-Disposition value (RFC 2183): the disposition type in lower case and params.
struct content_disposition {
  std::string type;       ///< "inline", "attachment", ... ("" when absent)
  parameter_list params;  ///< filename, size, dates (RFC 2183 §2.3-§2.7)
};
bool parse_content_disposition(std::string_view value, content_disposition& out);

/// Parse "; name=value; ..." parameters (RFC 2045 §5.1, RFC 2231) from `text` onwards.
parameter_list parse_parameters(std::string_view text);

/// The header fields of one entity, in input order.
class header_list {
 public:
  /// Iterates the fields in input order.
  using const_iterator = std::vector<header_field>::const_iterator;

  /// Append a field.
  void add(header_field f) { fields_.push_back(std::move(f)); }
  /// Number of fields.
  std::size_t size() const noexcept { return fields_.size(); }
  /// True when there are no fields.
  bool empty() const noexcept { return fields_.empty(); }
  /// The i-th field (0-based, input order).
  const header_field& operator[](std::size_t i) const { return fields_[i]; }
  /// First field.
  const_iterator begin() const noexcept { return fields_.begin(); }
  /// Past the last field.
  const_iterator end() const noexcept { return fields_.end(); }

  /// First field with this name (case-insensitive), or nullptr.
  const header_field* find(std::string_view name) const noexcept;
  /// Every field with this name, in order.
  std::vector<const header_field*> find_all(std::string_view name) const;
  /// How many fields carry this name.
  std::size_t count(std::string_view name) const noexcept;
  /// decoded() of the first field with this name.
  std::optional<std::string> get(std::string_view name) const;

  /// Address list of the first field `name` (From, To, Cc, Reply-To, ...); all fields of
  /// that name are joined, as repeated To: fields mean one list. Empty when absent.
  std::vector<address> addresses(std::string_view name, std::error_code& ec) const;
  /// parse_date() of the first field `name`.
  std::optional<date_time> date(std::string_view name = "Date") const;
  /// parse_message_ids() of the first field `name`.
  std::vector<std::string> message_ids(std::string_view name = "Message-ID") const;
  /// Every Received field, top (newest) first, parsed.
  std::vector<received_info> received() const;

 private:
  std::vector<header_field> fields_;
};

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace mailproto::mime
