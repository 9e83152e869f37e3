// IMAP response parser; the theory of operation is in include/mailproto/imap/response_parser.hpp.
#include <mailproto/imap/response_parser.hpp>

#include "imap/copy_short.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace mailproto::imap {
namespace {

constexpr char upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? char(c - 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = upper(c);
  return out;
}

// Bytes that end an atom in a data response (RFC 9051 §9: atom-specials are "(" ")" "{" SP
// CTL list-wildcards quoted-specials resp-specials). We are lenient about list-wildcards
// ("\*" is a flag) and resp-specials (handled as the section bracket), and stop only where a
// token must end.
constexpr std::array<bool, 256> make_atom_end() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t[0x7f] = true;
  t[' '] = t['('] = t[')'] = t['"'] = t['{'] = true;
  return t;
}
constexpr auto atom_end = make_atom_end();

// atom_end plus '[', where an atom's section-spec begins: the atom scan stops at either.
constexpr std::array<bool, 256> make_atom_stop() {
  std::array<bool, 256> t = make_atom_end();
  t['['] = true;
  return t;
}
constexpr auto atom_stop = make_atom_stop();

// What the first byte of a token says it is (the tokenizer's one dispatch per token).
enum class tok : unsigned char { atom, space, open, close, quote, literal, tilde };
constexpr std::array<tok, 256> make_token_start() {
  std::array<tok, 256> t{};
  t[' '] = tok::space;
  t['('] = tok::open;
  t[')'] = tok::close;
  t['"'] = tok::quote;
  t['{'] = tok::literal;
  t['~'] = tok::tilde;
  return t;
}
constexpr auto token_start = make_token_start();

using detail::set_text;

// The tokenizer's per-node helper is a lambda called from every token kind; inlining it
// keeps the open list's cursor in registers.
#if defined(__GNUC__) || defined(__clang__)
#define MAILPROTO_IMAP_INLINE __attribute__((always_inline))
#else
#define MAILPROTO_IMAP_INLINE
#endif

// The first '"' or '\\' in [p, end), or end: eight bytes at a time (SWAR: a byte equal to
// the pattern becomes zero, and the lowest zero byte is found exactly).
const char* find_quoted_stop(const char* p, const char* end) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    constexpr std::uint64_t dq = ones * '"', bs = ones * '\\';
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      const std::uint64_t a = w ^ dq, b = w ^ bs;
      const std::uint64_t hit = ((a - ones) & ~a & highs) | ((b - ones) & ~b & highs);
      if (hit) return p + (std::countr_zero(hit) >> 3);
      p += 8;
    }
  }
  while (p != end && *p != '"' && *p != '\\') ++p;
  return p;
}

// msg-att-static items whose value is message text (RFC 9051 §7.5.2, RFC 3501 §7.4.2).
bool is_body_item(std::string_view a) noexcept {
  auto starts = [a](std::string_view p) {
    return a.size() >= p.size() && iequals(a.substr(0, p.size()), p);
  };
  return starts("BODY[") || starts("BINARY[") || iequals(a, "RFC822") ||
         iequals(a, "RFC822.TEXT") || iequals(a, "RFC822.HEADER");
}

}  // namespace

