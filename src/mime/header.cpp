// Header fields: unfolding, decoding and the structured values (RFC 5322, RFC 2045, RFC 2231).
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>
#include <mailproto/mime/header.hpp>

#include <algorithm>
#include <cstring>

namespace mailproto::mime {
namespace {

constexpr bool is_wsp(char c) noexcept {
  return c == ' ' || c == '\t';
}
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
}
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = lower(c);
  return r;
}

// RFC 5322 §2.2.3: unfolding removes each CRLF (or bare LF) immediately followed by WSP.
std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    if (c == '\n') continue;
    out.push_back(c);
  }
  return std::string(trim(out));
}

// Skip CFWS (RFC 5322 §3.2.2): whitespace and nested comments (bounded depth).
void skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      int depth = 0;
      while (i < s.size()) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
          i += 2;
          continue;
        }
        ++i;
        if (c == '(') {
          if (++depth > 64) depth = 64;
        } else if (c == ')') {
          if (--depth == 0) break;
        }
      }
    } else {
      break;
    }
  }
}

// RFC 2045 §5.1 tspecials, and the token characters.
inline bool is_tspecial(char c) noexcept {
  return c && std::strchr("()<>@,;:\\\"/[]?=", c);
}
inline bool is_token_char(char c) noexcept {
  return static_cast<unsigned char>(c) > 32 && c != 127 && !is_tspecial(c);
}

std::string read_quoted(std::string_view s, std::size_t& i) {
  // s[i] == '"'
  std::string out;
  ++i;
  while (i < s.size()) {
    char c = s[i++];
    if (c == '"') return out;
    if (c == '\\' && i < s.size()) {
      out.push_back(s[i++]);
      continue;
    }
    if (c == '\r' || c == '\n') continue;  // folded quoted string
    out.push_back(c);
  }
  return out;  // unterminated: lenient, take the rest
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string header_field::value() const {
  return unfold(raw_value);
}

std::string header_field::decoded() const {
  std::string v = unfold(raw_value);
  if (v.find("=?") != std::string::npos) v = rfc2047_decode(v);
  if (!is_valid_utf8(v)) {
    std::error_code ec;
    v = to_utf8(v, "utf-8", ec);
  }
  return v;
}

bool header_field::is(std::string_view n) const noexcept {
  return iequals(name, n);
}

// ------------------------------------------------------------------ parameters

const std::string* find_parameter(const parameter_list& params, std::string_view name) noexcept {
  for (const auto& p : params)
    if (iequals(p.first, name)) return &p.second;
  return nullptr;
}

parameter_list parse_parameters(std::string_view s) {
  rfc2231_decoder dec;
  std::size_t i = 0;
  std::size_t guard = 0;
  while (i < s.size() && ++guard < 10000) {
    skip_cfws(s, i);
    if (i < s.size() && s[i] == ';') {
      ++i;
      continue;
    }
    if (i >= s.size()) break;
    // attribute
    std::size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';' && !is_space(s[i]) && s[i] != '(' &&
           s[i] != '"')
      ++i;
    std::string_view name = s.substr(name_start, i - name_start);
    skip_cfws(s, i);
    if (i >= s.size() || s[i] != '=') {
      // no value: skip to the next ';'
      while (i < s.size() && s[i] != ';') ++i;
      continue;
    }
    ++i;  // '='
    skip_cfws(s, i);
    std::string value;
    if (i < s.size() && s[i] == '"') {
      value = read_quoted(s, i);
    } else {
      // token; lenient: up to ';' with trailing whitespace removed (unquoted values with
      // spaces are common in the wild)
      std::size_t v0 = i;
      while (i < s.size() && s[i] != ';') {
        if (s[i] == '(' || s[i] == '"') {
          // a comment or a stray quote after the token ends it
          if (i > v0 && is_space(s[i - 1])) break;
        }
        // a fold ends the value; so does whitespace before "name=" (a missing ';')
        if (s[i] == '\r' || s[i] == '\n') break;
        if (is_wsp(s[i])) {
          std::size_t j = i;
          while (j < s.size() && is_wsp(s[j])) ++j;
          std::size_t k = j;
          while (k < s.size() && (is_token_char(s[k]) || s[k] == '*') && s[k] != '=') ++k;
          if (k > j && k < s.size() && s[k] == '=') break;
        }
        ++i;
      }
      std::string_view v = trim(s.substr(v0, i - v0));
      value.assign(v);
    }
    if (!name.empty()) dec.add(name, value);
  }
  return dec.result();
}

