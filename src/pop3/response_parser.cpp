// POP3 response parsing (RFC 1939 §3, RFC 2449 §8, RFC 5034 §4). See response_parser.hpp.
#include <mailproto/pop3/errc.hpp>
#include <mailproto/pop3/response_parser.hpp>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailproto::pop3 {

server_reply response::to_reply() const {
  server_reply r;
  r.status = type == kind::ok ? "+OK" : type == kind::err ? "-ERR" : "+";
  r.enhanced = code;
  if (!text.empty()) r.lines.push_back(text);
  return r;
}

namespace {

// RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level) "]";
// resp-level = 1*<any CHAR except "[", "]", SP, CTL>. Returns the code or "" (then the
// brackets are ordinary text).
bool split_code(std::string_view text, std::string& code, std::string_view& rest) {
  if (text.empty() || text.front() != '[') return false;
  const auto close = text.find(']');
  if (close == std::string_view::npos || close == 1) return false;
  const std::string_view inner = text.substr(1, close - 1);
  bool level_empty = true;
  for (char c : inner) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/') {
      if (level_empty) return false;
      level_empty = true;
      continue;
    }
    if (u <= 0x20 || u >= 0x7f || c == '[') return false;
    level_empty = false;
  }
  if (level_empty) return false;
  code.assign(inner);
  rest = text.substr(close + 1);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return true;
}

}  // namespace

bool parse_status_line(std::string_view line, bool allow_continuation, response& out) {
  out.code.clear();
  out.text.clear();
  // RFC 1939 §3: responses are printable text; a NUL would cut the text short for C-string
  // consumers and hide what follows it, so a status line holding one is malformed.
  if (line.find('\0') != std::string_view::npos) return false;
  std::string_view rest;
  if (line.starts_with("+OK")) {
    out.type = response::kind::ok;
    rest = line.substr(3);
  } else if (line.starts_with("-ERR")) {
    out.type = response::kind::err;
    rest = line.substr(4);
  } else if (allow_continuation && line.starts_with("+") && (line.size() == 1 || line[1] == ' ')) {
    // RFC 5034 §4: continue-req = "+" SP [base64] CRLF (we also accept a bare "+").
    out.type = response::kind::continuation;
    rest = line.substr(1);
    if (!rest.empty()) rest.remove_prefix(1);
    out.text.assign(rest);
    return true;
  } else {
    return false;
  }
  if (!rest.empty()) {
    if (rest.front() != ' ') return false;  // "+OKAY" is not a status
    rest.remove_prefix(1);
  }
  std::string_view after;
  if (split_code(rest, out.code, after)) rest = after;
  out.text.assign(rest);
  return true;
}

response_parser::response_parser(parser_limits limits) : limits_(limits), lines_(limits.max_line) {}

void response_parser::set_limits(parser_limits l) noexcept {
  limits_ = l;
  lines_.set_max_line(l.max_line);
}

void response_parser::reset() noexcept {
  lines_.clear();
  in_data_ = false;
  data_ = {};
  lines_seen_ = 0;
}

response_parser::event response_parser::next(std::error_code& ec) {
  if (in_data_ && bulk_) {
    // The run of complete, ordinary lines at the front of the buffer, handed over as is.
    const std::string_view p = lines_.pending();
    std::size_t pos = 0;
    // Takes the line ending at the LF at `lf` into the run. False when the run ends: before
    // that line (a bare LF, a line over max_line: the line path reports them) or after it
    // (the next line starts with '.': stuffed, or the terminator).
    auto take = [&](std::size_t lf) {
      if (lf == pos || p[lf - 1] != '\r' || lf - 1 - pos > limits_.max_line) return false;
      pos = lf + 1;
      return pos == p.size() || p[pos] != '.';
    };
    bool more = p.empty() || p[0] != '.';
#if defined(__SSE2__)
    // 16 bytes at a time: every LF of a block in turn, without a memchr call per line.
    const __m128i lf_v = _mm_set1_epi8('\n');
    for (std::size_t i = 0; more && i + 16 <= p.size(); i += 16) {
      unsigned m = static_cast<unsigned>(_mm_movemask_epi8(
          _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p.data() + i)), lf_v)));
      for (; more && m != 0; m &= m - 1)
        more = take(i + static_cast<std::size_t>(__builtin_ctz(m)));
    }
#endif
    while (more && pos < p.size()) {  // the rest (or all, without SSE2)
      const void* hit = std::memchr(p.data() + pos, '\n', p.size() - pos);
      if (!hit) break;
      more = take(static_cast<std::size_t>(static_cast<const char*>(hit) - p.data()));
    }
    if (pos > 0) {
      data_ = p.substr(0, pos);
      lines_.consume(pos);
      return event::data_bytes;
    }
  }
  auto line = lines_.next_line(ec);
  if (!line) return event::need_more;
  if (!in_data_) {
    if (!parse_status_line(*line, continuation_, status_)) {
      ec = errc::bad_response;
      return event::need_more;
    }
    if (multiline_ && status_.type == response::kind::ok) {
      in_data_ = true;
      lines_seen_ = 0;
    }
    return event::status;
  }
  // RFC 1939 §3: a line consisting of "." ends the response; any other line starting with
  // "." has had one "." prepended by the server (byte-stuffing), which we remove.
  std::string_view l = *line;
  if (l.size() == 1 && l.front() == '.') {
    in_data_ = false;
    data_ = {};
    return event::end_of_data;
  }
  if (!l.empty() && l.front() == '.') l.remove_prefix(1);
  if (count_ && ++lines_seen_ > limits_.max_lines) {
    ec = errc::response_too_large;
    return event::need_more;
  }
  data_ = l;
  return event::data_line;
}

}  // namespace mailproto::pop3
