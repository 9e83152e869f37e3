// The incremental MIME parser (RFC 2045, RFC 2046, RFC 5322).
//
// Design: the input is processed line by line, but complete lines are never copied. Only a
// line split by a chunk edge is buffered, and only while it matters: a header line (bounded
// by max_header_line) or a body line that could still be a boundary line (it starts with
// "--" and is at most max_boundary_line long). Every other body byte goes straight to the
// transfer decoder in runs of many lines. The line break before a boundary line belongs to
// the boundary (RFC 2046 §5.1.1), so the last line break of a body run is held back until
// the next line is known not to be a boundary.
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>
#include <mailproto/mime/parser.hpp>

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mailproto::mime {
namespace {

enum class state {
  headers,   // reading the header block
  leaf,      // body of a leaf: decoded and passed on
  preamble,  // multipart before its first boundary
  epilogue,  // multipart after its close delimiter
  message,   // message/rfc822 container: the nested message is the next frame
  parts,     // multipart between parts (a child frame is on top of it)
};

enum class encoding { identity, base64, qp };

constexpr bool is_wsp(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string lower_token(std::string_view s) {
  s = trim(s);
  std::size_t n = 0;
  while (n < s.size() && !is_wsp(s[n]) && s[n] != '(' && s[n] != ';') ++n;
  std::string r(s.substr(0, n));
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = char(c + 32);
  return r;
}

// Table of bytes allowed in a base64 body: the alphabet, '=', and whitespace.
struct b64_table {
  bool ok[256] = {};
  constexpr b64_table() {
    for (int c = 'A'; c <= 'Z'; ++c) ok[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) ok[c] = true;
    for (int c = '0'; c <= '9'; ++c) ok[c] = true;
    ok[int('+')] = ok[int('/')] = ok[int('=')] = true;
    ok[int(' ')] = ok[int('\t')] = ok[int('\r')] = ok[int('\n')] = true;
  }
};
constexpr b64_table b64_ok{};

#if defined(__x86_64__) || defined(__i386__)
// 32 bytes at a time, classified by their two nibbles with two PSHUFB lookups (the technique
// of W. Muła and D. Lemire's base64 decoder): a byte is outside b64_ok when the class bit of
// its high nibble is set in the mask looked up by its low nibble. High-nibble classes:
// 0: 0x0_, 1: 0x1_ and 0x80..0xFF (never allowed), 2..7: 0x2_..0x7_.
#define MP_CLEAN_LUT_HI                                                                           \
  0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, char(0x80), 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, \
      0x02
// For each low nibble, the classes in which it is not allowed. Allowed: 0x09 0x0A 0x0D;
// 0x20 '+' '/'; '0'..'9' '='; 'A'..'Z'; 'a'..'z'.
#define MP_CLEAN_LUT_LO                                                                     \
  0x53, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x07, 0x06, 0x0E, char(0xAB), char(0xAF), \
      char(0xA6), char(0xAF), char(0xAB)

__attribute__((target("avx2"))) bool base64_clean_avx2(const char* p, std::size_t n,
                                                       std::size_t& done) noexcept {
  const __m256i lut_hi = _mm256_setr_epi8(MP_CLEAN_LUT_HI, MP_CLEAN_LUT_HI);
  const __m256i lut_lo = _mm256_setr_epi8(MP_CLEAN_LUT_LO, MP_CLEAN_LUT_LO);
  const __m256i mask_0f = _mm256_set1_epi8(0x0f);
  __m256i bad = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), mask_0f);
    const __m256i lo = _mm256_and_si256(v, mask_0f);
    bad = _mm256_or_si256(
        bad, _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo), _mm256_shuffle_epi8(lut_hi, hi)));
  }
  done = i;
  return _mm256_testz_si256(bad, bad);
}

bool have_avx2() noexcept {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return yes;
}
#endif

#if defined(__SSE2__)
// 0xFF in each byte of `v` that lies in [lo, hi] (unsigned).
inline __m128i in_range(__m128i v, char lo, char hi) noexcept {
  const __m128i t = _mm_sub_epi8(v, _mm_set1_epi8(lo));
  return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(static_cast<char>(hi - lo))), t);
}

// 0xFF in each byte of `v` that is a hex digit (either case).
inline __m128i hex_digits(__m128i v) noexcept {
  return _mm_or_si128(in_range(v, '0', '9'),
                      in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'f'));
}
#endif

// Whether [p, p+n) holds only bytes of b64_ok (32 or 16 at a time where the CPU can).
bool base64_clean(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
  if (n >= 32 && have_avx2() && !base64_clean_avx2(p, n, i)) return false;
#endif
#if defined(__SSE2__)
  __m128i bad = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i ok = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');  // letters
    ok = _mm_or_si128(ok, in_range(v, '0', '9'));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
    bad = _mm_or_si128(bad, _mm_andnot_si128(ok, _mm_set1_epi8(-1)));
  }
  if (_mm_movemask_epi8(bad) != 0) return false;
#endif
  bool bad_tail = false;
  for (; i < n; ++i) bad_tail |= !b64_ok.ok[static_cast<unsigned char>(p[i])];
  return !bad_tail;
}

// The first "\n--" in [s, end): a line break followed by a line that starts with "--",
// the only lines that can be boundary lines (RFC 2046 §5.1.1). nullptr when there is none.
const char* find_dash_line(const char* s, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i dash = _mm_set1_epi8('-');
  while (end - s >= 18) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 1));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 2));
    const __m128i hit = _mm_and_si128(
        _mm_cmpeq_epi8(a, nl), _mm_and_si128(_mm_cmpeq_epi8(b, dash), _mm_cmpeq_epi8(c, dash)));
    const int m = _mm_movemask_epi8(hit);
    if (m != 0) return s + __builtin_ctz(static_cast<unsigned>(m));
    s += 16;
  }
