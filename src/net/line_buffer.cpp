#include <mailproto/net/line_buffer.hpp>

#include <cstring>

namespace mailproto::net {

bool is_safe_wire_value(std::string_view s) noexcept {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

void line_buffer::feed(std::string_view bytes) {
  if (borrowed_) keep();
  // Compact before growing: what was returned already is dropped, so the buffer holds at
  // most one partial line plus the newest read.
  if (start_ > 0 && (start_ == buf_.size() || start_ > buf_.size() / 2)) {
    buf_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  buf_.append(bytes);
}

void line_buffer::feed_borrowed(std::string_view bytes) {
  if (borrowed_ || start_ != buf_.size()) {  // something pending: append behind it
    feed(bytes);
    return;
  }
  buf_.clear();
  ext_ = bytes;
  borrowed_ = true;
  start_ = scan_ = 0;
}

void line_buffer::keep() {
  if (!borrowed_) return;
  const std::string_view rest = ext_.substr(start_);
  buf_.assign(rest.data(), rest.size());
  scan_ -= start_;
  start_ = 0;
  ext_ = {};
  borrowed_ = false;
}

std::optional<std::string_view> line_buffer::next_line(std::error_code& ec) {
  const std::string_view d = data();
  const char* base = d.data();
  const std::size_t end = d.size();
  if (scan_ < start_) scan_ = start_;
  const void* hit = scan_ < end ? std::memchr(base + scan_, '\n', end - scan_) : nullptr;
  if (!hit) {
    scan_ = end;
    // A CR that may be followed by LF in the next read does not count toward the line.
    std::size_t partial = end - start_;
    if (partial > 0 && base[end - 1] == '\r') --partial;
    if (partial > max_line_) ec = errc::line_too_long;
    return std::nullopt;
  }
  const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
  std::size_t stop = lf;
  bare_lf_ = !(stop > start_ && base[stop - 1] == '\r');
  if (!bare_lf_) --stop;
  if (stop - start_ > max_line_) {
    ec = errc::line_too_long;
    return std::nullopt;
  }
  std::string_view line(base + start_, stop - start_);
  start_ = lf + 1;
  scan_ = start_;
  return line;
}

void line_buffer::consume(std::size_t n) noexcept {
  start_ += std::min(n, data().size() - start_);
  if (scan_ < start_) scan_ = start_;
}

void line_buffer::clear() noexcept {
  buf_.clear();
  ext_ = {};
  borrowed_ = false;
  start_ = scan_ = 0;
  bare_lf_ = false;
}

}  // namespace mailproto::net
