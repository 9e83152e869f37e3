// Private helpers on UTF-8 text shared by the header codecs.
#pragma once

#include <cstddef>
#include <string_view>

namespace mailproto::mime::detail {

// Length of the UTF-8 character starting at s[i] (1 for a byte that starts none, so invalid
// input is still split somewhere and never loops). Used so that encoded words and RFC 2231
// continuations never cut a character in two.
inline std::size_t utf8_char_len(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 1;
  if (c >= 0xC0 && c < 0xE0)
    n = 2;
  else if (c >= 0xE0 && c < 0xF0)
    n = 3;
  else if (c >= 0xF0 && c < 0xF8)
    n = 4;
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  return n;
}

}  // namespace mailproto::mime::detail
