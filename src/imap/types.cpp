// Argument builders, result decoders and the modified UTF-7 mailbox codec (types.hpp).
#include <mailproto/imap/types.hpp>

#include <algorithm>
#include <charconv>

namespace mailproto::imap {
namespace {

char up(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? char(c - 32) : c;
}
bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (up(a[i]) != up(b[i])) return false;
  return true;
}
std::string upper(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = up(c);
  return o;
}

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  std::uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (e != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

void fail(std::error_code& ec) {
  if (!ec) ec = errc::bad_response;
}

// nstring = string / nil (atoms tolerated: some servers send bare words)
std::optional<std::string> nstring(const value& v, std::error_code& ec) {
  if (v.is_nil()) return std::nullopt;
  if (v.is_astring()) return v.text;
  fail(ec);
  return std::nullopt;
}

std::uint64_t number(const value& v, std::error_code& ec) {
  if (auto n = v.number()) return *n;
  fail(ec);
  return 0;
}

std::uint32_t number32(const value& v, std::error_code& ec) {
  auto n = v.number();
  if (!n || *n > UINT32_MAX) {
    fail(ec);
    return 0;
  }
  return static_cast<std::uint32_t>(*n);
}

// body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
std::vector<std::pair<std::string, std::string>> params(const value& v, std::error_code& ec) {
  std::vector<std::pair<std::string, std::string>> out;
  if (v.is_nil()) return out;
  if (!v.is_list() || v.list.size() % 2 != 0) {
    fail(ec);
    return out;
  }
  for (std::size_t i = 0; i + 1 < v.list.size(); i += 2) {
    auto k = nstring(v.list[i], ec);
    auto val = nstring(v.list[i + 1], ec);
    out.emplace_back(k.value_or(""), val.value_or(""));
  }
  return out;
}

std::vector<address> addresses(const value& v, std::error_code& ec) {
  std::vector<address> out;
  if (v.is_nil()) return out;
  if (!v.is_list()) {
    fail(ec);
    return out;
  }
  for (const auto& a : v.list) {
    if (!a.is_list() || a.list.size() != 4) {
      fail(ec);
      return out;
    }
    address ad;
    ad.name = nstring(a.list[0], ec);
    ad.adl = nstring(a.list[1], ec);
    ad.mailbox = nstring(a.list[2], ec);
    ad.host = nstring(a.list[3], ec);
    out.push_back(std::move(ad));
  }
  return out;
}

// body-ext-1part / body-ext-mpart tail: [dsp [lang [loc *extension]]] from index i.
void body_ext_tail(const std::vector<value>& f, std::size_t i, body_structure& b,
                   std::error_code& ec) {
  if (i < f.size()) {  // body-fld-dsp = "(" string SP body-fld-param ")" / nil
    const value& d = f[i];
    if (d.is_list() && d.list.size() == 2) {
      b.disposition = nstring(d.list[0], ec);
      b.disposition_params = params(d.list[1], ec);
    } else if (!d.is_nil()) {
      fail(ec);
    }
  }
  if (++i < f.size()) {  // body-fld-lang = nstring / "(" string *(SP string) ")"
    const value& l = f[i];
    if (l.is_list()) {
      for (const auto& x : l.list)
        if (auto s = nstring(x, ec)) b.language.push_back(*s);
    } else if (auto s = nstring(l, ec)) {
      b.language.push_back(*s);
    }
  }
  if (++i < f.size()) b.location = nstring(f[i], ec);
  for (++i; i < f.size(); ++i) b.extensions.push_back(f[i]);
}

body_structure decode_body_depth(const value& v, std::error_code& ec, int depth) {
  body_structure b;
  if (!v.is_list() || v.list.empty() || depth > 100) {
    fail(ec);
    return b;
  }
  const auto& f = v.list;
  if (f[0].is_list()) {  // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    std::size_t i = 0;
    while (i < f.size() && f[i].is_list()) {
      b.parts.push_back(decode_body_depth(f[i], ec, depth + 1));
      if (ec) return b;
      ++i;
    }
    b.type = "MULTIPART";
    if (i >= f.size()) {
      fail(ec);
      return b;
    }
    b.subtype = nstring(f[i], ec).value_or("");
    if (++i < f.size()) b.params = params(f[i], ec);
    body_ext_tail(f, i + 1, b, ec);
    return b;
  }
  // body-type-1part: type subtype params id desc enc octets ...
  if (f.size() < 7) {
    fail(ec);
    return b;
  }
  b.type = nstring(f[0], ec).value_or("");
  b.subtype = nstring(f[1], ec).value_or("");
  b.params = params(f[2], ec);
  b.id = nstring(f[3], ec);
  b.description = nstring(f[4], ec);
  b.encoding = nstring(f[5], ec).value_or("");
  b.size = number(f[6], ec);
  std::size_t i = 7;
  if ((ieq(b.type, "MESSAGE") && (ieq(b.subtype, "RFC822") || ieq(b.subtype, "GLOBAL"))) &&
      f.size() >= 10 && f[7].is_list() && f[8].is_list()) {
    // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
    b.envelope = decode_envelope(f[7], ec);
    b.parts.push_back(decode_body_depth(f[8], ec, depth + 1));
    b.lines = number(f[9], ec);
    i = 10;
  } else if (ieq(b.type, "TEXT")) {
    if (f.size() < 8) {
      fail(ec);
      return b;
    }
    b.lines = number(f[7], ec);
    i = 8;
  }
  if (i < f.size()) b.md5 = nstring(f[i], ec);  // body-ext-1part
  body_ext_tail(f, i + 1, b, ec);
  return b;
}

void utf8_append(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// Next code point of UTF-8 `s` at `i`; false on invalid (overlong, surrogate, > 10FFFF).
bool utf8_next(std::string_view s, std::size_t& i, std::uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  int n;
  if (c < 0x80) {
    cp = c;
    n = 0;
  } else if ((c & 0xE0) == 0xC0) {
    cp = c & 0x1F;
    n = 1;
  } else if ((c & 0xF0) == 0xE0) {
    cp = c & 0x0F;
    n = 2;
  } else if ((c & 0xF8) == 0xF0) {
    cp = c & 0x07;
    n = 3;
  } else {
    return false;
  }
  for (int k = 1; k <= n; ++k) {
    if (i + static_cast<std::size_t>(k) >= s.size()) return false;
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (d & 0x3F);
  }
  static constexpr std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += n + 1;
  return true;
}

constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

}  // namespace

// ------------------------------------------------------------------ sequence_set

sequence_set sequence_set::single(std::uint32_t n) {
  sequence_set s;
  s.add(n);
  return s;
}
sequence_set sequence_set::range(std::uint32_t a, std::uint32_t b) {
  sequence_set s;
  s.add(a, b);
  return s;
}
sequence_set sequence_set::all() {
  return range(1, 0);
}
sequence_set sequence_set::of(std::vector<std::uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  sequence_set s;
  for (std::size_t i = 0; i < numbers.size();) {
    std::size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    s.add(numbers[i], numbers[j]);
    i = j + 1;
  }
  return s;
}
sequence_set& sequence_set::add(std::uint32_t a, std::uint32_t b) {
  ranges_.emplace_back(a, b);
  return *this;
}
std::optional<sequence_set> sequence_set::parse(std::string_view text) {
  // sequence-set = (seq-number / seq-range) ["," sequence-set]; seq-number = nz-number / "*"
  sequence_set s;
  if (text.empty()) return std::nullopt;
  auto num = [](std::string_view t) -> std::optional<std::uint32_t> {
    if (t == "*") return 0u;
    auto n = parse_u32(t);
    if (!n || *n == 0 || t[0] == '0') return std::nullopt;
    return n;
  };
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;
    const std::size_t colon = part.find(':');
    auto a = num(part.substr(0, colon));
    if (!a) return std::nullopt;
    if (colon == std::string_view::npos) {
      s.add(*a);
    } else {
      auto b = num(part.substr(colon + 1));
      if (!b) return std::nullopt;
      s.add(*a, *b);
    }
  }
  return s;
}
std::string sequence_set::to_string() const {
  std::string out;
  auto put = [&out](std::uint32_t n) { out += n == 0 ? std::string("*") : std::to_string(n); };
  for (const auto& [a, b] : ranges_) {
    if (!out.empty()) out += ',';
    put(a);
    if (a != b) {
      out += ':';
      put(b);
    }
  }
  return out;
}
bool sequence_set::contains(std::uint32_t n, std::uint32_t largest) const noexcept {
  const std::uint32_t star = largest ? largest : UINT32_MAX;  // "*" unknown: unbounded
  for (auto [a, b] : ranges_) {
    if (a == 0) a = star;
    if (b == 0) b = star;
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}
std::vector<std::uint32_t> sequence_set::expand(std::uint32_t largest, std::size_t max) const {
  std::vector<std::uint32_t> out;
  const std::uint32_t star = largest ? largest : UINT32_MAX;
  for (auto [a, b] : ranges_) {
    if (a == 0) a = star;
    if (b == 0) b = star;
    if (a > b) std::swap(a, b);
    for (std::uint64_t n = a; n <= b && out.size() < max; ++n)
      out.push_back(static_cast<std::uint32_t>(n));
  }
  return out;
}

// ------------------------------------------------------------------ fetch_items / search_key

fetch_items& fetch_items::body_section(std::string_view section, bool peek,
                                       std::optional<std::pair<std::uint64_t, std::uint64_t>> p) {
  std::string s = peek ? "BODY.PEEK[" : "BODY[";
  s += section;
  s += ']';
  if (p) s += '<' + std::to_string(p->first) + '.' + std::to_string(p->second) + '>';
  items_.push_back(std::move(s));
  return *this;
}
fetch_items& fetch_items::binary(std::string_view part, bool peek) {
  std::string s = peek ? "BINARY.PEEK[" : "BINARY[";
  s += part;
  s += ']';
  items_.push_back(std::move(s));
  return *this;
}
fetch_items& fetch_items::add(std::string_view item) {
  items_.emplace_back(item);
  return *this;
}

search_key search_key::atom(std::string_view a) {
  search_key k;
  k.tokens_.push_back({token::kind::atom, std::string(a)});
  return k;
}
search_key& search_key::arg(std::string_view s) {
  tokens_.push_back({token::kind::string, std::string(s)});
  return *this;
}
search_key& search_key::arg_atom(std::string_view s) {
  tokens_.push_back({token::kind::atom, std::string(s)});
  return *this;
}
search_key& search_key::and_(const search_key& k) {
  tokens_.insert(tokens_.end(), k.tokens_.begin(), k.tokens_.end());
  return *this;
}
search_key search_key::not_(const search_key& k) {
  search_key r = atom("NOT");
  r.tokens_.push_back({token::kind::open, {}});
  r.tokens_.insert(r.tokens_.end(), k.tokens_.begin(), k.tokens_.end());
  r.tokens_.push_back({token::kind::close, {}});
  return r;
}
search_key search_key::or_(const search_key& a, const search_key& b) {
  search_key r = atom("OR");
  for (const auto* k : {&a, &b}) {
    r.tokens_.push_back({token::kind::open, {}});
    r.tokens_.insert(r.tokens_.end(), k->tokens_.begin(), k->tokens_.end());
    r.tokens_.push_back({token::kind::close, {}});
  }
  return r;
}

// ------------------------------------------------------------------ small results

bool capabilities::has(std::string_view name) const noexcept {
  for (const auto& n : names)
    if (ieq(n, name)) return true;
  return false;
}
std::vector<std::string> capabilities::auth_mechanisms() const {
  std::vector<std::string> out;
  for (const auto& n : names)
    if (n.size() > 5 && ieq(std::string_view(n).substr(0, 5), "AUTH=")) out.push_back(n.substr(5));
  return out;
}
bool list_entry::has_attribute(std::string_view a) const noexcept {
  for (const auto& x : attributes)
    if (ieq(x, a)) return true;
  return false;
}
std::string address::email() const {
  if (!mailbox || !host) return {};
  return *mailbox + "@" + *host;
}
bool body_structure::is_multipart() const noexcept {
  return ieq(type, "MULTIPART");
}
std::string fetch_message::section(std::string_view name) const {
  for (const auto& [k, v] : sections)
    if (ieq(k, name)) return v.value_or("");
  return {};
}

// ------------------------------------------------------------------ modified UTF-7

std::string encode_mailbox_utf7(std::string_view utf8, std::error_code& ec) {
  // RFC 3501 §5.1.3: printable US-ASCII except "&" stands for itself, "&" is "&-", anything
  // else is UTF-16BE in modified BASE64 ("," for "/", no padding) between "&" and "-".
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c <= 0x7e) {
      out += c == '&' ? std::string("&-") : std::string(1, char(c));
      ++i;
      continue;
    }
    std::vector<std::uint8_t> u16;
    while (i < utf8.size()) {
      const auto d = static_cast<unsigned char>(utf8[i]);
      if (d >= 0x20 && d <= 0x7e) break;
      std::uint32_t cp;
      if (!utf8_next(utf8, i, cp)) {
        ec = errc::invalid_argument;
        return {};
      }
      if (cp >= 0x10000) {
        const std::uint32_t v = cp - 0x10000;
        const std::uint32_t hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
        u16.insert(u16.end(), {std::uint8_t(hi >> 8), std::uint8_t(hi), std::uint8_t(lo >> 8),
                               std::uint8_t(lo)});
      } else {
        u16.insert(u16.end(), {std::uint8_t(cp >> 8), std::uint8_t(cp)});
      }
    }
    out += '&';
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto b : u16) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += b64[(acc >> bits) & 0x3F];
      }
    }
    if (bits > 0) out += b64[(acc << (6 - bits)) & 0x3F];
    out += '-';
  }
  return out;
}

