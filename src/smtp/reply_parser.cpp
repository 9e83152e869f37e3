// SMTP reply parser. Theory of operation: bytes accumulate in a bounded net::line_buffer;
// next() takes complete lines one at a time. A line "ddd-text" opens or continues a
// multi-line reply, "ddd text" (or "ddd") completes it (RFC 5321 §4.2.1). State kept between
// calls: the code of the reply in progress and its lines so far, so bytes may arrive in any
// chunking and each byte is scanned once (the line buffer resumes its LF search).
#include <mailproto/smtp/errc.hpp>
#include <mailproto/smtp/reply_parser.hpp>

namespace mailproto::smtp {

namespace {
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
}  // namespace

std::size_t parse_enhanced_status(std::string_view t, char reply_class) noexcept {
  // RFC 3463 §2: status-code = class "." subject "." detail
  //   class = "2" / "4" / "5"; subject = 1*3digit; detail = 1*3digit
  if (t.size() < 5 || t[0] != reply_class || t[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t n = 0;
    while (i < t.size() && is_digit(t[i]) && n < 4) ++i, ++n;
    if (n == 0 || n > 3) return 0;
    if (part == 0) {
      if (i >= t.size() || t[i] != '.') return 0;
      ++i;
    }
  }
  if (i == t.size()) return i;  // the code alone
  if (t[i] != ' ') return 0;
  return i + 1;
}

reply_parser::reply_parser(reply_limits limits) : limits_(limits), buf_(limits.max_line) {}

void reply_parser::feed(std::string_view bytes) {
  buf_.feed(bytes);
}

void reply_parser::reset() {
  buf_.clear();
  failed_ = false;
  error_ = {};
  code_ = 0;
  lines_ = {};
}

bool reply_parser::next(server_reply& out, std::error_code& ec) {
  if (failed_) {
    ec = error_;
    return false;
  }
  auto fail = [&](std::error_code e) {
    failed_ = true;
    error_ = e;
    ec = e;
    return false;
  };
  for (;;) {
    std::error_code lec;
    auto line = buf_.next_line(lec);
    if (lec) return fail(lec);
    if (!line) return false;
    std::string_view l = *line;
    // Reply-code = %x32-35 %x30-35 %x30-39 (RFC 5321 §4.2)
    if (l.size() < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '5' || !is_digit(l[2]))
      return fail(make_error_code(errc::bad_reply));
    if (l.size() > 3 && l[3] != ' ' && l[3] != '-') return fail(make_error_code(errc::bad_reply));
    // textstring = 1*(%d09 / %d32-126) (RFC 5321 §4.2): 8-bit text is tolerated, a NUL never
    // (it would truncate the text for C string consumers and hide what follows).
    if (l.find('\0') != std::string_view::npos) return fail(make_error_code(errc::bad_reply));
    const int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    const bool last = l.size() == 3 || l[3] == ' ';
    if (code_ != 0 && code != code_) return fail(make_error_code(errc::inconsistent_reply));
    if (lines_.lines.size() >= limits_.max_lines)
      return fail(make_error_code(errc::reply_too_long));
    code_ = code;
    std::string_view text = l.size() > 4 ? l.substr(4) : std::string_view{};
    if (enhanced_ && (l[0] == '2' || l[0] == '4' || l[0] == '5')) {
      // RFC 2034 §4: every line of the reply carries the enhanced code; keep the first.
      if (std::size_t n = parse_enhanced_status(text, l[0])) {
        std::string_view status = text.substr(0, text[n - 1] == ' ' ? n - 1 : n);
        if (lines_.enhanced.empty()) lines_.enhanced = std::string(status);
        if (status == lines_.enhanced) text.remove_prefix(n);
      }
    }
    lines_.lines.emplace_back(text);
    if (last) {
      lines_.code = code_;
      out = std::move(lines_);
      lines_ = {};
      code_ = 0;
      return true;
    }
  }
}

}  // namespace mailproto::smtp