bool parse_media_type(std::string_view value, media_type& out) {
  std::size_t i = 0;
  skip_cfws(value, i);
  std::size_t t0 = i;
  while (i < value.size() && is_token_char(value[i])) ++i;
  std::string_view type = value.substr(t0, i - t0);
  skip_cfws(value, i);
  if (type.empty() || i >= value.size() || value[i] != '/') return false;
  ++i;
  skip_cfws(value, i);
  std::size_t s0 = i;
  while (i < value.size() && is_token_char(value[i])) ++i;
  std::string_view sub = value.substr(s0, i - s0);
  if (sub.empty()) return false;
  out.type = to_lower(type);
  out.subtype = to_lower(sub);
  out.params = parse_parameters(value.substr(i));
  return true;
}

bool parse_content_disposition(std::string_view value, content_disposition& out) {
  std::size_t i = 0;
  skip_cfws(value, i);
  std::size_t t0 = i;
  while (i < value.size() && is_token_char(value[i])) ++i;
  if (i == t0) return false;
  out.type = to_lower(value.substr(t0, i - t0));
  out.params = parse_parameters(value.substr(i));
  return true;
}

// ------------------------------------------------------------------ dates

namespace {

int month_index(std::string_view w) noexcept {
  static const char* const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                      "jul", "aug", "sep", "oct", "nov", "dec"};
  if (w.size() < 3) return 0;
  for (int m = 0; m < 12; ++m)
    if (lower(w[0]) == names[m][0] && lower(w[1]) == names[m][1] && lower(w[2]) == names[m][2])
      return m + 1;
  return 0;
}

bool is_weekday(std::string_view w) noexcept {
  static const char* const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  if (w.size() < 3) return false;
  for (auto* n : names)
    if (lower(w[0]) == n[0] && lower(w[1]) == n[1] && lower(w[2]) == n[2]) return true;
  return false;
}

// RFC 5322 §4.3 obs-zone.
std::optional<int> named_zone(std::string_view z) noexcept {
  struct zone {
    const char* name;
    int minutes;
  };
  static const zone zones[] = {{"ut", 0},     {"utc", 0},    {"gmt", 0},    {"z", 0},
                               {"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
                               {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420}};
  for (const auto& e : zones)
    if (iequals(z, e.name)) return e.minutes;
  // POSIX-style "EST5EDT": the leading zone name counts
  std::size_t n = 0;
  while (n < z.size() && is_alpha(z[n])) ++n;
  if (n >= 2 && n < z.size())
    for (const auto& e : zones)
      if (iequals(z.substr(0, n), e.name)) return e.minutes;
  if (z.size() == 1 && is_alpha(z[0])) return 0;  // military zones: treat as +0000
  return std::nullopt;
}

// Tokens of a date: runs of alphanumerics, ':', '+', '-', '.'; separators are CFWS and ','.
std::vector<std::string_view> date_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < 32) {
    skip_cfws(s, i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    std::size_t t0 = i;
    while (i < s.size() && !is_space(s[i]) && s[i] != ',' && s[i] != '(') ++i;
    if (i > t0)
      out.push_back(s.substr(t0, i - t0));
    else if (i < s.size() && s[i] != '(' && !is_space(s[i]) && s[i] != ',')
      ++i;
  }
  return out;
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

int to_int(std::string_view s) noexcept {
  int v = 0;
  for (char c : s) {
    if (!is_digit(c)) break;
    v = v * 10 + (c - '0');
    if (v > 100000) break;
  }
  return v;
}

bool parse_time(std::string_view t, date_time& d) noexcept {
  // hh:mm[:ss]
  std::size_t c1 = t.find(':');
  if (c1 == std::string_view::npos) return false;
  std::size_t c2 = t.find(':', c1 + 1);
  std::string_view h = t.substr(0, c1);
  std::string_view m = t.substr(c1 + 1, c2 == std::string_view::npos ? t.npos : c2 - c1 - 1);
  std::string_view s = c2 == std::string_view::npos ? std::string_view{} : t.substr(c2 + 1);
  if (!all_digits(h) || !all_digits(m) || (!s.empty() && !all_digits(s))) return false;
  d.hour = to_int(h);
  d.minute = to_int(m);
  d.second = s.empty() ? 0 : to_int(s);
  return d.hour < 24 && d.minute < 60 && d.second <= 60;
}

int fix_year(std::string_view y) noexcept {
  int v = to_int(y);
  // RFC 5322 §4.3: two digits: 00-49 -> 2000+, 50-99 -> 1900+; three digits: +1900.
  if (y.size() <= 2) return v < 50 ? 2000 + v : 1900 + v;
  if (y.size() == 3) return 1900 + v;
  return v;
}

bool parse_zone(std::string_view z, date_time& d) noexcept {
  if ((z[0] == '+' || z[0] == '-') && z.size() >= 5 && all_digits(z.substr(1, 4))) {
    int hh = to_int(z.substr(1, 2));
    int mm = to_int(z.substr(3, 2));
    int off = hh * 60 + mm;
    d.utc_offset_minutes = z[0] == '-' ? -off : off;
    return true;
  }
  if (auto n = named_zone(z)) {
    d.utc_offset_minutes = *n;
    return true;
  }
  return false;
}

}  // namespace