std::string decode_mailbox_utf7(std::string_view name, std::error_code& ec) {
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    const char c = name[i];
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    const std::size_t dash = name.find('-', i + 1);
    if (dash == std::string_view::npos) {
      ec = errc::bad_response;
      return std::string(name);
    }
    if (dash == i + 1) {
      out += '&';
      i = dash + 1;
      continue;
    }
    std::uint32_t acc = 0;
    int bits = 0;
    std::vector<std::uint16_t> u16;
    for (std::size_t k = i + 1; k < dash; ++k) {
      const char* p = std::char_traits<char>::find(b64, 64, name[k]);
      if (!p) {
        ec = errc::bad_response;
        return std::string(name);
      }
      acc = (acc << 6) | std::uint32_t(p - b64);
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        u16.push_back(std::uint16_t(acc >> bits));
        acc &= (1u << bits) - 1;
      }
    }
    if (bits >= 6 || acc != 0) {  // leftover bits must be zero padding
      ec = errc::bad_response;
      return std::string(name);
    }
    for (std::size_t k = 0; k < u16.size(); ++k) {
      std::uint32_t cp = u16[k];
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (k + 1 >= u16.size() || u16[k + 1] < 0xDC00 || u16[k + 1] > 0xDFFF) {
          ec = errc::bad_response;
          return std::string(name);
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (u16[k + 1] - 0xDC00);
        ++k;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        ec = errc::bad_response;
        return std::string(name);
      }
      utf8_append(out, cp);
    }
    i = dash + 1;
  }
  return out;
}

