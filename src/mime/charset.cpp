// Charset conversion to UTF-8 over glibc iconv, UTF-8 validation and charset aliases.
#include <mailproto/mime/charset.hpp>

#include <iconv.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace mailproto::mime {
namespace {

constexpr char replacement[] = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
constexpr std::size_t max_charset_name = 64;

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.substr(0, p.size()) == p;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid (RFC 3629 §4).
std::size_t utf8_seq_len(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const std::size_t left = s.size() - i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return (left >= 2 && (b(i + 1) & 0xC0) == 0x80) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char c1 = b(i + 1);
    const unsigned char lo = (c == 0xE0) ? 0xA0 : 0x80;  // no overlongs
    const unsigned char hi = (c == 0xED) ? 0x9F : 0xBF;  // no surrogates
    if (c1 < lo || c1 > hi) return 0;
    return ((b(i + 2) & 0xC0) == 0x80) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char c1 = b(i + 1);
    const unsigned char lo = (c == 0xF0) ? 0x90 : 0x80;  // no overlongs
    const unsigned char hi = (c == 0xF4) ? 0x8F : 0xBF;  // <= U+10FFFF
    if (c1 < lo || c1 > hi) return 0;
    return ((b(i + 2) & 0xC0) == 0x80 && (b(i + 3) & 0xC0) == 0x80) ? 4 : 0;
  }
  return 0;
}

std::string repair_utf8(std::string_view in, std::error_code& ec) {
  std::string out;
  out.reserve(in.size() + 8);
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = utf8_seq_len(in, i);
    if (n == 0) {
      out += replacement;
      ec = errc::bad_charset_data;
      ++i;
    } else {
      out.append(in.data() + i, n);
      i += n;
    }
  }
  return out;
}

// The name handed to iconv for a canonical MIME charset name; supersets where mail needs
// them (GB2312 mail is routinely GBK; ks_c_5601-1987 mail is Windows code page 949).
std::string iconv_name(const std::string& canonical) {
  if (canonical == "gb2312" || canonical == "gbk" || canonical == "gb18030" ||
      canonical == "x-gbk" || canonical == "cp936")
    return "GB18030";
  if (canonical == "euc-kr") return "CP949";
  if (canonical == "big5") return "BIG5";
  std::string up = canonical;
  for (auto& c : up) c = (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
  return up;
}

// A charset name from a header is untrusted: only plain name characters reach iconv_open
// (no "//TRANSLIT" or other suffixes, no paths).
bool plausible_name(std::string_view n) noexcept {
  if (n.empty() || n.size() > max_charset_name) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':' || c == '+';
    if (!ok) return false;
  }
  return true;
}

// Per-thread cache of conversion descriptors (iconv_t is not thread-safe, so one per
// thread); bounded so hostile input naming many charsets cannot grow it.
class iconv_cache {
 public:
  ~iconv_cache() {
    for (auto& e : entries_)
      if (e.second != invalid()) iconv_close(e.second);
  }
  static iconv_t invalid() noexcept { return reinterpret_cast<iconv_t>(-1); }

  // Returns invalid() if iconv does not know the charset.
  iconv_t get(const std::string& canonical) {
    for (auto& e : entries_)
      if (e.first == canonical) {
        if (e.second != invalid()) iconv(e.second, nullptr, nullptr, nullptr, nullptr);
        return e.second;
      }
    if (entries_.size() >= max_entries) {
      if (entries_.front().second != invalid()) iconv_close(entries_.front().second);
      entries_.erase(entries_.begin());
    }
    iconv_t cd = iconv_open("UTF-8", iconv_name(canonical).c_str());
    entries_.emplace_back(canonical, cd);
    return cd;
  }

 private:
  static constexpr std::size_t max_entries = 16;
  std::vector<std::pair<std::string, iconv_t>> entries_;
};

iconv_cache& cache() {
  thread_local iconv_cache c;
  return c;
}

