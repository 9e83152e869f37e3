// Argument builders, result decoders and the modified UTF-7 mailbox codec (types.hpp).
#include <mailproto/imap/types.hpp>

#include "imap/copy_short.hpp"

#include <algorithm>
#include <charconv>

namespace mailproto::imap {
namespace {

inline char up(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? char(c - 32) : c;
}
inline bool ieq(std::string_view a, std::string_view b) noexcept {
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

// Overwrites a decoded field with a value's text, reusing the field's buffer.
inline void set_text(std::string& s, const std::string& t) {
  detail::set_text(s, t.data(), t.size());
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

// The *_into decoders below fill an existing result and reuse the capacity its strings
// and vectors already have, so a stream of FETCH responses decoded into one fetch_message
// does not allocate per field (decode_fetch(r, out, ec)).

// nstring into an optional string, keeping its buffer when it holds one.
void nstring_into(std::optional<std::string>& out, const value& v, std::error_code& ec) {
  if (v.is_astring()) {
    if (out)
      set_text(*out, v.text);
    else
      out.emplace(v.text);
    return;
  }
  if (!v.is_nil()) fail(ec);
  out.reset();
}

// nstring where a missing value reads as "" (type, subtype, encoding).
void string_into(std::string& out, const value& v, std::error_code& ec) {
  if (v.is_astring()) {
    set_text(out, v.text);
    return;
  }
  if (!v.is_nil()) fail(ec);
  out.clear();
}

void params_into(std::vector<std::pair<std::string, std::string>>& out, const value& v,
                 std::error_code& ec) {
  if (v.is_nil()) {
    out.clear();
    return;
  }
  if (!v.is_list() || v.list.size() % 2 != 0) {
    fail(ec);
    out.clear();
    return;
  }
  out.resize(v.list.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    string_into(out[i].first, v.list[2 * i], ec);
    string_into(out[i].second, v.list[2 * i + 1], ec);
  }
}

void addresses_into(std::vector<address>& out, const value& v, std::error_code& ec) {
  if (v.is_nil()) {
    out.clear();
    return;
  }
  if (!v.is_list()) {
    fail(ec);
    out.clear();
    return;
  }
  out.resize(v.list.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const value& a = v.list[i];
    if (!a.is_list() || a.list.size() != 4) {
      fail(ec);
      out.resize(i);
      return;
    }
    nstring_into(out[i].name, a.list[0], ec);
    nstring_into(out[i].adl, a.list[1], ec);
    nstring_into(out[i].mailbox, a.list[2], ec);
    nstring_into(out[i].host, a.list[3], ec);
  }
}

void envelope_into(envelope& e, const value& v, std::error_code& ec) {
  if (!v.is_list() || v.list.size() < 10) {
    fail(ec);
    e = envelope{};
    return;
  }
  const auto& f = v.list;
  nstring_into(e.date, f[0], ec);
  nstring_into(e.subject, f[1], ec);
  addresses_into(e.from, f[2], ec);
  addresses_into(e.sender, f[3], ec);
  addresses_into(e.reply_to, f[4], ec);
  addresses_into(e.to, f[5], ec);
  addresses_into(e.cc, f[6], ec);
  addresses_into(e.bcc, f[7], ec);
  nstring_into(e.in_reply_to, f[8], ec);
  nstring_into(e.message_id, f[9], ec);
}

void flags_into(std::vector<std::string>& out, const value& v, std::error_code& ec) {
  if (!v.is_list()) {
    fail(ec);
    out.clear();
    return;
  }
  std::size_t n = 0;
  for (const auto& f : v.list) {
    if (!f.is_atom()) {
      fail(ec);
      continue;
    }
    if (n < out.size())
      set_text(out[n], f.text);
    else
      out.push_back(f.text);
    ++n;
  }
  out.resize(n);
}

// body-ext-1part / body-ext-mpart tail: [dsp [lang [loc *extension]]] from index i.
void body_ext_tail(const std::vector<value>& f, std::size_t i, body_structure& b,
                   std::error_code& ec) {
  b.disposition.reset();
  b.disposition_params.clear();
  b.language.clear();
  b.location.reset();
  b.extensions.clear();
  if (i < f.size()) {  // body-fld-dsp = "(" string SP body-fld-param ")" / nil
    const value& d = f[i];
    if (d.is_list() && d.list.size() == 2) {
      nstring_into(b.disposition, d.list[0], ec);
      params_into(b.disposition_params, d.list[1], ec);
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
  if (++i < f.size()) nstring_into(b.location, f[i], ec);
  for (++i; i < f.size(); ++i) b.extensions.push_back(f[i]);
}

// Fills `b` (reusing what it holds) from a body / BODYSTRUCTURE value (RFC 9051 §9 body).
void body_into(body_structure& b, const value& v, std::error_code& ec, int depth) {
  if (!v.is_list() || v.list.empty() || depth > 100) {
    fail(ec);
    b = body_structure{};
    return;
  }
  const auto& f = v.list;
  b.size = 0;
  b.lines.reset();
  b.md5.reset();
  if (f[0].is_list()) {  // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    std::size_t i = 0;
    while (i < f.size() && f[i].is_list()) ++i;
    b.parts.resize(i);
    for (std::size_t k = 0; k < i; ++k) {
      body_into(b.parts[k], f[k], ec, depth + 1);
      if (ec) return;
    }
    b.type.assign("MULTIPART");
    b.id.reset();
    b.description.reset();
    b.encoding.clear();
    b.envelope.reset();
    if (i >= f.size()) {
      fail(ec);
      return;
    }
    string_into(b.subtype, f[i], ec);
    if (++i < f.size())
      params_into(b.params, f[i], ec);
    else
      b.params.clear();
    body_ext_tail(f, i + 1, b, ec);
    return;
  }
  // body-type-1part: type subtype params id desc enc octets ...
  if (f.size() < 7) {
    fail(ec);
    b = body_structure{};
    return;
  }
  string_into(b.type, f[0], ec);
  string_into(b.subtype, f[1], ec);
  params_into(b.params, f[2], ec);
  nstring_into(b.id, f[3], ec);
  nstring_into(b.description, f[4], ec);
  string_into(b.encoding, f[5], ec);
  b.size = number(f[6], ec);
  std::size_t i = 7;
  if ((ieq(b.type, "MESSAGE") && (ieq(b.subtype, "RFC822") || ieq(b.subtype, "GLOBAL"))) &&
      f.size() >= 10 && f[7].is_list() && f[8].is_list()) {
    // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
    if (!b.envelope) b.envelope.emplace();
    envelope_into(*b.envelope, f[7], ec);
    b.parts.resize(1);
    body_into(b.parts[0], f[8], ec, depth + 1);
    b.lines = number(f[9], ec);
    i = 10;
  } else {
    b.envelope.reset();
    b.parts.clear();
    if (ieq(b.type, "TEXT")) {
      if (f.size() < 8) {
        fail(ec);
        return;
      }
      b.lines = number(f[7], ec);
      i = 8;
    }
  }
  if (i < f.size()) nstring_into(b.md5, f[i], ec);  // body-ext-1part
  body_ext_tail(f, i + 1, b, ec);
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

// ------------------------------------------------------------------ command_batch

bool command_batch::entry::uses_sequence_numbers() const noexcept {
  switch (type) {
    case kind::fetch:
      return !fetch.uid;
    case kind::store:
      return !store.uid;
    case kind::search:
      return true;  // a key may name sequence numbers even in UID SEARCH (RFC 9051 §5.5)
    case kind::status:
      return false;
  }
  return true;
}

bool command_batch::entry::permits_expunge() const noexcept {
  // RFC 9051 §5.5: servers must not send EXPUNGE during FETCH, STORE or SEARCH; they may
  // during their UID forms and any other command.
  switch (type) {
    case kind::fetch:
      return fetch.uid;
    case kind::store:
      return store.uid;
    case kind::search:
      return search.uid;
    case kind::status:
      return true;
  }
  return true;
}

command_batch& command_batch::fetch(sequence_set set, fetch_items items, fetch_options o) {
  entry e;
  e.type = entry::kind::fetch;
  e.set = std::move(set);
  e.items = std::move(items);
  e.fetch = std::move(o);
  entries_.push_back(std::move(e));
  return *this;
}

command_batch& command_batch::store(sequence_set set, store_mode mode,
                                    std::vector<std::string> flags, store_options o) {
  entry e;
  e.type = entry::kind::store;
  e.set = std::move(set);
  e.mode = mode;
  e.flags = std::move(flags);
  e.store = o;
  entries_.push_back(std::move(e));
  return *this;
}

command_batch& command_batch::status(std::string mailbox, unsigned items) {
  entry e;
  e.type = entry::kind::status;
  e.mailbox = std::move(mailbox);
  e.status_items = items;
  entries_.push_back(std::move(e));
  return *this;
}

command_batch& command_batch::search(search_key key, search_options o) {
  entry e;
  e.type = entry::kind::search;
  e.key = std::move(key);
  e.search = std::move(o);
  entries_.push_back(std::move(e));
  return *this;
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
  envelope_into(e, v, ec);
  return e;
}

body_structure decode_body(const value& v, std::error_code& ec) {
  body_structure b;
  body_into(b, v, ec, 0);
  return b;
}

fetch_message decode_fetch(const response& r, std::error_code& ec) {
  fetch_message m;
  decode_fetch(r, m, ec);
  return m;
}

void decode_fetch(const response& r, fetch_message& m, std::error_code& ec) {
  // message-data = nz-number SP "FETCH" SP msg-att ; msg-att = "(" att SP value ... ")"
  m.sections.clear();
  m.streamed.clear();
  m.other.clear();
  if (!r.number || *r.number > UINT32_MAX || r.args.size() != 1 || !r.args[0].is_list()) {
    fail(ec);
    m = fetch_message{};
    return;
  }
  m.seq = static_cast<std::uint32_t>(*r.number);
  bool uid = false, flags = false, date = false, size = false, env = false, body = false,
       modseq = false;
  // Tolerated server quirks (MailKit's corpus): Domino wraps items in extra parentheses,
  // "UID 5 (ENVELOPE (...))", so a list where an item name belongs is spliced in; Yandex
  // sends a last item without its value, "BODY[2] )", which is read as NIL.
  static const value nil_value = [] {
    value v;
    v.type = value::kind::nil;
    return v;
  }();
  const value* key = nullptr;  // an item name waiting for its value
  auto item = [&](const value& k, const value& v) {
    if (!k.is_atom()) {
      fail(ec);
      return;
    }
    const std::string& name = k.text;
    if (ieq(name, "UID")) {
      m.uid = number32(v, ec);
      uid = true;
    } else if (ieq(name, "FLAGS")) {
      if (!m.flags) m.flags.emplace();
      flags_into(*m.flags, v, ec);
      flags = true;
    } else if (ieq(name, "INTERNALDATE")) {
      nstring_into(m.internal_date, v, ec);
      date = true;
    } else if (ieq(name, "RFC822.SIZE")) {
      m.size = number(v, ec);
      size = true;
    } else if (ieq(name, "ENVELOPE")) {
      if (!m.envelope) m.envelope.emplace();
      envelope_into(*m.envelope, v, ec);
      env = true;
    } else if (ieq(name, "BODYSTRUCTURE") || ieq(name, "BODY")) {
      if (!m.body) m.body.emplace();
      body_into(*m.body, v, ec, 0);
      body = true;
    } else if (ieq(name, "MODSEQ")) {  // "MODSEQ" SP "(" mod-sequence-value ")"
      if (v.is_list() && v.list.size() == 1 && v.list[0].is_atom() && v.list[0].text.size() > 1 &&
          v.list[0].text[0] == '-')
        m.modseq = 0;  // Zoho sends MODSEQ (-1): no valid mod-sequence, read as 0
      else if (v.is_list() && v.list.size() == 1)
        m.modseq = number(v.list[0], ec);
      else
        fail(ec);
      modseq = true;
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
  };
  for (const auto& v : r.args[0].list) {
    if (ec) break;
    if (!key && v.is_list()) {  // Domino: a list where an item name belongs
      for (const auto& x : v.list) {
        if (ec) break;
        if (key) {
          item(*key, x);
          key = nullptr;
        } else {
          key = &x;
        }
      }
    } else if (key) {
      item(*key, v);
      key = nullptr;
    } else {
      key = &v;
    }
  }
  if (key && !ec) item(*key, nil_value);
  if (!uid) m.uid.reset();
  if (!flags) m.flags.reset();
  if (!date) m.internal_date.reset();
  if (!size) m.size.reset();
  if (!env) m.envelope.reset();
  if (!body) m.body.reset();
  if (!modseq) m.modseq.reset();
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
      // Bounded (parsers never grow without limit): at most max_esearch_ids numbers in all
      // the ALL items of a response, counted before anything is expanded. A larger set, or
      // one with "*" (RFC 4731 §3.1 returns the matching numbers; "*" would stand for up to
      // 2^32 of them), is an error rather than a silently shortened result.
      constexpr std::uint64_t max_esearch_ids = 1u << 22;
      std::uint64_t n = out.ids.size();
      for (auto [a, b] : s->ranges()) {
        if (a == 0 || b == 0) {
          fail(ec);
          return;
        }
        n += (a > b ? a - b : b - a) + std::uint64_t{1};
      }
      if (n > max_esearch_ids) {
        fail(ec);
        return;
      }
      auto ids = s->expand(0, max_esearch_ids);
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
