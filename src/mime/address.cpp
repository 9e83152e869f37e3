// RFC 5322 §3.4 addresses (with the obsolete syntax of §4.4 and RFC 6532 UTF-8).
#include <mailproto/mime/address.hpp>
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>

#include <cstdint>

namespace mailproto::mime {
namespace {

// RFC 5322 §3.2.3 atext; octets >= 0x80 are UTF-8 (RFC 6532 §3.2).
bool is_atext(unsigned char c) noexcept {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(char(c)) != std::string_view::npos;
}

bool is_ascii(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

bool has_unsafe(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// A printable excerpt of the input for error messages (controls escaped, bounded).
std::string excerpt(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 120)) {
    if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  if (s.size() > 120) out += "...";
  // Trim surrounding whitespace for readability.
  const auto b = out.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return out.substr(b, out.find_last_not_of(" \t") - b + 1);
}

enum class tok {
  atom,     // atext run (may be an RFC 2047 encoded word)
  quoted,   // quoted-string, value unquoted
  literal,  // domain-literal, value with brackets
  special,  // one of < > @ , ; : .
  end,
};

struct token {
  tok kind;
  std::string value;
  std::size_t offset;   // where the token starts in the input
  bool space_before;    // CFWS precedes it
  std::string comment;  // text of the last comment just before it (for "a@b (Name)")
};

class parser {
 public:
  parser(std::string_view in, const address_limits& lim, std::string* err)
      : in_(in), lim_(lim), err_(err) {}

  bool lex(std::error_code& ec) {
    std::size_t i = 0;
    bool space = false;
    std::string comment;
    std::size_t last_comma = 0;
    // Lexical errors name the address that holds them: from the last comma on.
    auto fail = [&](std::size_t, const char* why) {
      return error(ec, errc::bad_address, last_comma, why);
    };
    while (i < in_.size()) {
      const unsigned char c = in_[i];
      if (c == ' ' || c == '\t') {
        space = true;
        ++i;
      } else if (c == '\r' || c == '\n') {
        // Only a fold (CRLF, or a bare LF, followed by WSP) is allowed (RFC 5322 §3.2.2).
        std::size_t j = i;
        if (in_[j] == '\r') ++j;
        if (j < in_.size() && in_[j] == '\n') ++j;
        if (j == i + 1 && c == '\r') return fail(i, "bare CR");
        if (j >= in_.size() || (in_[j] != ' ' && in_[j] != '\t'))
          return fail(i, "line break that is not a fold");
        space = true;
        i = j;
      } else if (c == '(') {
        std::size_t depth = 0;
        std::string text;
        for (;; ++i) {
          if (i >= in_.size()) return fail(i, "unbalanced '(' in comment");
          const unsigned char d = in_[i];
          if (d == 0 || ((d == '\r' || d == '\n') && !fold_at(i)))
            return fail(i, "control character in comment");
          if (d == '\\') {
            if (++i >= in_.size()) return fail(i, "unbalanced '(' in comment");
            text += in_[i];
            continue;
          }
          if (d == '(') {
            if (++depth > lim_.max_comment_depth)
              return error(ec, errc::limit_exceeded, last_comma, "comments nested too deeply");
            if (depth > 1) text += '(';
          } else if (d == ')') {
            if (--depth == 0) {
              ++i;
              break;
            }
            text += ')';
          } else if (d != '\r' && d != '\n') {
            text += char(d);
          }
        }
        comment = std::move(text);
        space = true;
      } else if (c == '"') {
        const std::size_t start = i++;
        std::string v;
        for (;; ++i) {
          if (i >= in_.size()) return fail(start, "unbalanced '\"'");
          const unsigned char d = in_[i];
          if (d == '"') {
            ++i;
            break;
          }
          if (d == 0) return fail(i, "NUL in quoted string");
          if (d == '\r' || d == '\n') {
            if (!fold_at(i)) return fail(i, "line break in quoted string");
            continue;  // unfolding removes the CRLF, keeps the WSP
          }
          if (d == '\\') {
            if (++i >= in_.size()) return fail(start, "unbalanced '\"'");
            if (in_[i] == 0 || in_[i] == '\r' || in_[i] == '\n')
              return fail(i, "control character in quoted string");
          }
          v += in_[i];
        }
        push(tok::quoted, std::move(v), start, space, comment);
      } else if (c == '[') {
        const std::size_t start = i;
        std::string v = "[";
        for (++i;; ++i) {
          if (i >= in_.size()) return fail(start, "unbalanced '['");
          const unsigned char d = in_[i];
          if (d == ']') {
            v += ']';
            ++i;
            break;
          }
          if (d == '[' || d == '\\' || d == 0 || d == '\r' || d == '\n')
            return fail(i, "bad character in domain literal");
          if (d != ' ' && d != '\t') v += char(d);
        }
        push(tok::literal, std::move(v), start, space, comment);
      } else if (std::string_view("<>@,;:.").find(char(c)) != std::string_view::npos) {
        if (c == ',') last_comma = i + 1;
        push(tok::special, std::string(1, char(c)), i, space, comment);
        ++i;
      } else if (is_atext(c)) {
        const std::size_t start = i;
        while (i < in_.size() && is_atext(static_cast<unsigned char>(in_[i]))) ++i;
        push(tok::atom, std::string(in_.substr(start, i - start)), start, space, comment);
      } else if (c == ']' || c == ')') {
        return fail(i, c == ']' ? "unbalanced ']'" : "unbalanced ')'");
      } else {
        return fail(i, c == 0 ? "NUL character" : "control or invalid character");
      }
    }
    push(tok::end, {}, in_.size(), space, comment);
    return true;
  }

  std::vector<address> list(std::error_code& ec) {
    std::vector<address> out;
    std::size_t count = 0;
    for (;;) {
      while (is(",")) ++pos_;  // empty list elements (RFC 5322 §4.4 obs-addr-list)
      if (peek().kind == tok::end) break;
      start_ = peek().offset;
      auto a = one_address(ec);
      if (ec) return {};
      if (++count > lim_.max_count) {
        error(ec, errc::limit_exceeded, start_, "too many addresses");
        return {};
      }
      out.push_back(std::move(*a));
      if (peek().kind == tok::end) break;
      if (!is(",")) {
        error(ec, errc::bad_address, start_, "expected ',' between addresses");
        return {};
      }
    }
    return out;
  }

  std::optional<mailbox> single(std::error_code& ec) {
    start_ = peek().offset;
    if (peek().kind == tok::end) {
      error(ec, errc::bad_address, 0, "empty address");
      return std::nullopt;
    }
    auto a = one_address(ec);
    if (ec) return std::nullopt;
    if (peek().kind != tok::end || !std::holds_alternative<mailbox>(*a)) {
      error(ec, errc::bad_address, start_, "expected exactly one mailbox");
      return std::nullopt;
    }
    return std::get<mailbox>(std::move(*a));
  }

 private:
  bool fold_at(std::size_t i) const {
    std::size_t j = i;
    if (j < in_.size() && in_[j] == '\r') ++j;
    if (j < in_.size() && in_[j] == '\n')
      ++j;
    else
      return false;
    return j < in_.size() && (in_[j] == ' ' || in_[j] == '\t');
  }

  void push(tok k, std::string v, std::size_t off, bool& space, std::string& comment) {
    toks_.push_back(token{k, std::move(v), off, space, std::move(comment)});
    space = false;
    comment.clear();
  }

  bool error(std::error_code& ec, errc e, std::size_t from, const char* why) {
    ec = e;
    if (err_) {
      // Name the address: the input from `from` up to the next top-level comma or the end.
      std::string_view rest = in_.substr(std::min(from, in_.size()));
      std::size_t cut = rest.size();
      bool q = false;
      for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] == '\\')
          ++i;
        else if (rest[i] == '"')
          q = !q;
        else if (rest[i] == ',' && !q && i > 0) {
          cut = i;
          break;
        }
      }
      *err_ = "bad address \"" + excerpt(rest.substr(0, cut)) + "\": " + why;
    }
    return false;
  }

