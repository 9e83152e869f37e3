// Base64 (RFC 2045 §6.8, RFC 4648 §4): encoder, streaming decoder, scalar and SIMD cores.
#include <mailproto/mime/encoding.hpp>

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MAILPROTO_BASE64_X86 1
#endif

namespace mailproto::mime {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Decode table: 0..63 for the alphabet, and the classes below for the rest.
constexpr signed char k_invalid = -1;
constexpr signed char k_space = -2;  // CR, LF, SP, HT: ignored (RFC 2045 §6.8)
constexpr signed char k_pad = -3;    // '='

struct decode_table {
  signed char v[256];
  constexpr decode_table() : v{} {
    for (auto& x : v) x = k_invalid;
    for (int i = 0; i < 64; ++i)
      v[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    v[static_cast<unsigned char>('\r')] = k_space;
    v[static_cast<unsigned char>('\n')] = k_space;
    v[static_cast<unsigned char>(' ')] = k_space;
    v[static_cast<unsigned char>('\t')] = k_space;
    v[static_cast<unsigned char>('=')] = k_pad;
  }
};
constexpr decode_table table;

// The cores decode whole quanta of alphabet characters plus an unpadded 2 or 3 character
// tail; the public functions strip padding first.
bool scalar_core(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept;
bool simd_core(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept;

// ---------------------------------------------------------------- SIMD decoding
//
// The vector decoder classifies each character by its high and low nibble with two
// PSHUFB lookups (a character is valid when the two looked-up bit sets do not intersect),
// turns characters into 6-bit values with a third lookup of an offset chosen by the high
// nibble, then packs four 6-bit values into three bytes with PMADDUBSW / PMADDWD and a
// final byte shuffle (the technique of W. Muła and D. Lemire, "Faster Base64 Encoding and
// Decoding Using AVX2 Instructions", 2018).

#if MAILPROTO_BASE64_X86

#define MP_LUT_LO \
  0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A
#define MP_LUT_HI \
  0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10
#define MP_LUT_ROLL 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0
#define MP_PACK 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1

// Decodes 16 characters into 12 bytes; false if any character is outside the alphabet.
__attribute__((target("ssse3"))) inline bool decode16_ssse3(const char* in, char* out) noexcept {
  const __m128i lut_lo = _mm_setr_epi8(MP_LUT_LO);
  const __m128i lut_hi = _mm_setr_epi8(MP_LUT_HI);
  const __m128i lut_roll = _mm_setr_epi8(MP_LUT_ROLL);
  const __m128i mask_0f = _mm_set1_epi8(0x0f);
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  const __m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), mask_0f);
  const __m128i lo = _mm_and_si128(v, mask_0f);
  const __m128i bad = _mm_and_si128(_mm_shuffle_epi8(lut_lo, lo), _mm_shuffle_epi8(lut_hi, hi));
  if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xFFFF) return false;
  const __m128i eq_slash = _mm_cmpeq_epi8(v, _mm_set1_epi8('/'));
  const __m128i roll = _mm_shuffle_epi8(lut_roll, _mm_add_epi8(eq_slash, hi));
  const __m128i six = _mm_add_epi8(v, roll);
  const __m128i ab_cd = _mm_maddubs_epi16(six, _mm_set1_epi32(0x01400140));
  const __m128i abcd = _mm_madd_epi16(ab_cd, _mm_set1_epi32(0x00011000));
  const __m128i packed = _mm_shuffle_epi8(abcd, _mm_setr_epi8(MP_PACK));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), packed);
  const int tail = _mm_cvtsi128_si32(_mm_srli_si128(packed, 8));
  std::memcpy(out + 8, &tail, 4);
  return true;
}

__attribute__((target("ssse3"))) bool decode_ssse3(const char* in, std::size_t n, char* out,
                                                   std::size_t* out_len) noexcept {
  std::size_t i = 0;
  char* o = out;
  for (; i + 16 <= n; i += 16, o += 12)
    if (!decode16_ssse3(in + i, o)) return false;
  std::size_t rest = 0;
  if (!scalar_core(in + i, n - i, o, &rest)) return false;
  *out_len = static_cast<std::size_t>(o - out) + rest;
  return true;
}