// ------------------------------------------------------------------ decoders

capabilities decode_capability(const std::vector<value>& names) {
  capabilities c;
  for (const auto& v : names)
    if (v.is_astring()) c.names.push_back(v.text);
  return c;
}

std::vector<std::string> decode_flags(const value& v, std::error_code& ec) {
  std::vector<std::string> out;
  if (!v.is_list()) {
    fail(ec);
    return out;
  }
  for (const auto& f : v.list) {
    if (f.is_atom())
      out.push_back(f.text);
    else
      fail(ec);
  }
  return out;
}

static std::string decode_name(const value& v, bool utf8, std::error_code& ec) {
  if (v.is_nil()) return "NIL";  // mailbox = astring: the atom NIL names a mailbox "NIL"
  if (!v.is_astring()) {
    fail(ec);
    return {};
  }
  if (utf8) return v.text;
  std::error_code dec;
  std::string s = decode_mailbox_utf7(v.text, dec);
  return s;  // a name that is not valid modified UTF-7 is shown as sent
}

list_entry decode_list(const response& r, bool utf8, std::error_code& ec) {
  // mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
  //                [SP mbox-list-extended]          (RFC 9051 §9)
  list_entry e;
  if (r.args.size() < 3) {
    fail(ec);
    return e;
  }
  e.attributes = decode_flags(r.args[0], ec);
  if (r.args[1].is_astring())
    e.delimiter = r.args[1].text;
  else if (!r.args[1].is_nil())
    fail(ec);
  e.raw_name = r.args[2].text;
  // INBOX is case-insensitive (RFC 9051 §5.1).
  e.name = ieq(e.raw_name, "INBOX") ? std::string("INBOX") : decode_name(r.args[2], utf8, ec);
  return e;
}