std::string convert(iconv_t cd, std::string_view in, std::error_code& ec) {
  std::string out;
  out.resize(in.size() * 2 + 16);
  char* src = const_cast<char*>(in.data());  // iconv's API is not const-correct
  std::size_t src_left = in.size();
  std::size_t used = 0;
  bool flushed = false;
  for (;;) {
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    std::size_t r;
    if (src_left > 0)
      r = iconv(cd, &src, &src_left, &dst, &dst_left);
    else {
      r = iconv(cd, nullptr, nullptr, &dst, &dst_left);  // emit a final shift sequence
      flushed = true;
    }
    used = out.size() - dst_left;
    if (r != static_cast<std::size_t>(-1)) {
      if (src_left == 0 && flushed) break;
      continue;
    }
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    // EILSEQ (invalid sequence) or EINVAL (incomplete sequence at the end): one U+FFFD for
    // the offending byte, then go on after it.
    if (out.size() - used < sizeof replacement) out.resize(out.size() * 2);
    std::memcpy(out.data() + used, replacement, 3);
    used += 3;
    ec = errc::bad_charset_data;
    if (src_left == 0) break;
    ++src;
    --src_left;
  }
  out.resize(used);
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    // ASCII run, 8 bytes at a time.
    while (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const std::size_t n = utf8_seq_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string canonical_charset(std::string_view name) {
  // Trim blanks and quotes that sloppy headers leave around the name.
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t' || name.front() == '"'))
    name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t' || name.back() == '"'))
    name.remove_suffix(1);
  std::string n;
  n.reserve(name.size());
  for (char c : name) n += ascii_lower(c);

  struct alias {
    const char* from;
    const char* to;
  };
  static constexpr alias aliases[] = {
      {"utf8", "utf-8"},
      {"unicode-1-1-utf-8", "utf-8"},
      {"ascii", "us-ascii"},
      {"us_ascii", "us-ascii"},
      {"ansi_x3.4-1968", "us-ascii"},
      {"iso646-us", "us-ascii"},
      {"latin1", "iso-8859-1"},
      {"latin-1", "iso-8859-1"},
      {"l1", "iso-8859-1"},
      {"latin2", "iso-8859-2"},
      {"latin-2", "iso-8859-2"},
      {"ks_c_5601-1987", "euc-kr"},
      {"ks_c_5601", "euc-kr"},
      {"ksc5601", "euc-kr"},
      {"ksc_5601", "euc-kr"},
      {"x-euc-kr", "euc-kr"},
      {"x-sjis", "shift_jis"},
      {"sjis", "shift_jis"},
      {"shift-jis", "shift_jis"},
      {"ms_kanji", "shift_jis"},
      {"csshiftjis", "shift_jis"},
      {"x-euc-jp", "euc-jp"},
      {"gb_2312-80", "gb2312"},
      {"csgb2312", "gb2312"},
      {"euc-cn", "gb2312"},
      {"x-euc-cn", "gb2312"},
      {"x-gbk", "gbk"},
      {"cp936", "gbk"},
      {"x-big5", "big5"},
      {"csbig5", "big5"},
      {"cn-big5", "big5"},
      {"koi8r", "koi8-r"},
      {"cskoi8r", "koi8-r"},
      {"koi8u", "koi8-u"},
  };
  for (const auto& a : aliases)
    if (n == a.from) return a.to;
  // cp125x / x-cp125x / win-125x -> windows-125x
  for (std::string_view p : {"x-cp", "cp", "win-", "win", "ms-"}) {
    if (starts_with(n, p) && n.size() == p.size() + 4 && starts_with(n.substr(p.size()), "125"))
      return "windows-" + n.substr(p.size());
  }
  // iso8859-N, iso_8859-N, iso-8859_N, iso8859N -> iso-8859-N
  for (std::string_view p :
       {"iso8859-", "iso_8859-", "iso-8859_", "iso8859_", "iso_8859_", "iso8859"}) {
    if (starts_with(n, p) && n.size() > p.size()) {
      std::string rest = n.substr(p.size());
      // drop an ISO registration suffix such as ":1987"
      if (auto colon = rest.find(':'); colon != std::string::npos) rest.resize(colon);
      return "iso-8859-" + rest;
    }
  }
  if (starts_with(n, "iso-8859-")) {
    if (auto colon = n.find(':'); colon != std::string::npos) n.resize(colon);
  }
  return n;
}

bool charset_known(std::string_view charset) {
  const std::string c = canonical_charset(charset);
  if (c == "utf-8" || c == "us-ascii" || c == "iso-8859-1") return true;
  if (!plausible_name(c)) return false;
  return cache().get(c) != iconv_cache::invalid();
}

std::string to_utf8(std::string_view in, std::string_view charset, std::error_code& ec) {
  ec.clear();
  const std::string c = canonical_charset(charset);
  if (c == "utf-8") {
    if (is_valid_utf8(in)) return std::string(in);
    return repair_utf8(in, ec);
  }
  if (c == "us-ascii") {
    std::string out;
    out.reserve(in.size());
    for (char ch : in) {
      if (static_cast<unsigned char>(ch) < 0x80) {
        out += ch;
      } else {
        out += replacement;
        ec = errc::bad_charset_data;
      }
    }
    return out;
  }
  if (c == "iso-8859-1") {  // every byte is the code point of the same value
    std::string out;
    out.reserve(in.size() + in.size() / 4);
    for (char ch : in) {
      const auto u = static_cast<unsigned char>(ch);
      if (u < 0x80) {
        out += ch;
      } else {
        out += static_cast<char>(0xC0 | (u >> 6));
        out += static_cast<char>(0x80 | (u & 0x3F));
      }
    }
    return out;
  }
  iconv_t cd = plausible_name(c) ? cache().get(c) : iconv_cache::invalid();
  if (cd == iconv_cache::invalid()) {
    ec = errc::unknown_charset;
    return std::string(in);
  }
  return convert(cd, in, ec);
}

}  // namespace mailproto::mime