  const token& peek(std::size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  bool is(std::string_view special) const {
    return peek().kind == tok::special && peek().value == special;
  }
  bool accept(std::string_view special) {
    if (!is(special)) return false;
    ++pos_;
    return true;
  }

  // phrase = 1*word / obs-phrase (words and '.'); returns the decoded display name.
  std::string phrase() {
    std::string raw;
    bool any_encoded = false;
    bool first = true;
    while (peek().kind == tok::atom || peek().kind == tok::quoted || is(".")) {
      const token& t = peek();
      if (!first && t.space_before) raw += ' ';
      if (t.kind == tok::atom && t.value.size() > 4 && t.value.starts_with("=?") &&
          t.value.ends_with("?="))
        any_encoded = true;
      raw += t.value;
      first = false;
      ++pos_;
    }
    // RFC 2047 §5 rule 3: encoded words may appear in a phrase. Many clients also put them
    // inside quoted strings; they are decoded too, as Python and Thunderbird do.
    if (any_encoded || raw.find("=?") != std::string::npos) raw = rfc2047_decode(raw);
    return raw;
  }

  // Scan words separated by '.', as a local part (RFC 5322 §3.4.1 and obs-local-part).
  bool local_part(std::string& out) {
    bool want_word = true;
    std::size_t n = 0;
    while (true) {
      const token& t = peek();
      if (want_word && (t.kind == tok::atom || t.kind == tok::quoted)) {
        out += t.value;
        want_word = false;
      } else if (!want_word && is(".")) {
        out += '.';
        want_word = true;
      } else {
        break;
      }
      ++pos_;
      ++n;
    }
    return n > 0 && !want_word;
  }

  bool domain(std::string& out) {
    if (peek().kind == tok::literal) {
      out = peek().value;
      ++pos_;
      return true;
    }
    bool want_atom = true;
    while (true) {
      const token& t = peek();
      if (want_atom && t.kind == tok::atom) {
        out += t.value;
        want_atom = false;
      } else if (!want_atom && is(".")) {
        out += '.';
        want_atom = true;
      } else {
        break;
      }
      ++pos_;
    }
    return !out.empty() && !want_atom;
  }

  // addr-spec after the local part has been read: "@" domain.
  bool addr_spec_rest(mailbox& m, std::error_code& ec) {
    if (!accept("@")) return error(ec, errc::bad_address, start_, "missing '@'");
    if (!domain(m.domain)) return error(ec, errc::bad_address, start_, "bad or missing domain");
    return true;
  }

  // angle-addr = "<" [obs-route] addr-spec ">"
  bool angle_addr(mailbox& m, std::error_code& ec) {
    ++pos_;  // '<'
    if (is("@")) {
      // obs-route = obs-domain-list ":" ; the route is dropped (RFC 5322 §4.4).
      while (accept("@") || accept(",")) {
        std::string ignored;
        if (is("@") || is(",")) continue;
        if (!domain(ignored)) return error(ec, errc::bad_address, start_, "bad source route");
      }
      if (!accept(":")) return error(ec, errc::bad_address, start_, "bad source route");
    }
    if (!local_part(m.local)) return error(ec, errc::bad_address, start_, "bad local part");
    if (!addr_spec_rest(m, ec)) return false;
    if (!accept(">")) return error(ec, errc::bad_address, start_, "missing '>'");
    return true;
  }

  // mailbox / group, after leading empty elements were skipped.
  std::optional<address> one_address(std::error_code& ec) {
    const std::size_t save = pos_;
    std::string name = phrase();
    if (is("<")) {
      mailbox m;
      m.name = std::move(name);
      if (!angle_addr(m, ec)) return std::nullopt;
      return m;
    }
    if (is(":") && pos_ != save) {
      ++pos_;
      group g;
      g.name = std::move(name);
      for (;;) {
        while (accept(",")) {
        }
        if (accept(";")) break;
        if (peek().kind == tok::end) {
          error(ec, errc::bad_address, start_, "group without ';'");
          return std::nullopt;
        }
        auto mb = mailbox_in_group(ec);
        if (!mb) return std::nullopt;
        g.members.push_back(std::move(*mb));
        if (accept(";")) break;
        if (!accept(",")) {
          error(ec, errc::bad_address, start_, "expected ',' or ';' in group");
          return std::nullopt;
        }
      }
      return g;
    }
    // Not a name-addr nor a group: an addr-spec. Re-read from the start as a local part.
    pos_ = save;
    return plain_addr_spec(ec);
  }

  std::optional<mailbox> plain_addr_spec(std::error_code& ec) {
    mailbox m;
    if (!local_part(m.local)) {
      error(ec, errc::bad_address, start_,
            peek().kind == tok::end ? "empty address" : "unexpected character");
      return std::nullopt;
    }
    if (!addr_spec_rest(m, ec)) return std::nullopt;
    // Old style "addr (Display Name)": the comment after the address gives the name.
    const token& after = peek();
    if (!after.comment.empty()) m.name = rfc2047_decode(after.comment);
    return m;
  }

  std::optional<mailbox> mailbox_in_group(std::error_code& ec) {
    const std::size_t save = pos_;
    std::string name = phrase();
    if (is("<")) {
      mailbox m;
      m.name = std::move(name);
      if (!angle_addr(m, ec)) return std::nullopt;
      return m;
    }
    pos_ = save;
    return plain_addr_spec(ec);
  }

  std::string_view in_;
  const address_limits& lim_;
  std::string* err_;
  std::vector<token> toks_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
};

bool check_length(std::string_view value, const address_limits& lim, std::error_code& ec,
                  std::string* err) {
  if (value.size() <= lim.max_length) return true;
  ec = errc::limit_exceeded;
  if (err) *err = "address list longer than " + std::to_string(lim.max_length) + " octets";
  return false;
}

// RFC 5322 §3.2.4 quoted-string for a display name or local part.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// A display name that can be written as a phrase of atoms: atext words separated by single
// spaces, nothing that a decoder could take for an encoded word.
bool is_atom_phrase(std::string_view s, bool allow_utf8 = false) noexcept {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  if (s.find("=?") != std::string_view::npos || s.find("  ") != std::string_view::npos)
    return false;
  for (unsigned char c : s)
    if (c != ' ' && (!is_atext(c) || (c >= 0x80 && !allow_utf8))) return false;
  return true;
}

bool is_valid_domain(std::string_view d) noexcept {
  if (d.size() >= 2 && d.front() == '[' && d.back() == ']') {
    for (unsigned char c : d.substr(1, d.size() - 2))
      if (c <= 0x20 || c == '[' || c == ']' || c == '\\' || c == 0x7f) return false;
    return true;
  }
  return is_dot_atom(d);
}

}  // namespace