status_info decode_status(const response& r, bool utf8, std::error_code& ec) {
  // mailbox-data =/ "STATUS" SP mailbox SP "(" [status-att-list] ")"
  status_info s;
  if (r.args.size() < 2 || !r.args[1].is_list() || r.args[1].list.size() % 2) {
    fail(ec);
    return s;
  }
  s.mailbox = decode_name(r.args[0], utf8, ec);
  const auto& l = r.args[1].list;
  for (std::size_t i = 0; i + 1 < l.size(); i += 2) {
    const auto& k = l[i];
    const auto& v = l[i + 1];
    if (k.atom_is("MESSAGES"))
      s.messages = number32(v, ec);
    else if (k.atom_is("UIDNEXT"))
      s.uidnext = number32(v, ec);
    else if (k.atom_is("UIDVALIDITY"))
      s.uidvalidity = number32(v, ec);
    else if (k.atom_is("UNSEEN"))
      s.unseen = number32(v, ec);
    else if (k.atom_is("RECENT"))
      s.recent = number32(v, ec);
    else if (k.atom_is("DELETED"))
      s.deleted = number(v, ec);
    else if (k.atom_is("SIZE"))
      s.size = number(v, ec);
    else if (k.atom_is("HIGHESTMODSEQ"))
      s.highestmodseq = number(v, ec);
  }
  return s;
}