#endif
  for (; end - s >= 3; ++s)
    if (s[0] == '\n' && s[1] == '-' && s[2] == '-') return s;
  return nullptr;
}

constexpr bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// Incremental check of quoted-printable escapes (RFC 2045 §6.7 rules 1 and 5): after '='
// must come two hex digits or a soft line break (optionally after transport padding).
// `st` carries the position inside an escape across calls, so any chunking agrees.
// Returns false at the first malformed escape.
bool qp_check(int& st, const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
  while (i < n) {
    if (st == 0) {
#if defined(__SSE2__)
      // 16 bytes at a time while every '=' in them starts a complete escape that is plainly
      // well formed ("=" 2HEXDIG, or "=" CR / LF); the first other '=' goes to the bytewise
      // check below. Escapes are dense in 8-bit text.
      while (n - i >= 18) {
        const char* b = p + i;
        const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
        const unsigned eq =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v0, _mm_set1_epi8('='))));
        if (eq == 0) {
          i += 16;
          continue;
        }
        const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 1));
        const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2));
        const unsigned hexhex =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(hex_digits(v1), hex_digits(v2))));
        const unsigned brk = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(v1, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v1, _mm_set1_epi8('\n')))));
        if ((eq & ~(hexhex | brk)) != 0) {
          i += static_cast<std::size_t>(__builtin_ctz(eq & ~(hexhex | brk)));
          break;
        }
        // the last escape may reach past the 16 bytes: continue after it
        const std::size_t last = 31u - static_cast<std::size_t>(__builtin_clz(eq));
        const std::size_t past = last + (((hexhex >> last) & 1u) ? 3 : 2);
        i += past > 16 ? past : 16;
      }
#endif
      while (i < n && p[i] != '=') ++i;
      if (i == n) return true;
      ++i;
      st = 1;
      continue;
    }
    char c = p[i++];
    if (st == 1) {
      st = is_hex(c) ? 2 : (c == '\r' || c == '\n') ? 0 : is_wsp(c) ? 3 : -1;
    } else if (st == 2) {
      st = is_hex(c) ? 0 : -1;
    } else {  // 3: whitespace after '='
      st = is_wsp(c) ? 3 : (c == '\r' || c == '\n') ? 0 : -1;
    }
    if (st < 0) {
      st = 0;
      return false;
    }
  }
  return true;
}

}  // namespace

struct parser::impl {
  struct frame {
    entity_head head;
    state st = state::headers;
    std::string boundary;
    bool boundary_active = false;
    bool digest = false;         // multipart/digest: children default to message/rfc822
    bool parent_digest = false;  // this entity is a part of a multipart/digest
    encoding enc = encoding::identity;
    base64_decoder b64;
    qp_decoder qp;
    std::size_t header_bytes = 0;
    bool noted_header_bytes = false;
    bool noted_headers = false;
    bool noted_parts = false;
    bool noted_bad_data = false;
    // where decoded body bytes go when the handler asked for direct appends
    std::string* direct = nullptr;
    // message/rfc822 with base64/QP: the decoded body is parsed by a nested parser
    std::unique_ptr<impl> nested;
    int qp_state = 0;
    // message/rfc822 body not yet looked at: its first line decides whether it is a message
    bool probe_message = false;
    std::uint64_t probe_offset = 0;
    // this entity is the message inside a message/rfc822 (an mbox "From " line may start it)
    bool message_root = false;
    // base64 leaf whose first line is not yet known: the bytes wait here (bounded)
    bool probe_base64 = false;
    std::string probe_buf;
  };

  // Bytes of a base64 body looked at before deciding it is base64 at all.
  static constexpr std::size_t k_base64_probe = 1024;
  // Encoded body bytes checked and decoded together (they stay in the CPU cache between).
  static constexpr std::size_t k_segment = 32 * 1024;
  // Body bytes searched for boundary lines before they are passed on.
  static constexpr std::size_t k_window = 64 * 1024;

  parser_handler& h;
  parser_limits lim;
  std::vector<frame> stack;
  std::size_t active_boundaries = 0;
  std::size_t parts = 0;
  std::uint64_t pos = 0;  // absolute offset of the next unconsumed input byte

  // a line split by a chunk edge
  std::string partial;
  std::string line_tmp;
  std::uint64_t partial_offset = 0;
  bool partial_truncated = false;
  // inside a body line known not to be a boundary
  bool mid_line = false;
  bool held_cr = false;
  // the held-back line break of the last body line
  char pending_eol[2] = {'\r', '\n'};
  int pending_eol_len = 0;

  // the header field being assembled (folded lines are appended)
  bool field_active = false;
  bool field_truncated = false;
  std::string field_name;
  std::string field_raw;
  std::uint64_t field_offset = 0;
  std::uint64_t field_end = 0;
  int field_eol = 0;

  std::string out;  // decoded bytes waiting for the handler
  std::string scratch;
  bool started = false;
  bool finished = false;
  std::error_code error;

  std::size_t depth_base = 0;  // depth of the root (nested parsers of encoded messages)
  // a delimiter was seen; its part begins with the next byte (none at EOF: no part)
  bool child_pending = false;
  std::uint64_t child_offset = 0;

  impl(parser_handler& handler, parser_limits l, std::size_t depth0 = 0)
      : h(handler), lim(l), depth_base(depth0) {
    if (lim.max_boundary_line < 8) lim.max_boundary_line = 8;
  }

