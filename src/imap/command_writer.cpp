// IMAP command writer; the theory of operation is in include/mailproto/imap/command_writer.hpp.
#include <mailproto/imap/command_writer.hpp>
#include <mailproto/net/errc.hpp>
#include <mailproto/net/line_buffer.hpp>

#include <array>

namespace mailproto::imap {
namespace {

// ATOM-CHAR = <any CHAR except atom-specials>; atom-specials = "(" / ")" / "{" / SP / CTL /
// list-wildcards / quoted-specials / resp-specials   (RFC 9051 §9)
constexpr std::array<bool, 256> make_atom_char() {
  std::array<bool, 256> t{};
  for (int c = 0x21; c < 0x7f; ++c) t[c] = true;
  for (unsigned char c : {'(', ')', '{', '%', '*', '"', '\\', ']'}) t[c] = false;
  return t;
}
constexpr auto atom_char = make_atom_char();

bool is_astring_atom(std::string_view s) noexcept {  // 1*ASTRING-CHAR (ATOM-CHAR / "]")
  if (s.empty()) return false;
  for (char c : s)
    if (!atom_char[static_cast<unsigned char>(c)] && c != ']') return false;
  return true;
}

bool has_8bit(std::string_view s) noexcept {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

constexpr std::size_t max_quoted = 1024;  // longer strings go as literals

}  // namespace

bool is_atom(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!atom_char[static_cast<unsigned char>(c)]) return false;
  return true;
}

command_writer::command_writer(literal_mode mode, bool utf8) : mode_(mode), utf8_(utf8) {}

command_writer& command_writer::begin(std::string_view tag, std::string_view name) {
  parts_.clear();
  parts_.emplace_back();
  ec_.clear();
  need_sp_ = false;
  if (!is_atom(tag) || tag.find('+') != std::string_view::npos) set_error(errc::invalid_argument);
  cur().bytes.append(tag);
  need_sp_ = true;
  return raw(name);
}

void command_writer::space() {
  if (need_sp_) cur().bytes += ' ';
  need_sp_ = true;
}

command_writer& command_writer::atom(std::string_view a) {
  if (!net::is_safe_wire_value(a)) set_error(net::errc::unsafe_argument);
  if (!is_atom(a)) set_error(errc::invalid_argument);
  space();
  cur().bytes.append(a);
  return *this;
}

command_writer& command_writer::number(std::uint64_t n) {
  space();
  cur().bytes += std::to_string(n);
  return *this;
}

command_writer& command_writer::raw(std::string_view s) {
  if (!net::is_safe_wire_value(s)) set_error(net::errc::unsafe_argument);
  space();
  cur().bytes.append(s);
  return *this;
}

command_writer& command_writer::open_list() {
  space();
  cur().bytes += '(';
  need_sp_ = false;
  return *this;
}

command_writer& command_writer::close_list() {
  cur().bytes += ')';
  need_sp_ = true;
  return *this;
}

void command_writer::put_literal(std::string_view s, bool secret) {
  if (s.find('\0') != std::string_view::npos) {  // literal = ... *CHAR8 (CHAR8 excludes NUL)
    set_error(net::errc::unsafe_argument);
    return;
  }
  space();
  const bool nonsync =
      mode_ == literal_mode::plus || (mode_ == literal_mode::minus && s.size() <= 4096);
  cur().bytes += '{' + std::to_string(s.size()) + (nonsync ? "+}\r\n" : "}\r\n");
  if (!nonsync) {
    cur().wait_continuation = true;
    parts_.emplace_back();
  }
  if (secret && !s.empty()) cur().secrets.push_back({cur().bytes.size(), s.size()});
  cur().bytes.append(s);
}

void command_writer::put_string(std::string_view s, bool secret) {
  if (!net::is_safe_wire_value(s)) {
    set_error(net::errc::unsafe_argument);
    return;
  }
  if (s.size() > max_quoted || (!utf8_ && has_8bit(s))) return put_literal(s, secret);
  space();
  std::string& b = cur().bytes;
  b += '"';
  const std::size_t start = b.size();
  for (char c : s) {  // QUOTED-CHAR: "\" quoted-specials
    if (c == '"' || c == '\\') b += '\\';
    b += c;
  }
  if (secret && !s.empty()) cur().secrets.push_back({start, b.size() - start});
  b += '"';
}

command_writer& command_writer::astring(std::string_view s) {
  if (is_astring_atom(s) &&
      !(s.size() == 3 && (s[0] | 32) == 'n' && (s[1] | 32) == 'i' && (s[2] | 32) == 'l')) {
    space();
    cur().bytes.append(s);
    return *this;
  }
  put_string(s, false);
  return *this;
}

command_writer& command_writer::astring_secret(std::string_view s) {
  if (is_astring_atom(s)) {
    space();
    cur().secrets.push_back({cur().bytes.size(), s.size()});
    cur().bytes.append(s);
    return *this;
  }
  put_string(s, true);
  return *this;
}

command_writer& command_writer::string(std::string_view s) {
  put_string(s, false);
  return *this;
}

command_writer& command_writer::nstring(const std::optional<std::string>& s) {
  if (!s) return raw("NIL");
  return string(*s);
}

command_writer& command_writer::quoted(std::string_view s) {
  if (!net::is_safe_wire_value(s)) {
    set_error(net::errc::unsafe_argument);
    return *this;
  }
  if (!utf8_ && has_8bit(s)) set_error(errc::invalid_argument);
  space();
  std::string& b = cur().bytes;
  b += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') b += '\\';
    b += c;
  }
  b += '"';
  return *this;
}