std::optional<std::uint64_t> value::number() const noexcept {
  if (type != kind::atom || text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t n = 0;
  if (text.size() < 20) {  // 19 digits cannot overflow 64 bits: no check per digit
    for (char c : text) {
      const unsigned d = static_cast<unsigned char>(c) - unsigned('0');
      if (d > 9) return std::nullopt;
      n = n * 10 + d;
    }
    return n;
  }
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = std::uint64_t(c - '0');
    if (n > (UINT64_MAX - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

bool value::atom_is(std::string_view s) const noexcept {
  return type == kind::atom && iequals(text, s);
}

bool response::is_status() const noexcept {
  return type != kind::continuation &&
         (name == "OK" || name == "NO" || name == "BAD" || name == "BYE" || name == "PREAUTH");
}

void response::clear() {
  type = kind::untagged;
  tag.clear();
  number.reset();
  name.clear();
  code.clear();
  code_args.clear();
  code_raw.clear();
  text.clear();
  args.clear();
}

response_parser::response_parser(parser_limits limits)
    : limits_(limits), stream_threshold_(limits.max_literal_in_memory), lines_(limits.max_line) {}

void response_parser::feed(std::string_view bytes) {
  lines_.feed(bytes);
}

void response_parser::reset() {
  lines_.clear();
  st_ = state::start;
  cur_.clear();
  spare_.clear();
  pool_.clear();
  stack_.clear();
  bytes_ = values_ = 0;
  lit_left_ = 0;
  lit_target_ = nullptr;
  completed_ = false;
}

// Value nodes are reused in place: a completed response's tree stays where it is, and the
// next response overwrites it node by node (open_list::used counts the nodes of the
// response being parsed; the rest is cut off when the list closes). A stream of FETCH
// responses of similar shape therefore parses without allocating, and no node is moved.
void response_parser::begin_root(std::vector<value>& root) {
  stack_.clear();
  stack_.push_back({&root, 0});
}

void response_parser::close_top() {
  auto& o = stack_.back();
  cut(*o.list, o.used);
  stack_.pop_back();
}

// Items past `n` leave `l`; up to max_pool of them wait in pool_ (with their buffers and
// sub-lists) to be the next new items of any list, so responses whose shapes differ (one
// address or three, NIL or a list) do not free nodes only to allocate them again. Every
// node lives either in the current response or in the pool: nodes are made only when the
// pool is empty, so the pool never holds more than the largest response had.
void response_parser::cut(std::vector<value>& l, std::size_t n) {
  if (n >= l.size()) return;
  for (std::size_t i = n; i < l.size() && pool_.size() < max_pool; ++i)
    pool_.push_back(std::move(l[i]));
  l.erase(l.begin() + std::ptrdiff_t(n), l.end());
}

value& response_parser::push(value::kind k, std::error_code& ec) {
  if (++values_ > limits_.max_values) ec = errc::response_too_large;
  auto& o = stack_.back();
  if (o.used == o.list->size()) o.list->emplace_back();
  value& v = (*o.list)[o.used++];
  v.type = k;
  v.literal = v.binary = false;
  v.size = 0;
  v.text.clear();
  // A list keeps its old items to overwrite; anything else must not show any.
  if (k != value::kind::list && !v.list.empty()) cut(v.list, 0);
  return v;
}

// The scalar fields of the response just handed out are cleared; its value trees stay for
// reuse (a status response parks the data tree in spare_, so "* FETCH" / "a1 OK" / "* FETCH"
// keeps reusing the same nodes).
void response_parser::soft_clear() {
  cur_.type = response::kind::untagged;
  cur_.tag.clear();
  cur_.number.reset();
  cur_.name.clear();
  cur_.code.clear();
  cur_.code_raw.clear();
  cur_.text.clear();
}

parser_event response_parser::next(std::error_code& ec) {
  parser_event ev;
  if (st_ == state::failed) {
    ec = errc::bad_response;
    return ev;
  }
  if (completed_) {
    soft_clear();
    stack_.clear();
    bytes_ = values_ = 0;
    completed_ = false;
  }
  for (;;) {
    switch (st_) {
      case state::failed:
        ec = errc::bad_response;
        return ev;
      case state::start:
      case state::line: {
        auto line = lines_.next_line(ec);
        if (ec) {
          st_ = state::failed;
          return ev;
        }
        if (!line) return ev;
        bytes_ += line->size() + 2;
        if (bytes_ > limits_.max_response_bytes) ec = errc::response_too_large;
        if (!ec) parse_segment(*line, ec);
        if (ec) {
          st_ = state::failed;
          return ev;
        }
        if (st_ == state::start) {  // the response is complete
          completed_ = true;
          ev.kind = parser_event::type::response;
          return ev;
        }
        if (st_ == state::literal_stream) {
          ev.kind = parser_event::type::literal_begin;
          ev.size = lit_left_;
          ev.item = lit_item_;
          ev.number = cur_.number;
          if (lit_left_ == 0) st_ = state::literal_end;
          return ev;
        }
        continue;
      }
      case state::literal_mem: {
        const std::string_view p = lines_.pending();
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(lit_left_, p.size()));
        lit_target_->text.append(p.data(), n);
        lines_.consume(n);
        lit_left_ -= n;
        if (lit_left_ > 0) return ev;
        st_ = state::line;
        continue;
      }
      case state::literal_stream: {
        const std::string_view p = lines_.pending();
        if (p.empty()) return ev;
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(lit_left_, p.size()));
        ev.kind = parser_event::type::literal_chunk;
        ev.chunk = p.substr(0, n);  // consume() only moves an offset: the bytes stay put
        lines_.consume(n);
        lit_left_ -= n;
        if (lit_left_ == 0) st_ = state::literal_end;
        return ev;
      }
      case state::literal_end:
        st_ = state::line;
        ev.kind = parser_event::type::literal_end;
        return ev;
    }
  }
}

void response_parser::parse_segment(std::string_view line, std::error_code& ec) {
  // RFC 9051 §4 (and §4.3.1): NUL never appears outside a literal8; a line carrying one is
  // not IMAP. (Literal contents do not pass through here.)
  if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
    ec = errc::bad_response;
    return;
  }
  if (st_ == state::start) {
    parse_first(line, ec);
    if (ec || st_ == state::start) return;  // status / continuation: complete
  }
  parse_values(line, ec);
}

// response = continue-req / response-data / response-done (RFC 9051 §7, §9).
void response_parser::parse_first(std::string_view& s, std::error_code& ec) {
  // Status responses and continuations carry no data values: park the data tree (kept for
  // the next data response) and start from empty code arguments.
  auto status_shape = [this] {
    if (!cur_.args.empty()) {
      if (spare_.empty())
        spare_.swap(cur_.args);
      else
        cur_.args.clear();
    }
    cur_.code_args.clear();
  };
  auto word = [&s]() {
    const std::size_t sp = s.find(' ');
    std::string_view w = s.substr(0, sp);
    s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return w;
  };
  if (s.empty()) {
    ec = errc::bad_response;
    return;
  }
  if (s.front() == '+') {
    // continue-req = "+" SP (resp-text / base64) CRLF; a bare "+" is tolerated.
    cur_.type = response::kind::continuation;
    status_shape();
    s.remove_prefix(1);
    if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    cur_.text.assign(s);
    st_ = state::start;
    return;
  }
  if (s.front() == '[') {
    // Exchange (MailKit issue 115) sends a bare "[COPYUID ...]" line: read it as "* OK [...]".
    cur_.type = response::kind::untagged;
    cur_.name = "OK";
    status_shape();
    parse_resp_text(s, ec);
    st_ = state::start;
    return;
  }
  std::string_view first = word();
  if (first == "*") {
    cur_.type = response::kind::untagged;
  } else {
    for (char c : first)
      if (atom_end[static_cast<unsigned char>(c)]) {
        ec = errc::bad_response;
        return;
      }
    cur_.type = response::kind::tagged;
    cur_.tag.assign(first);
  }
  std::string_view name = word();
  if (name.empty()) {
    ec = errc::bad_response;
    return;
  }
  if (cur_.type == response::kind::untagged && name.front() >= '0' && name.front() <= '9') {
    std::uint64_t n = 0;
    bool ok = name.size() <= 20;
    for (char c : name) {
      const std::uint64_t d = std::uint64_t(c - '0');
      if (c < '0' || c > '9' || n > (UINT64_MAX - d) / 10) {
        ok = false;
        break;
      }
      n = n * 10 + d;
    }
    if (ok) cur_.number = n;
    if (!ok) {
      ec = errc::bad_response;
      return;
    }
    name = word();
    if (name.empty()) {
      ec = errc::bad_response;
      return;
    }
  }
  cur_.name.assign(name);
  for (auto& c : cur_.name) c = upper(c);
  if (cur_.is_status()) {
    status_shape();
    parse_resp_text(s, ec);
    st_ = state::start;
    return;
  }
  if (cur_.type == response::kind::tagged) {  // response-tagged = tag SP resp-cond-state
    ec = errc::bad_response;
    return;
  }
  if (cur_.args.empty() && !spare_.empty()) cur_.args.swap(spare_);
  if (!cur_.code_args.empty()) cur_.code_args.clear();
  begin_root(cur_.args);
  st_ = state::line;
}

// resp-text = ["[" resp-text-code "]" SP] [text]   (RFC 9051 §9)
void response_parser::parse_resp_text(std::string_view s, std::error_code& ec) {
  (void)ec;
  if (!s.empty() && s.front() == '[') {
    // Find the closing ']' outside quotes and parentheses.
    std::size_t i = 1, depth = 0;
    bool quoted = false;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (quoted) {
        if (c == '\\' && i + 1 < s.size())
          ++i;
        else if (c == '"')
          quoted = false;
      } else if (c == '"') {
        quoted = true;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth) --depth;
      } else if (c == ']' && depth == 0) {
        break;
      }
    }
    if (i >= s.size()) i = s.find(']');  // an unbalanced quote: fall back to the first ']'
    if (i != std::string_view::npos && i < s.size()) {
      // a code; without any ']' the whole line is text (lenient)
      std::string_view inner = s.substr(1, i - 1);
      s.remove_prefix(i + 1);
      if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      const std::size_t sp = inner.find(' ');
      cur_.code = to_upper(inner.substr(0, sp));
      if (sp != std::string_view::npos) {
        cur_.code_raw.assign(inner.substr(sp + 1));
        // Tokenise the arguments; if they do not tokenise, keep only the raw text.
        std::error_code tec;
        const state saved = st_;
        st_ = state::line;
        begin_root(cur_.code_args);
        parse_values(cur_.code_raw, tec);
        if (tec || st_ != state::start) cur_.code_args.clear();  // kept raw only
        stack_.clear();
        lit_target_ = nullptr;
        st_ = saved;
      }
    }
  }
  cur_.text.assign(s);
}