bool is_dot_atom(std::string_view s) noexcept {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!is_atext(c)) {
      return false;
    }
    prev = ch;
  }
  return true;
}

std::string mailbox::addr_spec() const {
  // RFC 5322 §3.4.1: the local part is a dot-atom or a quoted-string.
  std::string out = is_dot_atom(local) ? local : quote(local);
  out += '@';
  out += domain;
  return out;
}

bool needs_smtputf8(const mailbox& m) noexcept {
  return !is_ascii(m.local) || !is_ascii(m.domain);
}

std::vector<address> parse_address_list(std::string_view value, std::error_code& ec,
                                        std::string* error_text, const address_limits& limits) {
  ec.clear();
  if (!check_length(value, limits, ec, error_text)) return {};
  parser p(value, limits, error_text);
  if (!p.lex(ec)) return {};
  return p.list(ec);
}

std::optional<mailbox> parse_mailbox(std::string_view value, std::error_code& ec,
                                     std::string* error_text, const address_limits& limits) {
  ec.clear();
  if (!check_length(value, limits, ec, error_text)) return std::nullopt;
  parser p(value, limits, error_text);
  if (!p.lex(ec)) return std::nullopt;
  return p.single(ec);
}

std::vector<mailbox> flatten(const std::vector<address>& list) {
  std::vector<mailbox> out;
  for (const auto& a : list) {
    if (const auto* m = std::get_if<mailbox>(&a)) {
      out.push_back(*m);
    } else {
      const auto& g = std::get<group>(a);
      out.insert(out.end(), g.members.begin(), g.members.end());
    }
  }
  return out;
}

