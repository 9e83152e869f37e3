// IMAP response parser; the theory of operation is in include/mailproto/imap/response_parser.hpp.
#include <mailproto/imap/response_parser.hpp>

#include <algorithm>
#include <array>
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

// Bytes that interrupt the run of plain characters in a quoted string.
constexpr std::array<bool, 256> make_quoted_stop() {
  std::array<bool, 256> t{};
  t['"'] = t['\\'] = true;
  return t;
}
constexpr auto quoted_stop = make_quoted_stop();

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
  if (o.used < o.list->size())
    o.list->erase(o.list->begin() + std::ptrdiff_t(o.used), o.list->end());
  stack_.pop_back();
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
  if (k != value::kind::list && !v.list.empty()) v.list.clear();
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

void response_parser::parse_values(std::string_view s, std::error_code& ec) {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p != end) {
    const char c = *p;
    if (c == ' ') {
      ++p;
      continue;
    }
    if (c == '(') {
      if (stack_.size() > limits_.max_depth) {  // stack_[0] is the response itself
        ec = errc::nesting_too_deep;
        return;
      }
      value& l = push(value::kind::list, ec);
      if (ec) return;
      stack_.push_back({&l.list, 0});
      ++p;
      continue;
    }
    if (c == ')') {
      if (stack_.size() < 2) {
        ec = errc::bad_response;
        return;
      }
      close_top();
      ++p;
      continue;
    }
    if (c == '"') {  // quoted = DQUOTE *QUOTED-CHAR DQUOTE
      ++p;
      value& v = push(value::kind::string, ec);
      if (ec) return;
      const char* q = p;
      bool closed = false;
      // Fast path: no backslash before the closing quote (the usual case): one memchr each.
      if (const void* dq = std::memchr(q, '"', std::size_t(end - q))) {
        const char* e = static_cast<const char*>(dq);
        if (!std::memchr(q, '\\', std::size_t(e - q))) {
          v.text.assign(q, e);
          p = e + 1;
          continue;
        }
      }
      while (q != end) {
        const char* stop = q;
        while (stop != end && !quoted_stop[static_cast<unsigned char>(*stop)]) ++stop;
        v.text.append(q, stop);
        if (stop == end) {
          q = end;
          break;
        }
        if (*stop == '"') {
          q = stop + 1;
          closed = true;
          break;
        }
        // backslash: the next byte is taken literally (\" and \\; others tolerated)
        if (stop + 1 == end) {
          q = end;
          break;
        }
        v.text.push_back(stop[1]);
        q = stop + 2;
      }
      if (!closed) {
        ec = errc::bad_response;
        return;
      }
      p = q;
      continue;
    }
    if (c == '{' || (c == '~' && end - p > 1 && p[1] == '{')) {
      // literal = "{" number64 ["+"] "}" CRLF *CHAR8 ; literal8 = "~{" number64 "}" CRLF
      const bool binary = c == '~';
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
        st_ = n == 0 ? state::line : state::literal_mem;
      } else {
        value& v = push(value::kind::streamed, ec);
        v.literal = true;
        v.binary = binary;
        v.size = n;
        lit_target_ = nullptr;
        st_ = state::literal_stream;
      }
      if (n == 0 && st_ == state::line) {
        // An empty in-memory literal: the line simply goes on after the CRLF.
      }
      return;
    }
    // atom (incl. "\Seen", "BODY[HEADER.FIELDS (FROM TO)]<0>", numbers, NIL)
    const char* a = p;
    while (p != end) {
      const unsigned char u = static_cast<unsigned char>(*p);
      if (u == '[') {  // section-spec: runs to the matching ']' and may contain SP and ()
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
        continue;
      }
      if (atom_end[u]) break;
      ++p;
    }
    if (p == a) {  // a CTL or a stray '{'
      ec = errc::bad_response;
      return;
    }
    if (p - a == 3 && iequals(std::string_view(a, 3), "NIL")) {
      push(value::kind::nil, ec);
    } else {
      push(value::kind::atom, ec).text.assign(a, p);
    }
    if (ec) return;
  }
  // End of the segment without a literal announcement: the response is complete.
  if (stack_.size() != 1) {
    ec = errc::bad_response;
    return;
  }
  close_top();
  st_ = state::start;
}

}  // namespace mailproto::imap