  // ------------------------------------------------------------------ helpers

  void add_defect(frame& f, defect_kind k, std::uint64_t at) {
    if (f.head.defects.size() < 1000) f.head.defects.push_back({k, at});
  }

  // A bound was hit: a defect, and with fail_on_limit an error that stops the parser.
  void limit_hit(frame& f, defect_kind k, std::uint64_t at) {
    add_defect(f, k, at);
    if (lim.fail_on_limit && !error) error = make_error_code(errc::limit_exceeded);
  }

  void start() {
    if (started) return;
    started = true;
    stack.reserve(16);
    stack.emplace_back();
    stack.back().head.depth = depth_base;
    parts = 1;
    h.on_entity_begin(stack.back().head);
  }

  void flush_out() {
    if (out.empty()) return;
    frame& f = stack.back();
    switch (f.st) {
      case state::leaf:
        h.on_body_chunk(f.head, out);
        break;
      case state::preamble:
        h.on_preamble(f.head, out);
        break;
      case state::epilogue:
        h.on_epilogue(f.head, out);
        break;
      case state::message:
        if (f.nested) {
          f.nested->feed(out);
          if (f.nested->error && !error) error = f.nested->error;
        }
        break;
      default:
        break;
    }
    out.clear();
  }

  // Body bytes of the top frame (content states only).
  void emit(const char* p, std::size_t n) {
    if (n == 0) return;
    frame& f = stack.back();
    if (f.st == state::leaf || (f.st == state::message && f.nested)) {
      std::error_code ec;
      std::string& dst = f.direct ? *f.direct : out;
      switch (f.enc) {
        case encoding::identity:
          dst.append(p, n);
          break;
        case encoding::base64:
          if (f.probe_base64) {
            probe_base64(f, p, n);
            return;
          }
          // room for all of it at once; checked and decoded a cache-sized piece at a time
          dst.reserve(dst.size() + n / 4 * 3 + 16);
          for (std::size_t i = 0; i < n; i += k_segment) {
            const std::size_t m = std::min(k_segment, n - i);
            if (!f.noted_bad_data && !base64_clean(p + i, m)) {
              f.noted_bad_data = true;
              add_defect(f, defect_kind::bad_base64, f.head.body_offset);
            }
            f.b64.update(std::string_view(p + i, m), dst, ec);
          }
          break;
        case encoding::qp:
          dst.reserve(dst.size() + n + 16);
          for (std::size_t i = 0; i < n; i += k_segment) {
            const std::size_t m = std::min(k_segment, n - i);
            if (!f.noted_bad_data && !qp_check(f.qp_state, p + i, m)) {
              f.noted_bad_data = true;
              add_defect(f, defect_kind::bad_quoted_printable, f.head.body_offset);
            }
            f.qp.update(std::string_view(p + i, m), dst, ec);
          }
          break;
      }
    } else if (f.st == state::preamble || f.st == state::epilogue) {
      out.append(p, n);
    }
    if (out.size() >= 256 * 1024) flush_out();
  }

  // The first line of a base64 leaf (at most k_base64_probe bytes) decides: a line with two
  // or more characters outside the base64 alphabet means the body was never encoded (a placeholder
  // such as RFC 2046's "... base64-encoded image data goes here ...", or plain text under a
  // wrong header). Such a body is kept raw, as stalwart does (defect bad_base64). Later junk
  // in a body that starts as base64 is skipped instead (RFC 2045 §6.8: characters outside
  // the alphabet are ignored).
  void probe_base64(frame& f, const char* p, std::size_t n) {
    std::size_t take = std::min(n, k_base64_probe - f.probe_buf.size());
    f.probe_buf.append(p, take);
    if (take == n && f.probe_buf.size() < k_base64_probe && !first_line_complete(f.probe_buf))
      return;  // wait for more
    decide_base64(f);
    emit(p + take, n - take);
  }

  static bool first_line_complete(std::string_view b) noexcept {
    std::size_t i = 0;
    while (i < b.size() && (is_wsp(b[i]) || b[i] == '\r' || b[i] == '\n')) ++i;
    return b.find('\n', i) != std::string_view::npos;
  }

  void decide_base64(frame& f) {
    f.probe_base64 = false;
    std::string buf;
    buf.swap(f.probe_buf);
    std::size_t i = 0;
    while (i < buf.size() && (is_wsp(buf[i]) || buf[i] == '\r' || buf[i] == '\n')) ++i;
    std::size_t e = buf.find('\n', i);
    if (e == std::string::npos) e = buf.size();
    std::size_t junk = 0;
    for (std::size_t j = i; j < e; ++j) junk += !b64_ok.ok[static_cast<unsigned char>(buf[j])];
    if (junk >= 2) {
      f.enc = encoding::identity;
      f.noted_bad_data = true;
      add_defect(f, defect_kind::bad_base64, f.head.body_offset);
    }
    emit(buf.data(), buf.size());
  }

  void emit_pending() {
    if (pending_eol_len) {
      int n = pending_eol_len;
      pending_eol_len = 0;
      emit(pending_eol + (2 - n), static_cast<std::size_t>(n));
    }
  }

  void set_pending(int eol) { pending_eol_len = eol; }

  // A run of complete body lines [a, b): b is just past a '\n' (or a == b).
  void flush_run(const char* a, const char* b) {
    if (a == b) return;
    int eol = (b - a >= 2 && b[-2] == '\r') ? 2 : 1;
    emit_pending();
    emit(a, static_cast<std::size_t>(b - a) - eol);
    set_pending(eol);
  }

