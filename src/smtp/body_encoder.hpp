// Private: the streaming transform applied to a message body on its way to the server.
//
// RFC 5321 §2.3.8: lines end in CRLF; a bare CR or bare LF is normalised to CRLF.
// RFC 5321 §4.5.2 (DATA only): a line that starts with "." gets one more "." in front
// ("transparency"), and the data ends with CRLF "." CRLF — a last line without CRLF gets
// one first. The state (at line start, CR pending) survives chunk boundaries, so a body
// can be fed in pieces of any size. With `binary` (BDAT BODY=BINARYMIME) bytes pass as-is.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mailproto::smtp::detail {

class body_encoder {
 public:
  enum class mode { data, bdat, binary };
  explicit body_encoder(mode m = mode::data) : mode_(m) {}

  /// Append the encoding of `in` to `out`. Runs of ordinary bytes are copied whole: the
  /// scan looks only for the next LF (memchr) and a CR before it.
  void encode(std::string_view in, std::string& out) {
    if (mode_ == mode::binary) {
      out.append(in);
      return;
    }
    const char* p = in.data();
    const char* const end = p + in.size();
    out.reserve(out.size() + in.size() + 8);  // geometric growth, not one step per line
    while (p < end) {
      if (cr_pending_) {
        cr_pending_ = false;
        out += '\n';
        at_line_start_ = true;
        if (*p == '\n') {  // the LF of a CRLF
          ++p;
          continue;
        }
      }
      const char c = *p;
      if (c == '\r') {
        out += '\r';
        cr_pending_ = true;
        ++p;
        continue;
      }
      if (c == '\n') {  // bare LF
        out.append("\r\n", 2);
        at_line_start_ = true;
        ++p;
        continue;
      }
      // RFC 5321 §4.5.2: a line that starts with "." gets another one (DATA only).
      if (at_line_start_ && c == '.' && mode_ == mode::data) out += '.';
      at_line_start_ = false;
      // The run up to the next CR or LF goes out as it is.
      const char* lf = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* stop = lf ? lf : end;
      const char* cr = static_cast<const char*>(std::memchr(p, '\r', stop - p));
      if (cr && cr + 1 == lf) {  // the usual case: the run and its CRLF in one append
        out.append(p, lf + 1);
        at_line_start_ = true;
        p = lf + 1;
        continue;
      }
      if (cr) stop = cr;
      out.append(p, stop);
      p = stop;
    }
  }

  /// True when encoding `raw` (from the start of a line) changes nothing but its end: every
  /// CR is followed by an LF, every LF follows a CR, and in DATA mode (`stuffing`) no line
  /// starts with ".". The usual case for a built message (the MIME builder writes CRLF and
  /// its lines never start with "."): such a body is copied whole (append_plain), and its
  /// RFC 1870 size is its length plus the CRLF a last line without one gets. One pass,
  /// 16 bytes at a time with SSE2: where the CRs are, shifted by one, must be exactly where
  /// the LFs are, and no "." may sit just after an LF.
  static bool plain(std::string_view raw, bool stuffing) {
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    const std::size_t n = raw.size();
    std::size_t i = 0;
    unsigned cr_carry = 0;  // the previous byte was a CR
    unsigned lf_carry = 1;  // the previous byte was an LF (the body starts a line)
#if defined(__SSE2__)
    const __m128i cr_v = _mm_set1_epi8('\r'), lf_v = _mm_set1_epi8('\n'),
                  dot_v = _mm_set1_epi8('.');
    for (; i + 16 <= n; i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      const auto cr = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, cr_v)));
      const auto lf = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf_v)));
      if ((((cr << 1) | cr_carry) & 0xFFFFu) != lf) return false;
      if (stuffing) {
        const auto dot = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, dot_v)));
        if ((((lf << 1) | lf_carry) & dot) != 0) return false;
      }
      cr_carry = cr >> 15;
      lf_carry = lf >> 15;
    }
#endif
    for (; i < n; ++i) {  // the rest (or all, without SSE2)
      const unsigned c = p[i];
      if ((c == '\n') != (cr_carry == 1)) return false;  // LF without CR, CR without LF
      if (stuffing && lf_carry && c == '.') return false;
      cr_carry = c == '\r';
      lf_carry = c == '\n';
    }
    return cr_carry == 0;  // a CR at the very end has no LF
  }

  /// transmitted_size() of a body for which plain() said true: its length, plus the CRLF a
  /// last line without one gets.
  static std::uint64_t plain_size(std::string_view raw) {
    return raw.size() + (raw.empty() || raw.back() == '\n' ? 0 : 2);
  }

  /// Append `in`, a piece of a body for which plain() said true, as encode() would (it
  /// changes nothing); the state follows, so the pieces may split anywhere.
  void append_plain(std::string_view in, std::string& out) {
    out.append(in);
    if (in.empty() || mode_ == mode::binary) return;
    at_line_start_ = in.back() == '\n';
    cr_pending_ = false;  // a CR ending a piece: its LF starts the next one, copied as is
  }

  /// The size of `raw` once encoded, without DATA's dot-stuffing and terminator: what
  /// RFC 1870 §3 counts for SIZE ("the number of octets, including CR-LF pairs, but not
  /// the SMTP DATA command's terminating dot or doubled quoting dots"), and what BDAT sends.
  static std::uint64_t transmitted_size(std::string_view raw, mode m) {
    if (m == mode::binary) return raw.size();
    std::uint64_t n = raw.size();
    const char* const b = raw.data();
    const char* const e = b + raw.size();
    // Each LF without a CR before it and each CR without an LF after it becomes a CRLF: one
    // more octet. Found with memchr, not byte by byte (a body is mostly ordinary bytes).
    for (const char* p = b; (p = static_cast<const char*>(std::memchr(p, '\n', e - p))); ++p)
      if (p == b || p[-1] != '\r') ++n;  // bare LF
    for (const char* p = b; (p = static_cast<const char*>(std::memchr(p, '\r', e - p))); ++p)
      if (p + 1 == e || p[1] != '\n') ++n;  // bare CR
    const char last = raw.empty() ? '\n' : raw.back();
    if (last != '\n' && last != '\r') n += 2;  // the CRLF a last line without one gets
    return n;
  }

  /// Append what ends the body: a CRLF if the last line lacks one, and for DATA the
  /// terminating "." CRLF.
  void finish(std::string& out) {
    if (mode_ == mode::binary) return;
    if (cr_pending_) {
      out += '\n';
      cr_pending_ = false;
      at_line_start_ = true;
    }
    if (!at_line_start_) out += "\r\n";
    at_line_start_ = true;
    if (mode_ == mode::data) out += ".\r\n";
  }

 private:
  mode mode_;
  bool at_line_start_ = true;
  bool cr_pending_ = false;
};

}  // namespace mailproto::smtp::detail
