// mailproto/net/line_buffer.hpp — bounded, incremental CRLF line splitting for the parsers.
//
// Bytes are appended with feed(); complete lines come out of next_line() without their line
// ending. Scanning resumes where it stopped, so a line that arrives one byte at a time is
// scanned once (picohttpparser's last_len). A line longer than the bound is an error as soon
// as that many bytes are buffered without a line end — memory never grows past the bound
// plus one read.
#pragma once

#include <mailproto/net/errc.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace mailproto::net {

/// True if `s` can go on the wire inside a command: no CR, LF or NUL.
bool is_safe_wire_value(std::string_view s) noexcept;

/// Splits received bytes into CRLF-terminated lines, with a bound on the line length:
/// incremental (bytes may arrive split anywhere; scanning resumes where it stopped) and
/// never growing past max_line() for a line that has not ended.
class line_buffer {
 public:
  /// A buffer that refuses lines longer than `max_line` bytes (without CRLF).
  explicit line_buffer(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}

  /// Append received bytes.
  void feed(std::string_view bytes);

  /// Zero-copy feed for bulk transfers: when nothing is pending, the buffer reads `bytes`
  /// where they are instead of copying them (otherwise it appends, as feed()). The caller
  /// must call keep() before that memory changes (its next read); until then the bytes are
  /// borrowed.
  void feed_borrowed(std::string_view bytes);
  /// Copy what is still pending of borrowed bytes into the buffer's own storage (a partial
  /// line, usually): from then on the caller's memory is no longer used.
  void keep();

  /// The next complete line without its CRLF (a bare LF also ends a line; `bare_lf()` then
  /// reports it). The view stays valid until the next call of any non-const member.
  /// Returns nullopt when no complete line is buffered; `ec` is set to
  /// errc::line_too_long when the pending partial line exceeds the bound.
  std::optional<std::string_view> next_line(std::error_code& ec);

  /// Whether the line last returned ended in a bare LF instead of CRLF.
  bool bare_lf() const noexcept { return bare_lf_; }

  /// Bytes buffered and not yet returned as lines (e.g. a literal's content, or data
  /// that arrived before a TLS handshake).
  std::string_view pending() const noexcept { return data().substr(start_); }
  /// Drop `n` bytes from the front of pending().
  void consume(std::size_t n) noexcept;
  /// True when nothing is pending.
  bool empty() const noexcept { return start_ == data().size(); }
  /// Drop everything buffered.
  void clear() noexcept;
  /// The bound on one line, in bytes without CRLF.
  std::size_t max_line() const noexcept { return max_line_; }
  /// Change the bound (applies to lines not yet returned).
  void set_max_line(std::size_t n) noexcept { max_line_ = n; }

 private:
  // The bytes being read: the borrowed view while there is one, else the own buffer.
  std::string_view data() const noexcept { return borrowed_ ? ext_ : std::string_view(buf_); }

  std::string buf_;
  std::string_view ext_;   // borrowed bytes (feed_borrowed), valid until keep()
  bool borrowed_ = false;  // start_/scan_ index ext_ instead of buf_
  std::size_t start_ = 0;  // first byte not yet returned
  std::size_t scan_ = 0;   // where the search for LF resumes
  std::size_t max_line_;
  bool bare_lf_ = false;
};

}  // namespace mailproto::net