__attribute__((target("avx2"))) bool decode_avx2(const char* in, std::size_t n, char* out,
                                                 std::size_t* out_len) noexcept {
  const __m256i lut_lo = _mm256_setr_epi8(MP_LUT_LO, MP_LUT_LO);
  const __m256i lut_hi = _mm256_setr_epi8(MP_LUT_HI, MP_LUT_HI);
  const __m256i lut_roll = _mm256_setr_epi8(MP_LUT_ROLL, MP_LUT_ROLL);
  const __m256i pack = _mm256_setr_epi8(MP_PACK, MP_PACK);
  const __m256i mask_0f = _mm256_set1_epi8(0x0f);
  const __m256i slash = _mm256_set1_epi8('/');
  const __m256i gather = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  std::size_t i = 0;
  char* o = out;
  // A 32-byte store writes 8 bytes past the 24 decoded ones: keep 44 characters (33
  // output bytes) ahead so the store never leaves the caller's buffer.
  for (; i + 44 <= n; i += 32, o += 24) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), mask_0f);
    const __m256i lo = _mm256_and_si256(v, mask_0f);
    const __m256i bad =
        _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo), _mm256_shuffle_epi8(lut_hi, hi));
    if (!_mm256_testz_si256(bad, bad)) return false;
    const __m256i roll =
        _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(v, slash), hi));
    const __m256i six = _mm256_add_epi8(v, roll);
    const __m256i ab_cd = _mm256_maddubs_epi16(six, _mm256_set1_epi32(0x01400140));
    const __m256i abcd = _mm256_madd_epi16(ab_cd, _mm256_set1_epi32(0x00011000));
    const __m256i packed = _mm256_shuffle_epi8(abcd, pack);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_permutevar8x32_epi32(packed, gather));
  }
  std::size_t rest = 0;
  if (!decode_ssse3(in + i, n - i, o, &rest)) return false;
  *out_len = static_cast<std::size_t>(o - out) + rest;
  return true;
}

enum class simd_level { none, ssse3, avx2 };

simd_level detect() noexcept {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return simd_level::avx2;
  if (__builtin_cpu_supports("ssse3")) return simd_level::ssse3;
  return simd_level::none;
}

simd_level level() noexcept {
  static const simd_level l = detect();
  return l;
}

#endif  // MAILPROTO_BASE64_X86

// A padded final quantum ("xx==" or "xxx=") is decoded as the unpadded 2 or 3 characters.
std::size_t strip_padding(const char* in, std::size_t n) noexcept {
  if (n >= 4 && n % 4 == 0 && in[n - 1] == '=') {
    --n;
    if (in[n - 1] == '=') --n;
  }
  return n;
}

// Below this many characters the vector set-up costs more than it saves.
constexpr std::size_t simd_threshold = 16;

// For the streaming decoder: `in` holds whole quanta and no padding.
bool decode_fast(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept {
  if (n >= simd_threshold) return simd_core(in, n, out, out_len);
  return scalar_core(in, n, out, out_len);
}

}  // namespace

// ---------------------------------------------------------------- scalar and SIMD cores

namespace {

bool scalar_core(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int a = table.v[p[i]], b = table.v[p[i + 1]], c = table.v[p[i + 2]],
              d = table.v[p[i + 3]];
    if ((a | b | c | d) < 0) return false;
    const std::uint32_t q = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) |
                            (std::uint32_t(c) << 6) | std::uint32_t(d);
    out[o++] = static_cast<char>(q >> 16);
    out[o++] = static_cast<char>(q >> 8);
    out[o++] = static_cast<char>(q);
  }
  // A final partial quantum of 2 or 3 characters (unpadded input).
  const std::size_t r = n - i;
  if (r == 1) return false;
  if (r >= 2) {
    std::uint32_t q = 0;
    for (std::size_t k = 0; k < r; ++k) {
      const int v = table.v[p[i + k]];
      if (v < 0) return false;
      q = (q << 6) | std::uint32_t(v);
    }
    q <<= 6 * (4 - r);
    out[o++] = static_cast<char>(q >> 16);
    if (r == 3) out[o++] = static_cast<char>(q >> 8);
  }
  *out_len = o;
  return true;
}

bool simd_core(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept {
#if MAILPROTO_BASE64_X86
  switch (level()) {
    case simd_level::avx2:
      return decode_avx2(in, n, out, out_len);
    case simd_level::ssse3:
      return decode_ssse3(in, n, out, out_len);
    case simd_level::none:
      break;
  }
#endif
  return scalar_core(in, n, out, out_len);
}

}  // namespace

