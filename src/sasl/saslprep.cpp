// SASLprep (RFC 4013), the common subset, for "query" strings (RFC 3454 §7: unassigned code
// points allowed). Steps, in RFC 4013 §2 order:
//   1. decode UTF-8 strictly (overlong forms, surrogates, > U+10FFFF rejected);
//   2. map (§2.1): non-ASCII space (RFC 3454 C.1.2) -> U+0020, "commonly mapped to nothing"
//      (B.1) -> removed. C.1.2 is applied first, so U+200B (in both tables) becomes a space,
//      as libidn does;
//   3. normalise (§2.2, NFKC): NOT DONE — non-ASCII passes through unnormalised;
//   4. prohibit (§2.3): C.1.2 (already mapped), C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8,
//      C.9;
//   5. bidi (§2.4, RFC 3454 §6): NOT DONE.
// ASCII-only input that holds no control character comes out unchanged.
#include <mailproto/sasl/mechanism.hpp>

#include <cstdint>
#include <optional>

namespace mailproto::sasl {
namespace {

struct range {
  char32_t lo, hi;
};

constexpr bool in(const range* b, const range* e, char32_t c) {
  for (; b != e; ++b)
    if (c >= b->lo && c <= b->hi) return true;
  return false;
}

// RFC 3454 Appendix C.1.2 Non-ASCII space characters.
constexpr range non_ascii_space[] = {{0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200B},
                                     {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}};
// RFC 3454 Appendix B.1 Commonly mapped to nothing.
constexpr range mapped_to_nothing[] = {{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x1806, 0x1806},
                                       {0x180B, 0x180D}, {0x200B, 0x200D}, {0x2060, 0x2060},
                                       {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}};
// RFC 3454 Appendix C.2.1, C.2.2, C.3, C.5, C.6, C.7, C.8, C.9 (C.4 is tested separately).
constexpr range prohibited[] = {
    {0x0000, 0x001F},   {0x007F, 0x007F},   {0x0080, 0x009F},     {0x06DD, 0x06DD},  // C.2
    {0x070F, 0x070F},   {0x180E, 0x180E},   {0x200C, 0x200D},     {0x2028, 0x2029},
    {0x2060, 0x2063},   {0x206A, 0x206F},   {0xFEFF, 0xFEFF},     {0xFFF9, 0xFFFC},
    {0x1D173, 0x1D17A},                                            //
    {0xE000, 0xF8FF},   {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},  // C.3
    {0xD800, 0xDFFF},                                              // C.5
    {0xFFF9, 0xFFFD},                                              // C.6
    {0x2FF0, 0x2FFB},                                              // C.7
    {0x0340, 0x0341},   {0x200E, 0x200F},   {0x202A, 0x202E},      // C.8
    {0xE0001, 0xE0001}, {0xE0020, 0xE007F},                        // C.9
};

// C.4 Non-character code points: U+FDD0..U+FDEF and the last two of every plane.
constexpr bool non_character(char32_t c) {
  return (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

template <std::size_t N>
constexpr bool in(const range (&table)[N], char32_t c) {
  return in(table, table + N, c);
}

// Decodes one UTF-8 sequence at s[i]; advances i. nullopt on any malformation.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - i < len) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace

std::string saslprep(std::string_view in_text, std::error_code& ec) {
  ec.clear();
  std::string out;
  out.reserve(in_text.size());
  std::size_t i = 0;
  while (i < in_text.size()) {
    const auto cp = next_code_point(in_text, i);
    if (!cp) {
      ec = errc::unsafe_credential;
      return {};
    }
    char32_t c = *cp;
    if (in(non_ascii_space, c)) {  // RFC 4013 §2.1
      c = U' ';
    } else if (in(mapped_to_nothing, c)) {
      continue;
    }
    if (in(prohibited, c) || non_character(c)) {  // RFC 4013 §2.3
      ec = errc::unsafe_credential;
      return {};
    }
    append_utf8(out, c);
  }
  return out;
}

}  // namespace mailproto::sasl
