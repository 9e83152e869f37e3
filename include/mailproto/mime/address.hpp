// mailproto/mime/address.hpp — RFC 5322 §3.4 addresses: parse and format.
//
//   address-list = (address *("," address))
//   address      = mailbox / group
//   mailbox      = name-addr / addr-spec
//   group        = display-name ":" [group-list] ";" [CFWS]
//
// The parser accepts the obsolete forms of RFC 5322 §4.4 that real mail carries (empty
// list elements, source routes "<@a,@b:x@y>", CFWS between tokens, quoted-pairs) and
// decodes RFC 2047 encoded words in display names (RFC 2047 §5 rule 3). Internationalised
// addresses (RFC 6532: UTF-8 local parts and domains) are accepted. Every parse is
// bounded by `address_limits`.
#pragma once

#include <mailproto/mime/errc.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace mailproto::mime {

/// One mailbox: `"Display Name" <local@domain>`.
struct mailbox {
  std::string name;    ///< display name, UTF-8, decoded and unquoted (may be empty)
  std::string local;   ///< local part, unquoted (UTF-8 allowed, RFC 6532)
  std::string domain;  ///< domain or domain-literal "[192.0.2.1]" (UTF-8 allowed)

  /// `local@domain`, quoting the local part when it is not a dot-atom (RFC 5322 §3.4.1).
  std::string addr_spec() const;

  /// Equal when display name, local part and domain are equal (byte for byte).
  friend bool operator==(const mailbox&, const mailbox&) = default;
};

/// A named group of mailboxes: `Friends: a@x, b@y;` (RFC 5322 §3.4). May be empty
/// (`undisclosed-recipients:;`).
struct group {
  std::string name;              ///< display name, UTF-8, decoded
  std::vector<mailbox> members;  ///< the mailboxes, in order (may be empty)

  /// Equal when the names and all members are equal.
  friend bool operator==(const group&, const group&) = default;
};

using address = std::variant<mailbox, group>;

/// Bounds of the address parser.
struct address_limits {
  std::size_t max_length = 64 * 1024;  ///< whole header value, octets
  std::size_t max_count = 10000;       ///< addresses (mailboxes + groups) in one list
  std::size_t max_comment_depth = 32;  ///< nested "(...)" comments
};

/// Parse an RFC 5322 §3.4 address-list (as in To/Cc/From/Reply-To header values, folded or
/// unfolded). Display names have RFC 2047 words decoded and quoted strings unquoted;
/// comments are skipped (an old-style `addr (Name)` comment becomes the display name when
/// there is none). Empty elements ("a@x,,b@y") are skipped (RFC 5322 §4.4).
/// On error: returns {}, `ec` = errc::bad_address (or errc::limit_exceeded) and, when
/// `error_text` is given, it receives a one-line message naming the offending address.
/// CR/LF that are not part of a fold, NUL, unbalanced quotes/brackets/comments are errors.
std::vector<address> parse_address_list(std::string_view value, std::error_code& ec,
                                        std::string* error_text = nullptr,
                                        const address_limits& limits = {});

/// Parse exactly one mailbox (name-addr or addr-spec). Anything else (a group, a list,
/// trailing garbage) is errc::bad_address and std::nullopt.
std::optional<mailbox> parse_mailbox(std::string_view value, std::error_code& ec,
                                     std::string* error_text = nullptr,
                                     const address_limits& limits = {});

/// All mailboxes of the list, group members expanded in place.
std::vector<mailbox> flatten(const std::vector<address>& list);

/// True if `s` is an RFC 5322 §3.2.3 dot-atom (atext runs separated by single dots; UTF-8
/// octets >= 0x80 count as atext, RFC 6532 §3.2).
bool is_dot_atom(std::string_view s) noexcept;

/// True if the mailbox has a non-ASCII local part or domain (needs SMTPUTF8, RFC 6531).
bool needs_smtputf8(const mailbox& m) noexcept;

/// Format a mailbox for a header value: `addr-spec`, or `Name <addr-spec>` with the display
/// name left as an atom phrase, quoted (RFC 5322 §3.2.4) or RFC 2047-encoded as needed
/// (UTF-8 names are encoded unless `smtputf8`, where RFC 6532 allows them raw).
/// A UTF-8 local part or domain is only allowed when `smtputf8` is true; otherwise
/// ec = errc::bad_address (no punycode conversion is done). CR/LF/NUL anywhere, an empty
/// local part or domain: errc::bad_address. The result is not folded.
std::string format(const mailbox& m, bool smtputf8, std::error_code& ec);

/// Format a group: `Name: a@x, b@y;`.
std::string format(const group& g, bool smtputf8, std::error_code& ec);

/// Format a list of addresses joined by ", " and folded for a header whose name (with
/// ": ") takes `header_name_length` columns: lines <= 78 columns where possible, joined
/// by CRLF + space; never inside an address unless a single address is longer.
std::string format_list(const std::vector<address>& list, bool smtputf8, std::error_code& ec,
                        std::size_t header_name_length = 0);

}  // namespace mailproto::mime
