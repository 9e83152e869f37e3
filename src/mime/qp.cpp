// Quoted-printable (RFC 2045 §6.7): encoder with soft line breaks, streaming decoder.
#include <mailproto/mime/encoding.hpp>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailproto::mime {
namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr std::size_t max_encoded_line = 76;  // RFC 2045 §6.7 rule 5
// Longest whitespace run held back while deciding whether it is trailing (rule 3); longer
// runs are passed through, which keeps the decoder's memory bounded.
constexpr std::size_t max_pending_space = 1024;

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

// Appends one encoded line (no line break) to out, inserting soft breaks ("=" CRLF) so
// that no output line exceeds 76 characters (rule 5).
void encode_line(std::string_view line, std::string& out, bool force_ws_at_end) {
  std::size_t col = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = (i + 1 == line.size());
    char tok[3];
    std::size_t len;
    // Rule 2: printable ASCII 33..126 except "=" stands for itself. Rule 3: SP and HT
    // stand for themselves except at the end of an encoded line.
    const bool literal = (c >= 33 && c <= 126 && c != '=') ||
                         ((c == ' ' || c == '\t') && !(last && force_ws_at_end));
    if (literal) {
      tok[0] = static_cast<char>(c);
      len = 1;
    } else {  // rule 1: "=" followed by two upper-case hex digits
      tok[0] = '=';
      tok[1] = hex_upper[c >> 4];
      tok[2] = hex_upper[c & 15];
      len = 3;
    }
    // The last token of the line may use column 76; the others must leave room for "=".
    const std::size_t limit = last ? max_encoded_line : max_encoded_line - 1;
    if (col + len > limit) {
      out += "=\r\n";
      col = 0;
    }
    out.append(tok, len);
    col += len;
  }
}

}  // namespace

std::string qp_encode(std::string_view in, qp_mode mode) {
  std::string out;
  out.reserve(in.size() + in.size() / 8 + 16);
  if (mode == qp_mode::binary) {
    // CR and LF are data (=0D, =0A); the whole input is one logical line.
    encode_line(in, out, true);
    return out;
  }
  // Text: split on CRLF or LF; each becomes a hard CRLF line break. A bare CR is data.
  std::size_t start = 0;
  while (start <= in.size()) {
    const std::size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) {
      encode_line(in.substr(start), out, true);
      break;
    }
    std::size_t end = nl;
    if (end > start && in[end - 1] == '\r') --end;
    encode_line(in.substr(start, end - start), out, true);
    out += "\r\n";
    start = nl + 1;
    if (start == in.size()) break;
  }
  return out;
}

// ---------------------------------------------------------------- decoding
//
// pending_ holds what cannot be decided yet:
//   ""            nothing
//   "=", "=X"     an escape in progress
//   "=" WS* [CR]  a soft line break, possibly with (illegal but common) trailing blanks
//   WS+ [CR]      blanks that are dropped if the line ends here (rule 3)
//   CR            a CR that may start a CRLF

namespace {

// Bytes the fast path of the decoder stops at: the start of an escape, blanks (dropped when
// they end a line, rule 3) and CR (perhaps the start of a CRLF). Every other byte stands for
// itself (rule 2; lenient about 8-bit and control bytes, as the state machine is).
struct qp_special_table {
  bool v[256] = {};
  constexpr qp_special_table() {
    v[static_cast<unsigned char>('=')] = true;
    v[static_cast<unsigned char>(' ')] = true;
    v[static_cast<unsigned char>('\t')] = true;
    v[static_cast<unsigned char>('\r')] = true;
  }
};
constexpr qp_special_table qp_special;

}  // namespace

bool qp_decoder::update(std::string_view in, std::string& out, std::error_code& ec) {
  // Decoded output is never longer than the input plus what is held back.
  out.reserve(out.size() + in.size() + pending_.size());
  const char* p = in.data();
  const char* const end = p + in.size();
  // The fast path decodes the well-formed common cases (literal bytes, "=XY", soft line
  // breaks, CRLF, blanks inside a line or before a line break) straight from the input into
  // `buf`, each exactly as the state machine in step() would, and only while nothing is
  // held back. Anything else — an incomplete sequence at the end of `in`, a malformed
  // escape, a bare CR — goes through step() byte by byte until pending_ is empty again.
  char buf[4096];
  std::size_t nbuf = 0;
  while (p < end) {
    if (!pending_.empty()) {
      if (!step(*p++, out, ec)) return false;
      continue;
    }
    while (p < end) {
      if (nbuf > sizeof buf - 20) {
        out.append(buf, nbuf);
        nbuf = 0;
      }
#if defined(__SSE2__)
      if (end - p >= 17) {
        // Copy 16 bytes and keep those before the first one that needs a look: '=', CR, and a
        // blank followed by a blank or a line break (a blank before anything else is data).
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
        const __m128i blank_v = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
        const __m128i brk_w = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8(' ')),
                                                        _mm_cmpeq_epi8(w, _mm_set1_epi8('\t'))),
                                           _mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('\r')),
                                                        _mm_cmpeq_epi8(w, _mm_set1_epi8('\n'))));
        const __m128i sp = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')),
                                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
                                        _mm_and_si128(blank_v, brk_w));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(buf + nbuf), v);
        const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(sp));
        const std::size_t k = m ? static_cast<std::size_t>(__builtin_ctz(m)) : 16;
        nbuf += k;
        p += k;
        if (k == 16) continue;
      }
