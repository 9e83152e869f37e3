// POP3 session state and the small grammar helpers (RFC 1939, RFC 2449). See protocol.hpp.
#include <mailproto/pop3/protocol.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace mailproto::pop3 {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view first_word(std::string_view line, std::string_view& rest) {
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) {
    rest = {};
    return line;
  }
  rest = line.substr(sp + 1);
  return line.substr(0, sp);
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool capabilities::has(std::string_view name) const {
  for (const auto& l : lines) {
    std::string_view rest;
    if (iequals(first_word(l, rest), name)) return true;
  }
  return false;
}

capabilities capabilities::parse(const std::vector<std::string>& lines) {
  // RFC 2449 §5: capability = cname *(SP param); names are case-insensitive.
  capabilities c;
  c.known = true;
  c.lines = lines;
  for (const auto& l : lines) {
    std::string_view rest;
    const std::string_view name = first_word(l, rest);
    if (iequals(name, "TOP"))
      c.top = true;
    else if (iequals(name, "USER"))
      c.user = true;
    else if (iequals(name, "UIDL"))
      c.uidl = true;
    else if (iequals(name, "PIPELINING"))
      c.pipelining = true;
    else if (iequals(name, "RESP-CODES"))
      c.resp_codes = true;
    else if (iequals(name, "AUTH-RESP-CODE"))
      c.auth_resp_code = true;
    else if (iequals(name, "STLS"))
      c.stls = true;
    else if (iequals(name, "IMPLEMENTATION"))
      c.implementation.assign(rest);
    else if (iequals(name, "LOGIN-DELAY"))
      c.login_delay.assign(rest);
    else if (iequals(name, "EXPIRE"))
      c.expire.assign(rest);
    else if (iequals(name, "SASL")) {
      while (!rest.empty()) {
        std::string_view more;
        const std::string_view mech = first_word(rest, more);
        if (!mech.empty()) c.sasl.emplace_back(mech);
        rest = more;
      }
    }
  }
  return c;
}

bool parse_list_line(std::string_view line, message_info& out) {
  // RFC 1939 §5: scan listing = msg-number SP size (servers may add more after SP).
  std::string_view rest;
  const std::string_view n = first_word(line, rest);
  std::string_view tail;
  const std::string_view sz = first_word(rest, tail);
  return parse_number(n, out.number) && out.number >= 1 && parse_number(sz, out.size);
}

bool parse_uidl_line(std::string_view line, message_uid& out) {
  // RFC 1939 §7: unique-id listing = msg-number SP unique-id; unique-id is 1..70
  // characters in the range 0x21..0x7E.
  std::string_view rest;
  const std::string_view n = first_word(line, rest);
  if (!parse_number(n, out.number) || out.number < 1) return false;
  std::string_view tail;
  const std::string_view uid = first_word(rest, tail);
  if (uid.empty() || uid.size() > 70) return false;
  for (char c : uid)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  out.uid.assign(uid);
  return true;
}

bool parse_stat(std::string_view text, mailbox_stat& out) {
  // RFC 1939 §5: drop listing = "+OK" SP nn SP mm.
  std::string_view rest;
  const std::string_view n = first_word(text, rest);
  std::string_view tail;
  const std::string_view sz = first_word(rest, tail);
  return parse_number(n, out.count) && parse_number(sz, out.size);
}

std::string apop_timestamp(std::string_view greeting_text) {
  // RFC 1939 §7: the banner contains a timestamp in msg-id form, "<" ... ">". We take the
  // last "<...>" without spaces or controls inside.
  const auto close = greeting_text.rfind('>');
  if (close == std::string_view::npos) return {};
  const auto open = greeting_text.rfind('<', close);
  if (open == std::string_view::npos || close - open < 2) return {};
  const std::string_view ts = greeting_text.substr(open, close - open + 1);
  for (char c : ts.substr(1, ts.size() - 2)) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<') return {};
  }
  return std::string(ts);
}

std::string apop_digest(std::string_view timestamp, std::string_view secret) {
  std::string input;
  input.reserve(timestamp.size() + secret.size());
  input.append(timestamp).append(secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_md5(), nullptr);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

protocol::protocol(protocol_options o) : opts_(o), parser_(o.limits) {}

void protocol::reset(protocol_options o) {
  opts_ = o;
  state_ = pop3::state::disconnected;
  parser_ = response_parser(o.limits);
  caps_ = {};
  caps_asked_ = false;
  tls_active_ = false;
  greeting_.clear();
  timestamp_.clear();
  last_reply_ = {};
  marked_.clear();
}

void protocol::set_greeting(std::string text) {
  timestamp_ = apop_timestamp(text);
  greeting_ = std::move(text);
}

std::size_t protocol::window() const noexcept {
  if (caps_.known && caps_.pipelining) return std::max<std::size_t>(1, opts_.pipeline_window);
  return 1;
}

}  // namespace mailproto::pop3
