// Private: a memcpy for the short texts most IMAP tokens are, shared by the response parser
// and the FETCH decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mailproto::imap::detail {

// Fixed-size copies that overlap, reading and writing only [p, p + n) and [d, d + n), so
// a short token costs no library call.
inline void copy_short(char* d, const char* p, std::size_t n) noexcept {
  if (n >= 16) {
    std::memcpy(d, p, n);
  } else if (n >= 8) {
    std::uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else if (n > 0) {
    d[0] = p[0];
    d[n / 2] = p[n / 2];
    d[n - 1] = p[n - 1];
  }
}

}  // namespace mailproto::imap::detail
