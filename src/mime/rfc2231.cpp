// RFC 2231 parameter values: charset/language, percent-encoding and continuations.
#include <mailproto/mime/charset.hpp>

#include <mailproto/mime/encoding.hpp>
#include "mime/utf8.hpp"

#include <algorithm>

namespace mailproto::mime {
namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr int max_section = 999;          // continuation numbers beyond this are ignored
constexpr std::size_t max_pieces = 1024;  // bound on parameters collected by one decoder

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2231 §7: attribute-char := <any (US-ASCII) CHAR except SPACE, CTLs, "*", "'", "%",
// or tspecials>; tspecials (RFC 2045 §5.1) are ()<>@,;:\"/[]?=
bool attribute_char(unsigned char c) noexcept {
  if (c <= 32 || c >= 127) return false;
  for (char s : std::string_view("*'%()<>@,;:\\\"/[]?="))
    if (c == static_cast<unsigned char>(s)) return false;
  return true;
}

std::size_t pct_len(unsigned char c) noexcept {
  return attribute_char(c) ? 1 : 3;
}

void pct_append(std::string_view bytes, std::string& out) {
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (attribute_char(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex_upper[c >> 4];
      out += hex_upper[c & 15];
    }
  }
}

std::string pct_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];  // lenient: a stray "%" is kept
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> rfc2231_encode(std::string_view name,
                                                                std::string_view utf8_value,
                                                                std::size_t max_line) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string n(name);
  // Each parameter goes on its own folded line: " " name "=" value ";" (quotes for a
  // plain value, which the caller adds).
  bool ascii = true;
  for (char c : utf8_value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 32 || u >= 127) ascii = false;
  }
  // A plain value that looks like an RFC 2047 word would be decoded as one by readers.
  if (utf8_value.find("=?") != std::string_view::npos) ascii = false;
  if (ascii && 1 + n.size() + 1 + utf8_value.size() + 2 + 1 <= max_line) {
    out.emplace_back(n, std::string(utf8_value));
    return out;
  }
  // RFC 2231 §4: name*=charset'language'percent-encoded
  std::string whole = "UTF-8''";
  pct_append(utf8_value, whole);
  if (1 + n.size() + 2 + whole.size() + 1 <= max_line) {
    out.emplace_back(n + "*", std::move(whole));
    return out;
  }
  // RFC 2231 §3 and §4.1: name*0*=UTF-8''..., name*1*=..., split between characters so no
  // piece ends inside a %XX triple or a UTF-8 sequence.
  std::size_t pos = 0;
  for (int section = 0; pos < utf8_value.size() || section == 0; ++section) {
    const std::string pname = n + "*" + std::to_string(section) + "*";
    std::string piece = section == 0 ? "UTF-8''" : "";
    const std::size_t fixed = 1 + pname.size() + 1 + 1;  // " " name "=" ... ";"
    const std::size_t room = max_line > fixed + piece.size() ? max_line - fixed : piece.size() + 12;
    std::size_t used = piece.size();
    std::size_t end = pos;
    while (end < utf8_value.size()) {
      const std::size_t cl = detail::utf8_char_len(utf8_value, end);
      std::size_t w = 0;
      for (std::size_t k = 0; k < cl; ++k)
        w += pct_len(static_cast<unsigned char>(utf8_value[end + k]));
      if (used + w > room && end > pos) break;  // at least one character per piece
      used += w;
      end += cl;
    }
    pct_append(utf8_value.substr(pos, end - pos), piece);
    out.emplace_back(pname, std::move(piece));
    pos = end;
  }
  return out;
}

void rfc2231_decoder::add(std::string_view raw_name, std::string_view value) {
  if (pieces_.size() >= max_pieces) return;
  std::string name = lower(raw_name);
  piece p{{}, -1, false, std::string(value)};
  // RFC 2231 §3/§4: name [ "*" section ] [ "*" ]
  if (!name.empty() && name.back() == '*') {
    p.extended = true;
    name.pop_back();
  }
  if (const auto star = name.rfind('*'); star != std::string::npos && star + 1 < name.size()) {
    const std::string digits = name.substr(star + 1);
    const bool numeric =
        digits.size() <= 3 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && (digits.size() == 1 || digits[0] != '0')) {  // no leading zeros (§3)
      const int section = std::stoi(digits);
      if (section > max_section) return;
      p.section = section;
      name.resize(star);
    }
  }
  p.name = std::move(name);
  pieces_.push_back(std::move(p));
}

std::vector<std::pair<std::string, std::string>> rfc2231_decoder::result() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> names;
  for (const auto& p : pieces_)
    if (std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);

  for (const auto& name : names) {
    std::vector<const piece*> sections;
    const piece* plain = nullptr;
    const piece* ext = nullptr;
    for (const auto& p : pieces_) {
      if (p.name != name) continue;
      if (p.section >= 0)
        sections.push_back(&p);
      else if (p.extended && !ext)
        ext = &p;
      else if (!p.extended && !plain)
        plain = &p;
    }
    // The RFC 2231 forms win over a plain value given for old readers.
    std::string value;
    if (!sections.empty()) {
      std::stable_sort(sections.begin(), sections.end(),
                       [](const piece* a, const piece* b) { return a->section < b->section; });
      std::string charset;
      std::string bytes;
      bool any_extended = false;
      int last = -1;
      for (const piece* p : sections) {
        if (p->section == last) continue;  // a repeated section: the first one counts
        last = p->section;
        std::string_view v = p->value;
        if (p->extended) {
          any_extended = true;
          if (p->section == 0) {
            // charset'language'value (§4); both may be empty.
            const auto q1 = v.find('\'');
            const auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
            if (q2 != std::string_view::npos) {
              charset = std::string(v.substr(0, q1));
              v = v.substr(q2 + 1);
            }
          }
          bytes += pct_decode(v);
        } else {
          bytes += v;
        }
      }
      if (!any_extended) {
        value = rfc2047_decode(bytes);
      } else if (!charset.empty()) {
        std::error_code ec;
        value = to_utf8(bytes, charset, ec);  // unknown charset: the bytes as they are
      } else {
        value = std::move(bytes);
      }
    } else if (ext) {
      std::string_view v = ext->value;
      std::string charset;
      const auto q1 = v.find('\'');
      const auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) {
        charset = std::string(v.substr(0, q1));
        v = v.substr(q2 + 1);
      }
      std::string bytes = pct_decode(v);
      if (!charset.empty()) {
        std::error_code ec;
        value = to_utf8(bytes, charset, ec);
      } else {
        value = std::move(bytes);
      }
    } else if (plain) {
      // Not RFC 2231, but what many mailers send: filename="=?UTF-8?B?...?=".
      value = rfc2047_decode(plain->value);
    }
    out.emplace_back(name, std::move(value));
  }
  return out;
}

}  // namespace mailproto::mime
