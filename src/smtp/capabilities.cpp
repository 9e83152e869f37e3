// EHLO reply parsing (RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param )).
#include <mailproto/smtp/capabilities.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace mailproto::smtp {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

bool capabilities::has(std::string_view keyword) const {
  const std::string k = upper(keyword);
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    auto w = words(l);
    return !w.empty() && upper(w[0]) == k;
  });
}

capabilities capabilities::parse(const server_reply& r) {
  capabilities c;
  c.esmtp = true;
  if (r.lines.empty()) return c;
  {
    auto w = words(r.lines[0]);
    if (!w.empty()) c.server_name = std::string(w[0]);
  }
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    const std::string& line = r.lines[i];
    c.lines.push_back(line);
    auto w = words(line);
    if (w.empty()) continue;
    const std::string kw = upper(w[0]);
    if (kw == "SIZE") {
      // RFC 1870 §4: size-param = [SP 1*20DIGIT]; 0 or absent means no fixed limit.
      std::uint64_t n = 0;
      if (w.size() > 1) {
        auto [p, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), n);
        if (ec != std::errc{} || p != w[1].data() + w[1].size()) n = 0;
      }
      c.size = n;
    } else if (kw == "PIPELINING") {
      c.pipelining = true;
    } else if (kw == "8BITMIME") {
      c.eight_bit_mime = true;
    } else if (kw == "SMTPUTF8") {
      c.smtputf8 = true;
    } else if (kw == "STARTTLS") {
      c.starttls = true;
    } else if (kw == "CHUNKING") {
      c.chunking = true;
    } else if (kw == "BINARYMIME") {
      c.binary_mime = true;
    } else if (kw == "DSN") {
      c.dsn = true;
    } else if (kw == "ENHANCEDSTATUSCODES") {
      c.enhanced_status_codes = true;
    } else if (kw == "REQUIRETLS") {
      c.require_tls = true;
    } else if (kw == "AUTH" || kw == "AUTH=LOGIN") {
      // "AUTH=LOGIN PLAIN" is the pre-standard form some old servers still send.
      std::size_t first = 1;
      if (kw == "AUTH=LOGIN") c.auth.push_back("LOGIN");
      for (std::size_t k = first; k < w.size(); ++k) {
        std::string m = upper(w[k]);
        if (std::find(c.auth.begin(), c.auth.end(), m) == c.auth.end()) c.auth.push_back(m);
      }
    }
  }
  return c;
}

}  // namespace mailproto::smtp