envelope decode_envelope(const value& v, std::error_code& ec) {
  envelope e;
  if (!v.is_list() || v.list.size() < 10) {
    fail(ec);
    return e;
  }
  const auto& f = v.list;
  e.date = nstring(f[0], ec);
  e.subject = nstring(f[1], ec);
  e.from = addresses(f[2], ec);
  e.sender = addresses(f[3], ec);
  e.reply_to = addresses(f[4], ec);
  e.to = addresses(f[5], ec);
  e.cc = addresses(f[6], ec);
  e.bcc = addresses(f[7], ec);
  e.in_reply_to = nstring(f[8], ec);
  e.message_id = nstring(f[9], ec);
  return e;
}

body_structure decode_body(const value& v, std::error_code& ec) {
  return decode_body_depth(v, ec, 0);
}

fetch_message decode_fetch(const response& r, std::error_code& ec) {
  // message-data = nz-number SP "FETCH" SP msg-att ; msg-att = "(" att SP value ... ")"
  fetch_message m;
  if (!r.number || *r.number > UINT32_MAX || r.args.size() != 1 || !r.args[0].is_list()) {
    fail(ec);
    return m;
  }
  m.seq = static_cast<std::uint32_t>(*r.number);
  // Tolerated server quirks (MailKit's corpus): Domino wraps items in extra parentheses,
  // "UID 5 (ENVELOPE (...))", so a list where an item name belongs is spliced in; Yandex
  // sends a last item without its value, "BODY[2] )", which is read as NIL.
  static const value nil_value = [] {
    value v;
    v.type = value::kind::nil;
    return v;
  }();
  std::vector<const value*> l;
  for (const auto& v : r.args[0].list) {
    if (l.size() % 2 == 0 && v.is_list()) {
      for (const auto& x : v.list) l.push_back(&x);
    } else {
      l.push_back(&v);
    }
  }
  if (l.size() % 2) l.push_back(&nil_value);
  for (std::size_t i = 0; i + 1 < l.size(); i += 2) {
    const value& k = *l[i];
    const value& v = *l[i + 1];
    if (!k.is_atom()) {
      fail(ec);
      return m;
    }
    const std::string& name = k.text;
    if (ieq(name, "UID")) {
      m.uid = number32(v, ec);
    } else if (ieq(name, "FLAGS")) {
      m.flags = decode_flags(v, ec);
    } else if (ieq(name, "INTERNALDATE")) {
      m.internal_date = nstring(v, ec);
    } else if (ieq(name, "RFC822.SIZE")) {
      m.size = number(v, ec);
    } else if (ieq(name, "ENVELOPE")) {
      m.envelope = decode_envelope(v, ec);
    } else if (ieq(name, "BODYSTRUCTURE") || ieq(name, "BODY")) {
      m.body = decode_body(v, ec);
    } else if (ieq(name, "MODSEQ")) {  // "MODSEQ" SP "(" mod-sequence-value ")"
      if (v.is_list() && v.list.size() == 1 && v.list[0].is_atom() && v.list[0].text.size() > 1 &&
          v.list[0].text[0] == '-')
        m.modseq = 0;  // Zoho sends MODSEQ (-1): no valid mod-sequence, read as 0
      else if (v.is_list() && v.list.size() == 1)
        m.modseq = number(v.list[0], ec);
      else
        fail(ec);
    } else if (name.find('[') != std::string::npos &&
               (ieq(name.substr(0, 5), "BODY[") || ieq(name.substr(0, 7), "BINARY[") ||
                ieq(name.substr(0, 7), "RFC822") || ieq(name.substr(0, 11), "BODY.PEEK["))) {
      if (v.type == value::kind::streamed)
        m.streamed.push_back(name);
      else
        m.sections[name] = nstring(v, ec);
    } else if (ieq(name, "RFC822") || ieq(name, "RFC822.HEADER") || ieq(name, "RFC822.TEXT")) {
      if (v.type == value::kind::streamed)
        m.streamed.push_back(name);
      else
        m.sections[upper(name)] = nstring(v, ec);
    } else {
      m.other.emplace_back(name, v);
    }
    if (ec) return m;
  }
  return m;
}