  // Body bytes in the middle of a line (no '\n' inside): a trailing CR is held back, since
  // it may start the CRLF before a boundary line.
  void emit_mid_line(const char* p, std::size_t n) {
    emit_pending();
    if (n && p[n - 1] == '\r') {
      held_cr = true;
      --n;
    }
    emit(p, n);
    mid_line = true;
  }

  // ------------------------------------------------------------------ boundaries

  // Does the line [p, p+len) (no line break) delimit an open multipart? Innermost first.
  bool match_boundary(const char* p, std::size_t len, std::uint64_t line_off, std::size_t& k,
                      bool& close) {
    if (len < 2 || p[0] != '-' || p[1] != '-' || len > lim.max_boundary_line) return false;
    for (std::size_t i = stack.size(); i-- > 0;) {
      frame& m = stack[i];
      if (!m.boundary_active) continue;
      const std::string& b = m.boundary;
      if (len < 2 + b.size() || std::memcmp(p + 2, b.data(), b.size()) != 0) continue;
      // RFC 2046 §5.1.2: an enclosing boundary must not be a prefix of an inner one, so a
      // line that starts with "--" boundary delimits; what follows is ignored (usually
      // transport padding, RFC 2046 §5.1.1), as dovecot and stalwart do.
      std::size_t j = 2 + b.size();
      bool c = len - j >= 2 && p[j] == '-' && p[j + 1] == '-';
      if (!c && parts >= lim.max_parts) {
        if (!m.noted_parts) {
          m.noted_parts = true;
          limit_hit(m, defect_kind::too_many_parts, line_off);
        }
        return false;  // the delimiter stays body text of the current part
      }
      k = i;
      close = c;
      return true;
    }
    return false;
  }

  // A boundary line at [line_off, next_off) closes or continues multipart stack[k].
  void do_boundary(std::size_t k, bool close, std::uint64_t line_off, std::uint64_t next_off) {
    std::uint64_t end = line_off - static_cast<std::uint64_t>(pending_eol_len);
    pending_eol_len = 0;
    mid_line = false;
    held_cr = false;
    flush_out();
    while (stack.size() - 1 > k) end_top(end, false);
    frame& m = stack[k];
    if (close) {
      m.st = state::epilogue;
      m.boundary_active = false;
      --active_boundaries;
    } else {
      m.st = state::parts;
      child_pending = true;
      child_offset = next_off;
    }
  }

  void materialize_child() {
    child_pending = false;
    push_child(child_offset, stack.back().digest);
  }

  void push_child(std::uint64_t header_off, bool parent_digest) {
    frame nf;
    nf.head.depth = stack.back().head.depth + 1;
    nf.head.header_offset = header_off;
    nf.parent_digest = parent_digest;
    ++parts;
    stack.push_back(std::move(nf));
    h.on_entity_begin(stack.back().head);
  }

  // End the top frame with its body ending at `end`.
  void end_top(std::uint64_t end, bool at_eof) {
    {
      frame& f = stack.back();
      if (f.st == state::headers) {
        finish_field();
        end_headers(end, false);
      }
    }
    if (stack.back().probe_message) {
      // a message/rfc822 body that ended before its first line: an empty nested message
      stack.back().probe_message = false;
      push_child(stack.back().probe_offset, false);
      stack.back().message_root = true;
      end_top(end, at_eof);
    }
    if (stack.back().probe_base64) decide_base64(stack.back());
    frame& f = stack.back();
    if (f.st == state::leaf || f.st == state::message) {
      std::error_code ec;
      std::string& dst = f.direct ? *f.direct : out;
      if (f.enc == encoding::base64) f.b64.finish(dst, ec);
      if (f.enc == encoding::qp) f.qp.finish(dst, ec);
    }
    flush_out();
    if (f.nested) {
      f.nested->finish();
      if (f.nested->error && !error) error = f.nested->error;
      parts += f.nested->parts;
      f.nested.reset();
    }
    if (f.boundary_active) {
      // never saw the close delimiter (RFC 2046 §5.1.1); maybe not even a first boundary
      if (f.st == state::preamble) {
        // no boundary at all: the body is a leaf (as Python and stalwart)
        add_defect(f, defect_kind::missing_start_boundary, end);
        f.head.container = false;
      }
      add_defect(f, defect_kind::missing_end_boundary, end);
      f.boundary_active = false;
      --active_boundaries;
    }
    (void)at_eof;
    f.head.end_offset = end;
    if (f.head.body_offset > end) f.head.body_offset = end;
    h.on_entity_end(f.head);
    stack.pop_back();
  }

  // ------------------------------------------------------------------ headers

  void finish_field() {
    if (!field_active) return;
    field_active = false;
    frame& f = stack.back();
    if (f.head.headers.size() >= lim.max_headers) {
      if (!f.noted_headers) {
        f.noted_headers = true;
        limit_hit(f, defect_kind::too_many_headers, field_offset);
      }
      return;
    }
    if (f.noted_header_bytes) return;
    header_field hf;
    hf.name = std::move(field_name);
    hf.raw_value = std::move(field_raw);
    hf.offset = field_offset;
    hf.length = field_end - field_offset;
    for (unsigned char c : hf.raw_value) {
      if (c >= 0x80) {
        if (!is_valid_utf8(hf.raw_value))
          add_defect(f, defect_kind::invalid_utf8_header, field_offset);
        break;
      }
    }
    f.head.headers.add(std::move(hf));
    h.on_header(f.head, f.head.headers[f.head.headers.size() - 1]);
    field_name.clear();
    field_raw.clear();
  }