command_writer& command_writer::literal(std::string_view s) {
  put_literal(s, false);
  return *this;
}

command_writer& command_writer::literal_header(std::uint64_t n, bool binary) {
  space();
  const bool nonsync = mode_ == literal_mode::plus || (mode_ == literal_mode::minus && n <= 4096);
  cur().bytes += (binary ? "~{" : "{") + std::to_string(n) + (nonsync ? "+}\r\n" : "}\r\n");
  cur().wait_continuation = !nonsync;
  parts_.emplace_back();
  return *this;
}

command_writer& command_writer::mailbox(std::string_view name) {
  if (!net::is_safe_wire_value(name)) {
    set_error(net::errc::unsafe_argument);
    return *this;
  }
  if (name.empty()) return quoted("");
  // RFC 9051 §5.1: INBOX is case-insensitive; send it as the atom.
  if (name.size() == 5) {
    std::string u(name);
    for (auto& c : u) c = static_cast<char>((c >= 'a' && c <= 'z') ? c - 32 : c);
    if (u == "INBOX") return atom("INBOX");
  }
  if (utf8_) return astring(name);
  std::error_code ec;
  std::string enc = encode_mailbox_utf7(name, ec);
  if (ec) {
    set_error(ec);
    return *this;
  }
  return astring(enc);
}

command_writer& command_writer::list_pattern(std::string_view p) {
  // list-mailbox = 1*list-char / string ; list-char = ATOM-CHAR / list-wildcards / resp-specials
  if (!net::is_safe_wire_value(p)) {
    set_error(net::errc::unsafe_argument);
    return *this;
  }
  std::string enc(p);
  if (!utf8_) {
    std::error_code ec;
    enc = encode_mailbox_utf7(p, ec);
    if (ec) {
      set_error(ec);
      return *this;
    }
  }
  bool plain = !enc.empty();
  for (char c : enc)
    if (!atom_char[static_cast<unsigned char>(c)] && c != '%' && c != '*' && c != ']')
      plain = false;
  if (plain) return raw(enc);
  put_string(enc, false);
  return *this;
}

command_writer& command_writer::sequence(const sequence_set& s) {
  if (s.empty()) {
    set_error(errc::invalid_argument);
    return *this;
  }
  return raw(s.to_string());
}

command_writer& command_writer::flag_list(const std::vector<std::string>& flags) {
  open_list();
  for (const auto& f : flags) {
    // flag = "\Answered" / ... / keyword / flag-extension ; flag-extension = "\" atom
    std::string_view v = f;
    if (!v.empty() && v.front() == '\\') v.remove_prefix(1);
    if (!net::is_safe_wire_value(f)) set_error(net::errc::unsafe_argument);
    if (!is_atom(v)) set_error(errc::invalid_argument);
    space();
    cur().bytes.append(f);
  }
  return close_list();
}

command_writer& command_writer::fetch_atts(const fetch_items& items) {
  if (items.empty()) {
    set_error(errc::invalid_argument);
    return *this;
  }
  const bool many = items.items().size() > 1;
  if (many) open_list();
  for (const auto& it : items.items()) {
    // fetch-att: an atom, optionally with "[section]" and "<partial>"
    const std::size_t br = it.find('[');
    if (!is_atom(std::string_view(it).substr(0, br))) set_error(errc::invalid_argument);
    raw(it);
  }
  if (many) close_list();
  return *this;
}

command_writer& command_writer::search(const search_key& key) {
  if (key.tokens().empty()) set_error(errc::invalid_argument);
  for (const auto& t : key.tokens()) {
    switch (t.type) {
      case search_key::token::kind::atom:
        if (!net::is_safe_wire_value(t.text)) set_error(net::errc::unsafe_argument);
        // a sequence set or a date is not an atom in the strict sense (':' ',' '*' '-')
        if (t.text.empty() || t.text.find_first_of(" (){\"\\") != std::string::npos)
          set_error(errc::invalid_argument);
        raw(t.text);
        break;
      case search_key::token::kind::string:
        put_string(t.text, false);
        break;
      case search_key::token::kind::open:
        open_list();
        break;
      case search_key::token::kind::close:
        close_list();
        break;
    }
  }
  return *this;
}

command_writer& command_writer::date_time(std::string_view dt) {
  // "17-Jul-1996 02:44:25 -0700" (26 characters; the day may be " 7")
  bool ok = dt.size() == 26 && dt[2] == '-' && dt[6] == '-' && dt[11] == ' ' && dt[14] == ':' &&
            dt[17] == ':' && dt[20] == ' ' && (dt[21] == '+' || dt[21] == '-');
  if (!ok) {
    set_error(errc::invalid_argument);
    return *this;
  }
  return quoted(dt);
}

std::error_code command_writer::finish() {
  cur().bytes += "\r\n";
  need_sp_ = false;
  return ec_;
}

std::string command_writer::str() const {
  std::string out;
  for (const auto& p : parts_) out += p.bytes;
  return out;
}

}  // namespace mailproto::imap