std::int64_t date_time::to_unix() const noexcept {
  // days_from_civil (proleptic Gregorian).
  int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(month + (month > 2 ? -3 : 9));
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second -
         static_cast<std::int64_t>(utc_offset_minutes) * 60;
}

static std::optional<date_time> parse_date_tokens(std::string_view value);

std::optional<date_time> parse_date(std::string_view value) {
  if (auto d = parse_date_tokens(value)) return d;
  // a date after the last ';' (a whole Received value was given)
  std::size_t semi = value.rfind(';');
  if (semi != std::string_view::npos) return parse_date_tokens(value.substr(semi + 1));
  return std::nullopt;
}

static std::optional<date_time> parse_date_tokens(std::string_view value) {
  auto toks = date_tokens(value);
  std::size_t i = 0;
  date_time d;
  if (i < toks.size() && is_weekday(toks[i]) && !all_digits(toks[i])) {
    // "Mon" or "Monday"; a following month name means the asctime form
    ++i;
  }
  if (i >= toks.size()) return std::nullopt;
  if (month_index(toks[i]) && !all_digits(toks[i])) {
    // asctime: Mon Jan  2 15:04:05 [zone] 2006
    d.month = month_index(toks[i++]);
    if (i >= toks.size() || !all_digits(toks[i])) return std::nullopt;
    d.day = to_int(toks[i++]);
    if (i >= toks.size() || !parse_time(toks[i++], d)) return std::nullopt;
    while (i < toks.size() && !all_digits(toks[i])) parse_zone(toks[i++], d);
    if (i >= toks.size()) return std::nullopt;
    d.year = fix_year(toks[i++]);
    if (i < toks.size()) parse_zone(toks[i], d);
  } else {
    // day month year time zone; tolerate "1-Jan-2003" style separators
    std::string_view day = toks[i];
    if (!all_digits(day)) {
      // "01-Jan-2003"
      auto p1 = day.find('-');
      auto p2 = p1 == day.npos ? day.npos : day.find('-', p1 + 1);
      if (p2 == day.npos) return std::nullopt;
      if (!all_digits(day.substr(0, p1))) return std::nullopt;
      d.day = to_int(day.substr(0, p1));
      d.month = month_index(day.substr(p1 + 1, p2 - p1 - 1));
      d.year = fix_year(day.substr(p2 + 1));
      ++i;
    } else {
      d.day = to_int(day);
      ++i;
      if (i >= toks.size()) return std::nullopt;
      // a numeric month ("20 11 79") is accepted too
      d.month = all_digits(toks[i]) ? to_int(toks[i]) : month_index(toks[i]);
      ++i;
      if (i >= toks.size() || !all_digits(toks[i])) return std::nullopt;
      d.year = fix_year(toks[i++]);
    }
    if (d.month == 0) return std::nullopt;
    if (i < toks.size()) {
      std::string_view t = toks[i];
      // a stray "at" or similar is skipped
      if (t.find(':') == t.npos && i + 1 < toks.size()) t = toks[++i];
      if (parse_time(t, d)) ++i;
    }
    if (i < toks.size()) parse_zone(toks[i], d);
  }
  if (d.day < 1 || d.day > 31 || d.month < 1 || d.month > 12) return std::nullopt;
  return d;
}