void decode_search(const response& r, search_result& out, std::error_code& ec) {
  if (r.name == "SEARCH") {
    // mailbox-data =/ "SEARCH" *(SP nz-number) [SP "(" "MODSEQ" SP mod-sequence-value ")"]
    for (const auto& v : r.args) {
      if (v.is_list()) {
        if (v.list.size() == 2 && v.list[0].atom_is("MODSEQ"))
          out.modseq = number(v.list[1], ec);
        else
          fail(ec);
        continue;
      }
      out.ids.push_back(number32(v, ec));
    }
    return;
  }
  // esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
  std::size_t i = 0;
  if (i < r.args.size() && r.args[i].is_list()) ++i;  // (TAG "a1")
  if (i < r.args.size() && r.args[i].atom_is("UID")) {
    out.uid = true;
    ++i;
  }
  for (; i + 1 < r.args.size(); i += 2) {
    const value& k = r.args[i];
    const value& v = r.args[i + 1];
    if (k.atom_is("MIN")) {
      out.min = number32(v, ec);
    } else if (k.atom_is("MAX")) {
      out.max = number32(v, ec);
    } else if (k.atom_is("COUNT")) {
      out.count = number32(v, ec);
    } else if (k.atom_is("MODSEQ")) {
      out.modseq = number(v, ec);
    } else if (k.atom_is("ALL")) {
      auto s = v.is_atom() ? sequence_set::parse(v.text) : std::nullopt;
      if (!s) {
        fail(ec);
        return;
      }
      auto ids = s->expand(0, 16u << 20);
      out.ids.insert(out.ids.end(), ids.begin(), ids.end());
    }
  }
  if (i < r.args.size()) fail(ec);
}

namespace_info decode_namespace(const response& r, std::error_code& ec) {
  // Namespace = nil / "(" 1*Namespace-Descr ")" ; Namespace-Descr = "(" string SP
  //             (DQUOTE QUOTED-CHAR DQUOTE / nil) [Namespace-Response-Extensions] ")"
  namespace_info n;
  if (r.args.size() < 3) {
    fail(ec);
    return n;
  }
  std::vector<namespace_info::entry>* dst[] = {&n.personal, &n.other_users, &n.shared};
  for (int k = 0; k < 3; ++k) {
    const value& v = r.args[k];
    if (v.is_nil()) continue;
    if (!v.is_list()) {
      fail(ec);
      return n;
    }
    for (const auto& d : v.list) {
      if (!d.is_list() || d.list.size() < 2) {
        fail(ec);
        return n;
      }
      dst[k]->push_back({nstring(d.list[0], ec).value_or(""), nstring(d.list[1], ec).value_or("")});
    }
  }
  return n;
}

id_fields decode_id(const response& r, std::error_code& ec) {
  id_fields out;
  if (r.args.empty() || r.args[0].is_nil()) return out;
  if (!r.args[0].is_list() || r.args[0].list.size() % 2) {
    fail(ec);
    return out;
  }
  const auto& l = r.args[0].list;
  for (std::size_t i = 0; i + 1 < l.size(); i += 2)
    out.emplace_back(nstring(l[i], ec).value_or(""), nstring(l[i + 1], ec));
  return out;
}

sequence_set decode_vanished(const response& r, bool& earlier, std::error_code& ec) {
  earlier = false;
  std::size_t i = 0;
  if (i < r.args.size() && r.args[i].is_list()) {
    earlier = r.args[i].list.size() == 1 && r.args[i].list[0].atom_is("EARLIER");
    ++i;
  }
  if (i + 1 != r.args.size() || !r.args[i].is_atom()) {
    fail(ec);
    return {};
  }
  auto s = sequence_set::parse(r.args[i].text);
  if (!s) {
    fail(ec);
    return {};
  }
  return *s;
}

}  // namespace mailproto::imap