namespace {

std::string format_phrase(std::string_view name, bool smtputf8, std::error_code& ec) {
  // Printable text only (RFC 5322 §3.2.4 qtext, quoted-pair for '"' and '\').
  for (unsigned char c : name)
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      ec = errc::bad_address;
      return {};
    }
  if (!is_valid_utf8(name)) {
    ec = errc::bad_address;
    return {};
  }
  const bool looks_encoded = name.find("=?") != std::string_view::npos;
  if (!looks_encoded && (is_ascii(name) || smtputf8))  // RFC 6532 §3.2: UTF-8 allowed raw
    return is_atom_phrase(name, smtputf8) ? std::string(name) : quote(name);
  // RFC 2047 §5 rule 3, unfolded (the header writer folds at the spaces between words).
  // Text that merely looks like an encoded word is encoded too, so it reads back as is.
  // Outer white space is not significant in a phrase and would be lost: trimmed.
  const auto b = name.find_first_not_of(" \t");
  if (b == std::string_view::npos) return quote(name);
  name = name.substr(b, name.find_last_not_of(" \t") - b + 1);
  std::string enc = rfc2047_encode(name, word_context::phrase, 0);
  std::string flat;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '\r' && i + 1 < enc.size() && enc[i + 1] == '\n') {
      ++i;
      continue;
    }
    flat += enc[i];
  }
  return flat;
}

}  // namespace