// The tokenizer's hot loop. The innermost open list and the count of its items that belong
// to this response live in locals (`list`, `used`) while the segment is scanned; stack_
// holds the outer lists and is brought up to date (sync) before anything else looks at it.
void response_parser::parse_values(std::string_view s, std::error_code& ec) {
  const char* p = s.data();
  const char* const end = p + s.size();
  std::vector<value>* list = stack_.back().list;
  std::size_t used = stack_.back().used;
  std::size_t values = values_;
  const std::size_t max_values = limits_.max_values;
  auto sync = [&] {
    stack_.back().used = used;
    values_ = values;
  };
  // The next node of the innermost list, reused from an earlier response when there is one
  // (its string and list keep their capacity); nullptr past parser_limits::max_values.
  auto node = [&](value::kind k) MAILPROTO_IMAP_INLINE -> value* {
    if (++values > max_values) [[unlikely]] {
      ec = errc::response_too_large;
      return nullptr;
    }
    if (used == list->size()) {
      if (pool_.empty()) {
        list->emplace_back();
      } else {
        list->push_back(std::move(pool_.back()));
        pool_.pop_back();
      }
    }
    value& v = (*list)[used++];
    v.type = k;
    v.literal = v.binary = false;
    v.size = 0;
    // A list keeps its old items to overwrite; anything else must not show any.
    if (k != value::kind::list && !v.list.empty()) [[unlikely]]
      cut(v.list, 0);
    return &v;
  };
  while (p != end) {
    const char c = *p;
    const tok t = token_start[static_cast<unsigned char>(c)];
    // The commonest tokens first, as plain branches (the switch's indirect jump
    // mispredicts on every change of token kind): strings, then atoms.
    if (t == tok::quote) {  // quoted = DQUOTE *QUOTED-CHAR DQUOTE
      ++p;
      value* v = node(value::kind::string);
      if (!v) return;
      // Usual case: no backslash before the closing quote; one scan finds whichever of
      // the two comes first.
      const char* e = find_quoted_stop(p, end);
      if (e != end && *e == '"') {
        set_text(v->text, p, std::size_t(e - p));
        p = e + 1;
        p += p != end && *p == ' ';
        continue;
      }
      set_text(v->text, p, std::size_t(e - p));
      const char* q = e;
      bool closed = false;
      while (q != end) {
        // *q is a backslash: the next byte is taken literally (\" and \\; others tolerated)
        if (q + 1 == end) break;
        v->text.push_back(q[1]);
        q += 2;
        const char* stop = find_quoted_stop(q, end);
        v->text.append(q, stop);
        q = stop;
        if (q != end && *q == '"') {
          ++q;
          closed = true;
          break;
        }
      }
      if (!closed) {
        ec = errc::bad_response;
        return;
      }
      p = q;
      p += p != end && *p == ' ';
      continue;
    }
    if (t != tok::atom) switch (t) {
        case tok::space:
          ++p;
          continue;
        case tok::open: {
          if (stack_.size() > limits_.max_depth) {  // stack_[0] is the response itself
            ec = errc::nesting_too_deep;
            return;
          }
          value* l = node(value::kind::list);
          if (!l) return;
          l->text.clear();
          stack_.back().used = used;
          stack_.push_back({&l->list, 0});
          list = &l->list;
          used = 0;
          ++p;
          continue;
        }
        case tok::close: {
          if (stack_.size() < 2) {
            ec = errc::bad_response;
            return;
          }
          // Cut the list to the items this response put there.
          if (used < list->size()) cut(*list, used);
          stack_.pop_back();
          list = stack_.back().list;
          used = stack_.back().used;
          ++p;
          p += p != end && *p == ' ';  // the usual separator, without another dispatch
          continue;
        }
        case tok::literal:
          sync();
          parse_literal(p, end, ec);
          return;
        case tok::tilde:
          if (end - p > 1 && p[1] == '{') {
            sync();
            parse_literal(p, end, ec);
            return;
          }
          break;  // an atom that starts with '~'
        case tok::atom:
        case tok::quote:  // handled above
          break;
      }
    // atom (incl. "\Seen", "BODY[HEADER.FIELDS (FROM TO)]<0>", numbers, NIL)
    const char* a = p;
    for (;;) {
      while (p != end && !atom_stop[static_cast<unsigned char>(*p)]) ++p;
      if (p == end || *p != '[') break;
      // section-spec: runs to the matching ']' and may contain SP and ()
      int depth = 0;
      while (p != end) {
        if (*p == '[') ++depth;
        if (*p == ']' && --depth == 0) break;
        ++p;
      }
      if (p == end) {
        ec = errc::bad_response;
        return;
      }
      ++p;
    }
    if (p == a) {  // a CTL or a stray '{'
      ec = errc::bad_response;
      return;
    }
    if (p - a == 3 && iequals(std::string_view(a, 3), "NIL")) {
      value* v = node(value::kind::nil);
      if (!v) return;
      v->text.clear();
    } else {
      value* v = node(value::kind::atom);
      if (!v) return;
      set_text(v->text, a, std::size_t(p - a));
    }
    p += p != end && *p == ' ';
  }
  sync();
  // End of the segment without a literal announcement: the response is complete.
  if (stack_.size() != 1) {
    ec = errc::bad_response;
    return;
  }
  close_top();
  st_ = state::start;
}