  void append_field(const char* p, std::size_t n) {
    if (field_raw.size() + n > lim.max_header_line) {
      std::size_t room =
          lim.max_header_line > field_raw.size() ? lim.max_header_line - field_raw.size() : 0;
      field_raw.append(p, room);
      if (!field_truncated) {
        field_truncated = true;
        limit_hit(stack.back(), defect_kind::header_line_too_long, field_offset);
      }
      return;
    }
    field_raw.append(p, n);
  }

  static bool is_mbox_from(const char* p, std::size_t len) noexcept {
    return len >= 5 && std::memcmp(p, "From ", 5) == 0;
  }

  // "name:" with a valid field name (RFC 5322 §2.2, obs-optional whitespace before ':').
  static bool is_header_line(const char* p, std::size_t len) noexcept {
    const char* colon = static_cast<const char*>(std::memchr(p, ':', len));
    if (!colon) return false;
    std::string_view name(p, static_cast<std::size_t>(colon - p));
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    return valid_name(name);
  }

  static bool valid_name(std::string_view n) noexcept {
    if (n.empty()) return false;
    for (char c : n) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 32 || u == 127 || c == ':') return false;
    }
    return true;
  }

  void header_line(const char* p, std::size_t len, int eol, std::uint64_t off) {
    frame& f = stack.back();
    f.header_bytes += len + static_cast<std::size_t>(eol);
    if (f.header_bytes > lim.max_header_bytes && !f.noted_header_bytes) {
      finish_field();
      f.noted_header_bytes = true;
      limit_hit(f, defect_kind::header_block_too_long, off);
    }
    if (len == 0) {
      finish_field();
      end_headers(off + static_cast<std::uint64_t>(eol), true);
      return;
    }
    if (is_wsp(p[0])) {
      if (field_active) {
        // RFC 5322 §2.2.3: a folded line continues the field; the fold is kept raw
        const char* brk = field_eol == 2 ? "\r\n" : "\n";
        append_field(brk, static_cast<std::size_t>(field_eol));
        append_field(p, len);
        field_eol = eol;
        field_end = off + len + static_cast<std::uint64_t>(eol);
      } else {
        add_defect(f, defect_kind::continuation_without_field, off);
      }
      return;
    }
    const char* colon = static_cast<const char*>(std::memchr(p, ':', len));
    std::string_view name;
    if (colon) {
      name = std::string_view(p, static_cast<std::size_t>(colon - p));
      while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);  // obs-optional
    }
    if (!colon || !valid_name(name)) {
      // an mbox separator line before the first field of a message (the input's or a
      // message/rfc822 body's) is skipped
      if ((off == 0 || f.message_root) && off == f.head.header_offset && is_mbox_from(p, len))
        return;
      // Not a header: the header block ends here and this line starts the body.
      finish_field();
      add_defect(f, defect_kind::missing_header_body_separator, off);
      end_headers(off, true);
      process_line(p, len + static_cast<std::size_t>(eol), off);
      return;
    }
    finish_field();
    if (f.noted_header_bytes) return;
    field_active = true;
    field_truncated = false;
    field_name.assign(name);
    field_raw.clear();
    const char* v = colon + 1;
    append_field(v, static_cast<std::size_t>(p + len - v));
    field_offset = off;
    field_eol = eol;
    field_end = off + len + static_cast<std::uint64_t>(eol);
  }

  void compute_head(frame& f) {
    entity_head& e = f.head;
    const header_list& hl = e.headers;
    const header_field* ct = nullptr;
    const header_field* cte = nullptr;
    const header_field* cd = nullptr;
    const header_field* cid = nullptr;
    std::size_t nct = 0, ncte = 0;
    for (const auto& fld : hl) {
      const std::string& n = fld.name;
      if (n.size() < 10 || (n[0] | 0x20) != 'c') continue;
      if (fld.is("Content-Type")) {
        if (!ct) ct = &fld;
        ++nct;
      } else if (fld.is("Content-Transfer-Encoding")) {
        if (!cte) cte = &fld;
        ++ncte;
      } else if (fld.is("Content-Disposition")) {
        if (!cd) cd = &fld;
      } else if (fld.is("Content-ID")) {
        if (!cid) cid = &fld;
      }
    }
    if (nct > 1) add_defect(f, defect_kind::duplicate_content_type, ct->offset);
    if (ncte > 1) add_defect(f, defect_kind::duplicate_transfer_encoding, cte->offset);
    if (ct) {
      media_type mt;
      if (parse_media_type(ct->raw_value, mt)) {
        e.content_type = std::move(mt);
        e.content_type_explicit = true;
      } else {
        add_defect(f, defect_kind::bad_content_type, ct->offset);
      }
    }
    if (!e.content_type_explicit) {
      e.content_type = media_type{};
      if (f.parent_digest && !ct) {  // RFC 2046 §5.1.5
        e.content_type.type = "message";
        e.content_type.subtype = "rfc822";
      }
    }
    if (const std::string* cs = e.content_type.param("charset")) e.charset = lower_token(*cs);
    if (cte) e.transfer_encoding = lower_token(cte->raw_value);
    if (cd) {
      content_disposition d;
      if (parse_content_disposition(cd->raw_value, d)) e.disposition = std::move(d);
    }
    if (const std::string* fn = find_parameter(e.disposition.params, "filename"))
      e.filename = *fn;
    else if (const std::string* nm = e.content_type.param("name"))
      e.filename = *nm;
    if (cid) {
      std::string_view v = trim(cid->raw_value);
      if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
      e.content_id.assign(v);
    }
  }

  // The header block of the top frame ended; the body starts at `body_off`.
  void end_headers(std::uint64_t body_off, bool with_body) {
    frame& f = stack.back();
    compute_head(f);
    f.head.body_offset = body_off;
    h.on_headers_end(f.head);
    const media_type& ct = f.head.content_type;
    const std::string& te = f.head.transfer_encoding;
    bool encoded = te == "base64" || te == "quoted-printable";
    if (ct.type == "multipart") {
      const std::string* b = ct.param("boundary");
      if (!b || b->empty() || b->size() + 4 > lim.max_boundary_line) {
        add_defect(f, defect_kind::multipart_without_boundary, body_off);
      } else if (f.head.depth >= lim.max_depth) {
        limit_hit(f, defect_kind::nesting_too_deep, body_off);
      } else {
        // RFC 2045 §6.4: composite types are never encoded; ignore the header (as Python)
        if (encoded) add_defect(f, defect_kind::encoded_composite, body_off);
        f.st = state::preamble;
        f.boundary = *b;
        f.boundary_active = true;
        f.digest = ct.subtype == "digest";
        f.head.container = true;
        ++active_boundaries;
        return;
      }
      encoded = false;
    } else if (f.head.is_message()) {
      if (f.head.depth >= lim.max_depth) {
        limit_hit(f, defect_kind::nesting_too_deep, body_off);
      } else if (parts >= lim.max_parts) {
        limit_hit(f, defect_kind::too_many_parts, body_off);
      } else if (encoded) {
        // RFC 2045 §6.4 forbids it, but it happens: decode, then parse the result
        // (offsets inside are offsets in the decoded body)
        add_defect(f, defect_kind::encoded_composite, body_off);
        f.st = state::message;
        f.head.container = true;
        f.enc = te == "base64" ? encoding::base64 : encoding::qp;
        parser_limits nl = lim;
        nl.max_parts = lim.max_parts > parts ? lim.max_parts - parts : 1;
        if (with_body) {
          f.nested = std::make_unique<impl>(h, nl, f.head.depth + 1);
          f.nested->start();
        }
        return;
      } else {
        // the first line of the body decides whether it holds a message (see process_line)
        f.st = state::message;
        f.head.container = true;
        if (with_body) {
          f.probe_message = true;
          f.probe_offset = body_off;
        }
        return;
      }
    }
    f.st = state::leaf;
    f.direct = h.body_target(f.head);
    if (te == "base64") {
      f.enc = encoding::base64;
      f.probe_base64 = true;
    } else if (te == "quoted-printable") {
      f.enc = encoding::qp;
    } else {
      f.enc = encoding::identity;
      if (!te.empty() && te != "7bit" && te != "8bit" && te != "binary")
        add_defect(f, defect_kind::unknown_transfer_encoding, body_off);
    }
    if (f.head.is_text() && !f.head.charset.empty() && f.head.charset != "us-ascii" &&
        f.head.charset != "utf-8" && !charset_known(f.head.charset))
      add_defect(f, defect_kind::unknown_charset, body_off);
  }

  // ------------------------------------------------------------------ lines

  // One complete line [p, p+n) at offset `off`; n includes its line break (none at EOF).
  void process_line(const char* p, std::size_t n, std::uint64_t off) {
    int eol = 0;
    if (n && p[n - 1] == '\n') eol = (n >= 2 && p[n - 2] == '\r') ? 2 : 1;
    std::size_t len = n - static_cast<std::size_t>(eol);
    std::size_t k;
    bool close;
    if (active_boundaries && match_boundary(p, len, off, k, close)) {
      do_boundary(k, close, off, off + n);
      return;
    }
    if (stack.back().probe_message) resolve_message_probe(p, len, off);
    frame& f = stack.back();
    if (f.st == state::headers) {
      header_line(p, len, eol, off);
    } else {
      emit_pending();
      emit(p, len);
      set_pending(eol);
    }
  }

  // The first line [p, p+len) of a message/rfc822 body (or its first bytes, when longer
  // than a header line may be) decides what the body is.
  void resolve_message_probe(const char* p, std::size_t len, std::uint64_t off) {
    stack.back().probe_message = false;
    if (len == 0 || is_header_line(p, len) || is_mbox_from(p, len)) {
      push_child(stack.back().probe_offset, false);
      stack.back().message_root = true;
      return;
    }
    // RFC 2046 §5.2.1: the body of message/rfc822 is a message, and a message starts with a
    // header field (RFC 5322 §2.1). This one does not ("this attachment is not a valid
    // eml"): keep it a leaf with the raw body, as stalwart does, rather than invent a
    // message with no header fields around it (defect missing_header_body_separator).
    frame& f = stack.back();
    f.st = state::leaf;
    f.head.container = false;
    f.enc = encoding::identity;
    add_defect(f, defect_kind::missing_header_body_separator, off);
    f.direct = h.body_target(f.head);
  }

  void consume_mid_line(std::string_view& d) {
    if (held_cr) {
      held_cr = false;
      if (d[0] == '\n') {
        set_pending(2);
        mid_line = false;
        d.remove_prefix(1);
        ++pos;
        return;
      }
      emit("\r", 1);
    }
    const char* nl = static_cast<const char*>(std::memchr(d.data(), '\n', d.size()));
    if (nl) {
      std::size_t n = static_cast<std::size_t>(nl - d.data());
      int eol = (n > 0 && d[n - 1] == '\r') ? 2 : 1;
      emit(d.data(), n + 1 - static_cast<std::size_t>(eol));
      set_pending(eol);
      mid_line = false;
      d.remove_prefix(n + 1);
      pos += n + 1;
    } else {
      std::size_t n = d.size();
      if (d[n - 1] == '\r') {
        held_cr = true;
        --n;
      }
      emit(d.data(), n);
      pos += d.size();
      d = {};
    }
  }

  // Lines are taken one by one (bounded by max_header_line) in a header block, and for the
  // first line of a message/rfc822 body.
  bool header_state() const {
    const frame& f = stack.back();
    return f.st == state::headers || f.probe_message;
  }

  void consume_partial(std::string_view& d) {
    const char* nl = static_cast<const char*>(std::memchr(d.data(), '\n', d.size()));
    std::size_t n = nl ? static_cast<std::size_t>(nl - d.data()) + 1 : d.size();
    const std::size_t cap = lim.max_header_line + 256;  // room for the name
    if (stack.back().probe_message && partial.size() + n > cap) {
      // the first line of a message/rfc822 body is too long to wait for: decide on its
      // first `cap` bytes (exactly those, so that any chunking decides the same)
      line_tmp.assign(partial);
      line_tmp.append(d.data(), cap - partial.size());
      resolve_message_probe(line_tmp.data(), line_tmp.size(), partial_offset);
      line_tmp.clear();
    }
    if (header_state()) {
      std::size_t body = nl ? n - 1 : n;
      if (partial.size() + body > cap) {
        std::size_t room = cap > partial.size() ? cap - partial.size() : 0;
        partial.append(d.data(), room);
        if (!partial_truncated) {
          partial_truncated = true;
          limit_hit(stack.back(), defect_kind::header_line_too_long, partial_offset);
        }
        if (nl) partial.push_back('\n');
      } else {
        partial.append(d.data(), n);
      }
    } else if (!nl && partial.size() + n > lim.max_boundary_line + 2) {
      // too long to be a boundary line: it is body text
      line_tmp.swap(partial);
      partial.clear();
      emit_pending();
      emit(line_tmp.data(), line_tmp.size());
      line_tmp.clear();
      pos += n;
      emit_mid_line(d.data(), n);
      d.remove_prefix(n);
      return;
    } else {
      partial.append(d.data(), n);
    }
    pos += n;
    d.remove_prefix(n);
    if (nl) {
      line_tmp.swap(partial);
      partial.clear();
      partial_truncated = false;
      process_line(line_tmp.data(), line_tmp.size(), partial_offset);
      line_tmp.clear();
    }
  }

  void consume_header_lines(std::string_view& d) {
    while (!d.empty() && !error && header_state() && !mid_line) {
      const char* nl = static_cast<const char*>(std::memchr(d.data(), '\n', d.size()));
      if (!nl) {
        partial_offset = pos;
        partial.clear();
        consume_partial(d);
        return;
      }
      std::size_t n = static_cast<std::size_t>(nl - d.data()) + 1;
      if (n - 1 > lim.max_header_line + 256) {
        // an over-long header line: keep the bounded prefix only
        partial_offset = pos;
        partial.clear();
        consume_partial(d);
        continue;
      }
      std::uint64_t off = pos;
      pos += n;
      const char* p = d.data();
      d.remove_prefix(n);
      process_line(p, n, off);
    }
  }

  // Body of a content state at a line start: runs of lines go out in one piece. Only lines
  // that start with "--" can be boundary lines; they are found with find_dash_line, and
  // everything between them goes to the decoder without being looked at line by line.
  void scan_content(std::string_view& d) {
    const char* begin = d.data();
    const char* end = begin + d.size();
    const std::uint64_t base = pos;
    if (active_boundaries == 0) {
      // nothing but the end of input can end this body
      emit_pending();
      emit(begin, d.size());
      pos += d.size();
      d = {};
      return;
    }
    const char* run = begin;  // body bytes from here on are not passed on yet (a line start)
    const char* p = begin;    // a line start
    for (;;) {
      std::size_t avail = static_cast<std::size_t>(end - p);
      if (avail == 0) break;
      const char* line = p;  // the last line start known at or before `from`
      bool cand = avail >= 2 ? (p[0] == '-' && p[1] == '-') : p[0] == '-';
      const char* from = p;  // where the search for the next "--" line starts
      if (cand) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', avail));
        if (!nl) {
          // the last line, incomplete: it may still become a boundary line
          flush_run(run, p);
          pos = base + static_cast<std::uint64_t>(p - begin);
          if (avail <= lim.max_boundary_line + 2) {
            partial.assign(p, avail);
            partial_offset = pos;
          } else {
            emit_mid_line(p, avail);
          }
          pos += avail;
          d = {};
          return;
        }
        std::size_t n = static_cast<std::size_t>(nl - p) + 1;
        std::size_t len = n - 1 - ((nl > p && nl[-1] == '\r') ? 1 : 0);
        std::size_t k;
        bool close;
        std::uint64_t off = base + static_cast<std::uint64_t>(p - begin);
        if (match_boundary(p, len, off, k, close)) {
          flush_run(run, p);
          pos = off + n;
          d.remove_prefix(static_cast<std::size_t>(p - begin) + n);
          do_boundary(k, close, off, off + n);
          return;
        }
        from = nl;
      }
      // Look for it a window at a time, and pass on the complete lines of each window
      // while they are still in the CPU cache.
      const char* dl = nullptr;
      for (;;) {
        const char* wend =
            static_cast<std::size_t>(end - from) > k_window + 2 ? from + k_window + 2 : end;
        dl = find_dash_line(from, wend);
        if (dl || wend == end) break;
        const char* next = from + k_window;
        const char* ls = next;  // the last line start in the window
        while (ls > from && ls[-1] != '\n') --ls;
        if (ls > from) {
          flush_run(run, ls);
          run = ls;
          line = ls;
        }
        from = next;
      }
      if (dl) {
        p = dl + 1;
        continue;
      }
      // No further line starts with "--". The last line, if incomplete, is body text unless
      // it is a lone "-" at the end of the input seen so far.
      const char* last = end;
      while (last > from && last[-1] != '\n') --last;
      if (last == from) last = line;  // no line break after `line`
      if (last == end) break;
      p = last;
      avail = static_cast<std::size_t>(end - p);
      flush_run(run, p);
      pos = base + static_cast<std::uint64_t>(p - begin);
      cand = avail >= 2 ? (p[0] == '-' && p[1] == '-') : p[0] == '-';
      if (cand && avail <= lim.max_boundary_line + 2) {
        partial.assign(p, avail);
        partial_offset = pos;
      } else {
        emit_mid_line(p, avail);
      }
      pos += avail;
      d = {};
      return;
    }
    flush_run(run, end);
    pos = base + d.size();
    d = {};
  }

  void feed(std::string_view d) {
    start();
    while (!d.empty() && !error) {
      if (child_pending) materialize_child();
      if (mid_line) {
        consume_mid_line(d);
      } else if (!partial.empty() || partial_truncated) {
        consume_partial(d);
      } else if (header_state()) {
        consume_header_lines(d);
      } else {
        scan_content(d);
      }
    }
    flush_out();
  }

  void finish() {
    start();
    // input that ends right after a delimiter has no part there (as stalwart); the
    // multipart then lacks its close delimiter
    child_pending = false;
    if (!partial.empty() || partial_truncated) {
      line_tmp.swap(partial);
      partial.clear();
      partial_truncated = false;
      process_line(line_tmp.data(), line_tmp.size(), partial_offset);
      line_tmp.clear();
    }
    if (held_cr) {
      held_cr = false;
      emit("\r", 1);
    }
    mid_line = false;
    {
      frame& f = stack.back();
      if (f.st == state::headers) {
        finish_field();
        end_headers(pos, false);
      }
    }
    emit_pending();
    while (!stack.empty()) end_top(pos, true);
    finished = true;
  }
};

