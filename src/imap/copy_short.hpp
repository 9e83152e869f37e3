// Private: a memcpy for the short texts most IMAP tokens are, and the string overwrite built
// on it, shared by the response parser and the FETCH decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace mailproto::imap::detail {

// Two fixed-size copies of a T that overlap, covering [p, p + n) for sizeof(T) <= n <=
// 2 * sizeof(T).
template <class T>
inline void copy_two(char* d, const char* p, std::size_t n) noexcept {
  T a, b;
  std::memcpy(&a, p, sizeof a);
  std::memcpy(&b, p + n - sizeof b, sizeof b);
  std::memcpy(d, &a, sizeof a);
  std::memcpy(d + n - sizeof b, &b, sizeof b);
}

// Fixed-size copies that overlap, reading and writing only [p, p + n) and [d, d + n), so
// a short token costs no library call.
inline void copy_short(char* d, const char* p, std::size_t n) noexcept {
  if (n >= 16) {
    std::memcpy(d, p, n);
  } else if (n >= 8) {
    copy_two<std::uint64_t>(d, p, n);
  } else if (n >= 4) {
    copy_two<std::uint32_t>(d, p, n);
  } else if (n > 0) {
    d[0] = p[0];
    d[n / 2] = p[n / 2];
    d[n - 1] = p[n - 1];
  }
}

// Overwrites `s` with [p, p + n), reusing its buffer: the common case of a reused node or
// field whose old text was at least as long needs neither an allocation nor a library call
// beyond memcpy.
inline void set_text(std::string& s, const char* p, std::size_t n) {
  if (n <= s.size()) {
    copy_short(s.data(), p, n);
    s.erase(n);
  } else {
    s.assign(p, n);
  }
}

}  // namespace mailproto::imap::detail
