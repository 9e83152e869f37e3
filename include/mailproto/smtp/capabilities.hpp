// mailproto/smtp/capabilities.hpp — what the server said it supports in its EHLO reply.
#pragma once

#include <mailproto/server_reply.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailproto::smtp {

/// The ESMTP extensions of an EHLO reply (RFC 5321 §4.1.1.1). Empty after a HELO fallback.
struct capabilities {
  bool esmtp = false;       ///< EHLO succeeded (false: HELO fallback, no extensions)
  std::string server_name;  ///< the domain on the first line of the EHLO reply (untrusted)
  /// SIZE (RFC 1870): the largest message accepted; 0 = no limit announced (or "SIZE" alone).
  std::optional<std::uint64_t> size;
  bool pipelining = false;             ///< RFC 2920
  bool eight_bit_mime = false;         ///< 8BITMIME, RFC 6152
  bool smtputf8 = false;               ///< RFC 6531
  bool starttls = false;               ///< RFC 3207
  bool chunking = false;               ///< CHUNKING (BDAT), RFC 3030
  bool binary_mime = false;            ///< BINARYMIME, RFC 3030
  bool dsn = false;                    ///< RFC 3461
  bool enhanced_status_codes = false;  ///< RFC 2034
  bool require_tls = false;            ///< REQUIRETLS, RFC 8689
  std::vector<std::string> auth;       ///< AUTH mechanisms (RFC 4954 §3), upper case
  /// Every keyword line as sent, after the first line (for extensions not listed above).
  std::vector<std::string> lines;

  /// True if the keyword (case-insensitive) was advertised.
  bool has(std::string_view keyword) const;

  /// Parse an EHLO reply (its lines; the first line is the server's greeting name).
  /// Unknown keywords are kept in `lines`; malformed parameters are ignored.
  static capabilities parse(const server_reply& ehlo_reply);
};

}  // namespace mailproto::smtp