parser::parser(parser_handler& handler, parser_limits limits)
    : impl_(std::make_unique<impl>(handler, limits)) {}

parser::~parser() = default;

void parser::feed(std::string_view data, std::error_code& ec) {
  if (impl_->finished) {
    ec = make_error_code(errc::bad_argument);
    return;
  }
  if (!impl_->error) impl_->feed(data);
  ec = impl_->error;
}

void parser::finish(std::error_code& ec) {
  if (impl_->finished) {
    ec = impl_->error;
    return;
  }
  impl_->finish();
  ec = impl_->error;
}

std::uint64_t parser::offset() const noexcept {
  return impl_->pos;
}
bool parser::finished() const noexcept {
  return impl_->finished;
}

// ------------------------------------------------------------------ tree_builder

void tree_builder::on_entity_begin(const entity_head& e) {
  (void)e;
  if (!started_) {
    started_ = true;
    stack_.push_back(&root_);
    return;
  }
  entity* parent = stack_.back();
  parent->parts.emplace_back();
  stack_.push_back(&parent->parts.back());
}

void tree_builder::on_body_chunk(const entity_head& e, std::string_view decoded) {
  (void)e;
  if (keep_bodies_) stack_.back()->body.append(decoded);
}

std::string* tree_builder::body_target(const entity_head& e) {
  (void)e;
  return keep_bodies_ ? &stack_.back()->body : nullptr;
}