// ------------------------------------------------------------------ ids, received

std::vector<std::string> parse_message_ids(std::string_view value) {
  std::vector<std::string> out;
  std::size_t i = 0;
  bool any_bracket = false;
  while (i < value.size() && out.size() < 10000) {
    skip_cfws(value, i);
    if (i >= value.size()) break;
    if (value[i] == '<') {
      any_bracket = true;
      std::size_t e = value.find('>', i + 1);
      if (e == value.npos) {
        std::string_view id = trim(value.substr(i + 1));
        if (!id.empty()) out.emplace_back(id);
        break;
      }
      std::string id;
      for (char c : value.substr(i + 1, e - i - 1))
        if (!is_space(c)) id.push_back(c);
      if (!id.empty()) out.push_back(std::move(id));
      i = e + 1;
    } else if (value[i] == '"') {
      read_quoted(value, i);
    } else {
      ++i;
    }
  }
  if (!any_bracket) {
    std::string_view t = trim(value);
    if (!t.empty()) out.emplace_back(t.substr(0, t.find_first_of(" \t\r\n")));
  }
  return out;
}

received_info parse_received(std::string_view value) {
  received_info r;
  std::size_t semi = value.rfind(';');
  std::string_view clauses = semi == value.npos ? value : value.substr(0, semi);
  if (semi != value.npos) r.date = parse_date(value.substr(semi + 1));
  std::size_t i = 0;
  while (i < clauses.size()) {
    skip_cfws(clauses, i);
    std::size_t k0 = i;
    while (i < clauses.size() && !is_space(clauses[i]) && clauses[i] != '(') ++i;
    std::string_view key = clauses.substr(k0, i - k0);
    if (key.empty()) {
      if (i < clauses.size()) ++i;
      continue;
    }
    std::string* slot = nullptr;
    if (iequals(key, "from"))
      slot = &r.from;
    else if (iequals(key, "by"))
      slot = &r.by;
    else if (iequals(key, "via"))
      slot = &r.via;
    else if (iequals(key, "with"))
      slot = &r.with;
    else if (iequals(key, "id"))
      slot = &r.id;
    else if (iequals(key, "for"))
      slot = &r.for_;
    if (!slot) continue;
    skip_cfws(clauses, i);
    std::size_t v0 = i;
    while (i < clauses.size() && !is_space(clauses[i]) && clauses[i] != '(') ++i;
    if (slot->empty()) slot->assign(clauses.substr(v0, i - v0));
  }
  if (r.for_.size() > 2 && r.for_.front() == '<' && r.for_.back() == '>')
    r.for_ = r.for_.substr(1, r.for_.size() - 2);
  return r;
}

// ------------------------------------------------------------------ header_list

const header_field* header_list::find(std::string_view name) const noexcept {
  for (const auto& f : fields_)
    if (f.is(name)) return &f;
  return nullptr;
}

std::vector<const header_field*> header_list::find_all(std::string_view name) const {
  std::vector<const header_field*> out;
  for (const auto& f : fields_)
    if (f.is(name)) out.push_back(&f);
  return out;
}

std::size_t header_list::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const auto& f : fields_) n += f.is(name) ? 1 : 0;
  return n;
}

std::optional<std::string> header_list::get(std::string_view name) const {
  if (const auto* f = find(name)) return f->decoded();
  return std::nullopt;
}

std::vector<address> header_list::addresses(std::string_view name, std::error_code& ec) const {
  ec.clear();
  std::vector<address> out;
  for (const auto& f : fields_) {
    if (!f.is(name)) continue;
    std::error_code e;
    auto list = parse_address_list(f.raw_value, e);
    if (e && !ec) ec = e;
    for (auto& a : list) out.push_back(std::move(a));
  }
  return out;
}

std::optional<date_time> header_list::date(std::string_view name) const {
  if (const auto* f = find(name)) return parse_date(f->raw_value);
  return std::nullopt;
}

std::vector<std::string> header_list::message_ids(std::string_view name) const {
  if (const auto* f = find(name)) return parse_message_ids(f->raw_value);
  return {};
}

std::vector<received_info> header_list::received() const {
  std::vector<received_info> out;
  for (const auto& f : fields_)
    if (f.is("Received")) out.push_back(parse_received(f.raw_value));
  return out;
}

}  // namespace mailproto::mime