#endif
      const char c = *p;
      if (!qp_special.v[static_cast<unsigned char>(c)]) {
        buf[nbuf++] = c;
        ++p;
        continue;
      }
      const std::size_t avail = static_cast<std::size_t>(end - p);
      if (c == '=') {
        int h1, h2;
        if (avail >= 3 && (h1 = hex_value(p[1])) >= 0 && (h2 = hex_value(p[2])) >= 0) {
          buf[nbuf++] = static_cast<char>(h1 * 16 + h2);  // rule 1
          p += 3;
          continue;
        }
        if (avail >= 2 && p[1] == '\n') {  // soft line break (rule 5)
          p += 2;
          continue;
        }
        if (avail >= 3 && p[1] == '\r' && p[2] == '\n') {
          p += 3;
          continue;
        }
        break;
      }
      if (c == '\r') {
        if (avail >= 2 && p[1] == '\n') {
          buf[nbuf++] = '\r';
          buf[nbuf++] = '\n';
          p += 2;
          continue;
        }
        break;
      }
      // A run of blanks: kept when something other than a line break follows, dropped
      // before one (rule 3). Runs the state machine would hold back in pieces go to it.
      if (avail >= 2 && !qp_special.v[static_cast<unsigned char>(p[1])] && p[1] != '\n') {
        buf[nbuf++] = c;  // the common case: one blank between words
        ++p;
        continue;
      }
      const char* q = p + 1;
      while (q < end && is_space(*q)) ++q;
      const std::size_t run = static_cast<std::size_t>(q - p);
      if (q == end || run >= max_pending_space) break;
      if (*q == '\n') {
        buf[nbuf++] = '\n';
        p = q + 1;
        continue;
      }
      if (*q == '\r') {
        if (end - q >= 2 && q[1] == '\n') {
          buf[nbuf++] = '\r';
          buf[nbuf++] = '\n';
          p = q + 2;
          continue;
        }
        break;
      }
      // followed by a byte that is neither a blank nor a line break: the blanks are data
      if (nbuf + run > sizeof buf - 4) {
        out.append(buf, nbuf);
        nbuf = 0;
        out.append(p, run);
      } else {
        std::memcpy(buf + nbuf, p, run);
        nbuf += run;
      }
      p = q;
    }
    if (nbuf) {
      out.append(buf, nbuf);
      nbuf = 0;
    }
    if (p < end && !step(*p++, out, ec)) return false;
  }
  if (nbuf) out.append(buf, nbuf);
  return true;
}

// One byte through the state machine (pending_ holds what cannot be decided yet).
bool qp_decoder::step(char c, std::string& out, std::error_code& ec) {
  bool again = true;
  while (again) {
    again = false;
    if (pending_.empty()) {
      if (c == '=' || is_space(c) || c == '\r')
        pending_ += c;
      else
        out += c;
    } else if (pending_[0] == '=') {
      const bool only_eq = pending_.size() == 1;
      const bool hex1 = pending_.size() == 2 && hex_value(pending_[1]) >= 0;
      if (hex1 && hex_value(c) >= 0) {
        out += static_cast<char>(hex_value(pending_[1]) * 16 + hex_value(c));
        pending_.clear();
      } else if (only_eq && hex_value(c) >= 0) {
        pending_ += c;
      } else if (c == '\n' && !hex1) {
        pending_.clear();  // soft line break: "=" [WS] [CR] LF vanishes
      } else if (!hex1 && pending_.back() != '\r' && (is_space(c) || c == '\r') &&
                 pending_.size() < max_pending_space) {
        pending_ += c;
      } else {
        // Malformed: "=" not followed by two hex digits or a line break.
        if (strict_) {
          ec = errc::bad_quoted_printable;
          return false;
        }
        out += '=';
        std::string rest = pending_.substr(1);
        pending_.clear();
        // Replay what followed "=" (a hex digit, blanks, or CR), then c.
        for (char r : rest) {
          std::error_code ignored;
          step(r, out, ignored);
        }
        again = true;
      }
    } else if (is_space(pending_[0])) {
      if (c == '\n') {
        const bool had_cr = pending_.back() == '\r';
        pending_.clear();  // rule 3: blanks at the end of a line are dropped
        out += had_cr ? "\r\n" : "\n";
      } else if (pending_.back() == '\r') {
        out += pending_;  // the blanks and a bare CR were data
        pending_.clear();
        again = true;
      } else if ((is_space(c) || c == '\r') && pending_.size() < max_pending_space) {
        pending_ += c;
      } else {
        out += pending_;
        pending_.clear();
        again = true;
      }
    } else {  // pending_ == "\r"
      pending_.clear();
      if (c == '\n') {
        out += "\r\n";
      } else {
        out += '\r';
        again = true;
      }
    }
  }
  return true;
}

bool qp_decoder::finish(std::string& out, std::error_code& ec) {
  std::string p;
  p.swap(pending_);
  if (p.empty()) return true;
  if (p[0] == '=') {
    if (p.size() == 2 && hex_value(p[1]) >= 0) {  // "=X" at the end
      if (strict_) {
        ec = errc::bad_quoted_printable;
        return false;
      }
      out += p;
    }
    // "=" [WS] [CR] at the end of the data: a soft break with nothing after it.
    return true;
  }
  if (is_space(p[0])) {
    if (p.back() == '\r') out += p;  // blanks then a bare CR: data
    return true;                     // trailing blanks at the end of the data: dropped
  }
  out += p;  // a final bare CR
  return true;
}

std::string qp_decode(std::string_view in, std::error_code& ec, bool strict) {
  ec.clear();
  std::string out;
  out.reserve(in.size());
  qp_decoder dec(strict);
  if (dec.update(in, out, ec)) dec.finish(out, ec);
  return out;
}

std::string qp_decode(std::string_view in) {
  std::error_code ec;
  return qp_decode(in, ec, false);
}

}  // namespace mailproto::mime