void tree_builder::on_preamble(const entity_head& e, std::string_view raw) {
  (void)e;
  stack_.back()->preamble.append(raw);
}

void tree_builder::on_epilogue(const entity_head& e, std::string_view raw) {
  (void)e;
  stack_.back()->epilogue.append(raw);
}

void tree_builder::on_entity_end(entity_head& e) {
  entity* t = stack_.back();
  static_cast<entity_head&>(*t) = std::move(e);
  // a multipart without any boundary line is a leaf: its preamble is its body
  if (!t->container && t->parts.empty() && t->body.empty() && !t->preamble.empty())
    t->body = std::move(t->preamble);
  stack_.pop_back();
}

message tree_builder::take() {
  started_ = false;
  stack_.clear();
  return message(std::move(root_));
}

// ------------------------------------------------------------------ convenience

message parse_message(std::string_view bytes, std::error_code& ec, const parser_limits& limits) {
  tree_builder tb;
  parser p(tb, limits);
  p.feed(bytes, ec);
  std::error_code ec2;
  p.finish(ec2);
  if (!ec) ec = ec2;
  return tb.take();
}

message parse_message(std::string_view bytes, const parser_limits& limits) {
  std::error_code ec;
  return parse_message(bytes, ec, limits);
}

void parse_stream(byte_source& src, parser_handler& handler, std::error_code& ec,
                  const parser_limits& limits, std::size_t chunk_size) {
  ec.clear();
  parser p(handler, limits);
  std::string buf(chunk_size ? chunk_size : 65536, '\0');
  for (;;) {
    std::size_t n = src.read(std::span<char>(buf.data(), buf.size()), ec);
    if (ec) return;
    if (n == 0) break;
    p.feed(std::string_view(buf.data(), n), ec);
    if (ec) return;
  }
  p.finish(ec);
}

message parse_file(const std::string& path, std::error_code& ec, const parser_limits& limits) {
  file_source src(path);
  tree_builder tb;
  parse_stream(src, tb, ec, limits);
  return tb.take();
}

}  // namespace mailproto::mime