bool base64_decode_scalar(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept {
  return scalar_core(in, strip_padding(in, n), out, out_len);
}

bool base64_decode_simd(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept {
  return simd_core(in, strip_padding(in, n), out, out_len);
}

bool base64_simd_available() noexcept {
#if MAILPROTO_BASE64_X86
  return level() != simd_level::none;
#else
  return false;
#endif
}

// ---------------------------------------------------------------- encoding

std::size_t base64_encoded_size(std::size_t n, std::size_t line_length) noexcept {
  const std::size_t chars = (n + 2) / 3 * 4;
  if (line_length == 0 || chars == 0) return chars;
  const std::size_t lines = (chars + line_length - 1) / line_length;
  return chars + 2 * (lines - 1);
}

base64_encoder::base64_encoder(std::size_t line_length) noexcept : line_length_(line_length) {}

void base64_encoder::update(std::string_view in, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t n = in.size();
  out.reserve(out.size() + n / 3 * 4 + (line_length_ ? n / 3 * 4 / line_length_ * 2 : 0) + 8);
  auto put = [&](char c) {
    if (line_length_ != 0 && column_ == line_length_) {
      out += "\r\n";
      column_ = 0;
    }
    out += c;
    ++column_;
  };
  auto quantum = [&](unsigned a, unsigned b, unsigned c) {
    const std::uint32_t q = (a << 16) | (b << 8) | c;
    if (line_length_ == 0 || column_ + 4 <= line_length_) {
      const char chars[4] = {alphabet[(q >> 18) & 63], alphabet[(q >> 12) & 63],
                             alphabet[(q >> 6) & 63], alphabet[q & 63]};
      out.append(chars, 4);
      column_ += 4;
    } else {
      put(alphabet[(q >> 18) & 63]);
      put(alphabet[(q >> 12) & 63]);
      put(alphabet[(q >> 6) & 63]);
      put(alphabet[q & 63]);
    }
  };
  // Complete a quantum left over from the previous call.
  while (npending_ > 0 && npending_ < 3 && n > 0) {
    pending_[npending_++] = *p++;
    --n;
  }
  if (npending_ == 3) {
    quantum(pending_[0], pending_[1], pending_[2]);
    npending_ = 0;
  }
  for (; n >= 3; n -= 3, p += 3) {
    if (line_length_ != 0 && column_ == line_length_) {
      out += "\r\n";
      column_ = 0;
    }
    quantum(p[0], p[1], p[2]);
  }
  while (n > 0) {
    pending_[npending_++] = *p++;
    --n;
  }
}

void base64_encoder::finish(std::string& out) {
  auto put = [&](char c) {
    if (line_length_ != 0 && column_ == line_length_) {
      out += "\r\n";
      column_ = 0;
    }
    out += c;
    ++column_;
  };
  if (npending_ == 1) {
    const unsigned a = pending_[0];
    put(alphabet[a >> 2]);
    put(alphabet[(a & 3) << 4]);
    put('=');
    put('=');
  } else if (npending_ == 2) {
    const unsigned a = pending_[0], b = pending_[1];
    put(alphabet[a >> 2]);
    put(alphabet[((a & 3) << 4) | (b >> 4)]);
    put(alphabet[(b & 15) << 2]);
    put('=');
  }
  npending_ = 0;
  column_ = 0;
}

std::string base64_encode(std::string_view in, std::size_t line_length) {
  std::string out;
  out.reserve(base64_encoded_size(in.size(), line_length));
  base64_encoder enc(line_length);
  enc.update(in, out);
  enc.finish(out);
  return out;
}

// ---------------------------------------------------------------- streaming decoding

bool base64_decoder::update(std::string_view in, std::string& out, std::error_code& ec) {
  // Work in segments so the output room made below (std::string zero-fills it) is still
  // in cache when the decoder writes it.
  constexpr std::size_t segment = 64 * 1024;
  if (in.size() > segment) {
    for (std::size_t pos = 0; pos < in.size(); pos += segment)
      if (!update(in.substr(pos, segment), out, ec)) return false;
    return true;
  }
  const char* p = in.data();
  const char* const end = p + in.size();
  // Room for the worst case (every character in the alphabet, plus up to 3 characters
  // carried over), written through a pointer and trimmed at the end: one resize per call.
  const std::size_t old = out.size();
  out.resize(old + in.size() / 4 * 3 + 6);
  char* o = out.data() + old;
  bool ok = true;

  // One character through the state machine; false on a strict-mode error.
  auto step = [&](unsigned char ch) -> bool {
    const int v = table.v[ch];
    if (v >= 0) {
      if (seen_pad_) {
        // Data after padding: a second base64 stream glued on. Lenient decoders restart.
        if (strict_) return false;
        seen_pad_ = false;
        acc_ = 0;
        nbits_ = 0;
      }
      acc_ = (acc_ << 6) | std::uint32_t(v);
      nbits_ += 6;
      if (nbits_ >= 8) {
        nbits_ -= 8;
        *o++ = static_cast<char>((acc_ >> nbits_) & 0xFF);
      }
      acc_ &= (1u << nbits_) - 1;
      return true;
    }
    if (v == k_space) return true;
    if (v == k_pad) {
      // '=' may only follow 2 or 3 characters of a quantum (nbits_ 4 or 2), or another '='.
      if (!seen_pad_ && (nbits_ == 0 || nbits_ == 6) && strict_) return false;
      seen_pad_ = true;
      acc_ = 0;
      nbits_ = 0;
      return true;
    }
    return !strict_;  // lenient: characters outside the alphabet are skipped
  };

  // Short lines made only of whole quanta (the 76-column lines of real mail) are gathered
  // into `block` and decoded together, so the vector decoder sees long runs.
  constexpr std::size_t block_size = 8192;
  constexpr std::size_t short_line = 1024;
  char block[block_size];
  std::size_t nblock = 0;
  const char* block_start = nullptr;  // where the gathered lines begin in `in`
  auto flush = [&](const char* block_end) -> bool {
    if (nblock == 0) return true;
    std::size_t n = 0;
    const bool fast = decode_fast(block, nblock, o, &n);
    nblock = 0;
    if (fast) {
      o += n;
      return true;
    }
    // Something in the gathered lines needs the state machine: replay them.
    for (const char* r = block_start; r < block_end; ++r)
      if (!step(static_cast<unsigned char>(*r))) return false;
    return true;
  };

  // Mail wraps every line at the same length: once a line of `line_len` characters and a
  // CRLF (or LF) has been seen, the next line is guessed to match. A wrong guess costs
  // nothing in correctness: only bytes checked to be a line break are skipped, and any
  // character the vector decoder rejects makes `flush` replay the raw input.
  std::size_t line_len = 0;
  std::size_t eol_len = 0;
  while (p < end && ok) {
    const bool boundary = nbits_ == 0 && !seen_pad_;
    if (boundary && line_len != 0 && static_cast<std::size_t>(end - p) >= line_len + eol_len &&
        p[line_len + eol_len - 1] == '\n' && (eol_len == 1 || p[line_len] == '\r')) {
      if (nblock + line_len > block_size) {
        ok = flush(p);
        continue;  // a replay may have left the state off a quantum boundary
      }
      if (nblock == 0) block_start = p;
      std::memcpy(block + nblock, p, line_len);
      nblock += line_len;
      p += line_len + eol_len;
      continue;
    }
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* line_end = nl ? static_cast<const char*>(nl) + 1 : end;
    if (boundary) {
      const char* q = line_end;
      while (q > p && table.v[static_cast<unsigned char>(q[-1])] < 0) --q;
      const std::size_t body = static_cast<std::size_t>(q - p);
      bool clean_tail = nl != nullptr;  // a line cut by the chunk end may go on
      for (const char* t = q; t < line_end && clean_tail; ++t)
        clean_tail = table.v[static_cast<unsigned char>(*t)] == k_space;
      if (clean_tail && body % 4 == 0 && body <= short_line) {
        if (nblock + body > block_size) {
          ok = flush(p);
          continue;  // as above
        }
        if (nblock == 0) block_start = p;
        std::memcpy(block + nblock, p, body);
        nblock += body;
        const std::size_t tail = static_cast<std::size_t>(line_end - q);
        if (body >= 4 && (tail == 1 || (tail == 2 && q[0] == '\r'))) {
          line_len = body;
          eol_len = tail;
        }
        p = line_end;
        continue;
      }
    }
    if (!flush(p)) {
      ok = false;
      break;
    }
    // Reach a quantum boundary character by character.
    while (p < line_end && (nbits_ != 0 || seen_pad_)) {
      if (!step(static_cast<unsigned char>(*p))) {
        ok = false;
        break;
      }
      ++p;
    }
    if (!ok) break;
    // The body of the line: whole quanta of alphabet characters go to the vector decoder
    // (which writes nothing we keep if it finds a character it cannot take).
    const char* q = line_end;
    while (q > p && table.v[static_cast<unsigned char>(q[-1])] < 0) --q;
    const std::size_t run = static_cast<std::size_t>(q - p) & ~std::size_t(3);
    if (run >= 4) {
      std::size_t n = 0;
      if (decode_fast(p, run, o, &n)) {
        o += n;
        p += run;
      }
    }
    for (; p < line_end; ++p) {
      if (!step(static_cast<unsigned char>(*p))) {
        ok = false;
        break;
      }
    }
  }
  if (ok && !flush(p)) ok = false;
  out.resize(static_cast<std::size_t>(o - out.data()));
  if (!ok) ec = errc::bad_base64;
  return ok;
}

bool base64_decoder::finish(std::string& /*out*/, std::error_code& ec) {
  // Any 2 or 3 trailing characters have already produced their bytes; a lone trailing
  // character (6 bits) cannot encode a byte.
  const bool lone = (nbits_ == 6);
  acc_ = 0;
  nbits_ = 0;
  seen_pad_ = false;
  if (lone && strict_) {
    ec = errc::bad_base64;
    return false;
  }
  return true;
}

std::string base64_decode(std::string_view in, std::error_code& ec, bool strict) {
  ec.clear();
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  base64_decoder dec(strict);
  if (dec.update(in, out, ec)) dec.finish(out, ec);
  return out;
}

std::string base64_decode(std::string_view in) {
  std::error_code ec;
  return base64_decode(in, ec, false);
}

}  // namespace mailproto::mime