std::string format(const mailbox& m, bool smtputf8, std::error_code& ec) {
  ec.clear();
  if (has_unsafe(m.name) || has_unsafe(m.local) || has_unsafe(m.domain) || m.local.empty() ||
      m.domain.empty() || !is_valid_domain(m.domain) || !is_valid_utf8(m.local) ||
      !is_valid_utf8(m.domain)) {
    ec = errc::bad_address;
    return {};
  }
  for (unsigned char c : m.local)
    if (c < 0x20 || c == 0x7f) {
      ec = errc::bad_address;
      return {};
    }
  if (!smtputf8 && needs_smtputf8(m)) {
    ec = errc::bad_address;
    return {};
  }
  if (m.name.empty()) return m.addr_spec();
  std::string out = format_phrase(m.name, smtputf8, ec);
  if (ec) return {};
  out += " <";
  out += m.addr_spec();
  out += '>';
  return out;
}

std::string format(const group& g, bool smtputf8, std::error_code& ec) {
  ec.clear();
  if (g.name.empty() || has_unsafe(g.name)) {
    ec = errc::bad_address;
    return {};
  }
  std::string out = format_phrase(g.name, smtputf8, ec);
  if (ec) return {};
  out += ':';
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    out += i ? ", " : " ";
    out += format(g.members[i], smtputf8, ec);
    if (ec) return {};
  }
  out += ';';
  return out;
}

std::string format_list(const std::vector<address>& list, bool smtputf8, std::error_code& ec,
                        std::size_t header_name_length) {
  ec.clear();
  std::string out;
  std::size_t column = header_name_length;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string one = std::visit([&](const auto& a) { return format(a, smtputf8, ec); }, list[i]);
    if (ec) return {};
    if (i > 0) {
      out += ',';
      ++column;
      if (column + 1 + one.size() > 78) {
        out += "\r\n";
        column = 0;
      }
      out += ' ';
      ++column;
    }
    out += one;
    column += one.size();
  }
  return out;
}

}  // namespace mailproto::mime