// literal = "{" number64 ["+"] "}" CRLF *CHAR8 ; literal8 = "~{" number64 "}" CRLF *OCTET
// (RFC 9051 §9, RFC 3516 §4.2). `p` is at the '{' or '~'; the announcement ends the segment.
void response_parser::parse_literal(const char* p, const char* end, std::error_code& ec) {
  const bool binary = *p == '~';
  p += binary ? 2 : 1;
  std::uint64_t n = 0;
  const char* digits = p;
  while (p != end && *p >= '0' && *p <= '9') {
    const std::uint64_t d = std::uint64_t(*p - '0');
    if (n > (UINT64_MAX - d) / 10) {
      ec = errc::literal_too_large;
      return;
    }
    n = n * 10 + d;
    ++p;
  }
  if (p == digits) {
    ec = errc::bad_response;
    return;
  }
  if (p != end && *p == '+') ++p;
  if (p == end || *p != '}' || p + 1 != end) {  // the announcement ends the line
    ec = errc::bad_response;
    return;
  }
  if (n > limits_.max_literal) {
    ec = errc::literal_too_large;
    return;
  }
  const auto& o = stack_.back();
  lit_item_.clear();
  if (o.used > 0 && (*o.list)[o.used - 1].is_atom()) lit_item_ = (*o.list)[o.used - 1].text;
  lit_left_ = n;
  if (n <= stream_threshold_ && !(stream_bodies_ && is_body_item(lit_item_))) {
    if (bytes_ + n > limits_.max_response_bytes) {
      ec = errc::response_too_large;
      return;
    }
    bytes_ += static_cast<std::size_t>(n);
    value& v = push(value::kind::string, ec);
    v.literal = true;
    v.binary = binary;
    v.text.reserve(static_cast<std::size_t>(n));  // bounded by the threshold
    lit_target_ = &v;
    // An empty in-memory literal: the line simply goes on after the CRLF.
    st_ = n == 0 ? state::line : state::literal_mem;
  } else {
    value& v = push(value::kind::streamed, ec);
    v.literal = true;
    v.binary = binary;
    v.size = n;
    lit_target_ = nullptr;
    st_ = state::literal_stream;
  }
}

}  // namespace mailproto::imap
