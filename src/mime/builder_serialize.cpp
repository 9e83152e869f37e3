// The message builder's layout (headers, part tree, boundaries) and its streaming writer.
#include "mime/builder_detail.hpp"

#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>
#include <mailproto/mime/media_type.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>

namespace mailproto::mime::builder_detail {
namespace {

constexpr std::size_t fold_at = 78;          // RFC 5322 §2.1.1 SHOULD
constexpr std::size_t max_line = 998;        // RFC 5322 §2.1.1 MUST
constexpr std::size_t chunk_in = 48 * 1024;  // input octets per base64 chunk (a multiple of 3)
constexpr std::string_view boundary_prefix = "=_mp";  // "=_" never occurs in base64 or QP

bool is_ascii(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string unfold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (s[i] == '\n') continue;
    out += s[i];
  }
  return out;
}

// Append "Name: value" CRLF, folding at spaces (RFC 5322 §2.2.3) so lines stay within 78
// columns where a space allows it. In a structured header (`structured`), spaces inside a
// quoted-string are not used. Fails if a line would exceed 998 octets.
bool add_header(std::string& out, std::string_view name, std::string_view value, bool structured,
                std::string& why) {
  // Split at the fold points: a space preceded and followed by a non-space.
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (structured && c == '\\') {
      ++i;
      continue;
    }
    if (structured && c == '"') quoted = !quoted;
    if (c == ' ' && !quoted && i > start && value[i - 1] != ' ' && i + 1 < value.size() &&
        value[i + 1] != ' ' && value[i + 1] != '\t') {
      pieces.push_back(value.substr(start, i - start));
      start = i;  // the piece keeps its leading space: it becomes the folding white space
    }
  }
  pieces.push_back(value.substr(start));
  std::string line(name);
  line += ':';
  if (!value.empty() && value.front() != ' ') line += ' ';
  std::size_t col = line.size();
  out += line;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0 && col + pieces[i].size() > fold_at) {
      out += "\r\n";
      col = 0;
    }
    out += pieces[i];
    col += pieces[i].size();
    if (col > max_line) {
      why = std::string(name) + ": a line would exceed 998 octets";
      return false;
    }
  }
  out += "\r\n";
  return true;
}

std::string quote_param(std::string_view v) {
  bool token = !v.empty();
  for (unsigned char c : v)
    if (c <= 0x20 || c >= 0x7f || std::strchr("()<>@,;:\\\"/[]?=", c)) token = false;
  if (token) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// RFC 5322 §3.3 date-time: "Sat, 28 Nov 2026 16:06:58 +0700".
std::string format_date(std::chrono::system_clock::time_point t, std::chrono::minutes off) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t + off));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const long m = static_cast<long>(off.count());
  const long a = m < 0 ? -m : m;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                m < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

std::chrono::minutes local_offset(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return std::chrono::minutes(tm.tm_gmtoff / 60);
}

// ------------------------------------------------------------------ text bodies

struct encoded_body {
  std::string cte;
  std::string body;  // ends with CRLF
};

std::string to_crlf(std::string_view in) {
  std::string out;
  crlf_normaliser n;
  n.feed(in, out);
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

// RFC 2045 §6: 7bit when it is, 8bit when allowed (RFC 6152), else the shorter of
// quoted-printable and base64.
encoded_body encode_text(std::string_view utf8, bool eight_bit) {
  std::string norm = to_crlf(utf8);
  std::size_t line = 0, longest = 0, high = 0, ctl = 0, qp_cost = 0;
  for (std::size_t i = 0; i < norm.size(); ++i) {
    const auto c = static_cast<unsigned char>(norm[i]);
    if (c == '\r' && i + 1 < norm.size() && norm[i + 1] == '\n') {
      longest = std::max(longest, line);
      line = 0;
      ++i;
      qp_cost += 2;
      continue;
    }
    ++line;
    if (c >= 0x80) ++high;
    if ((c < 0x20 && c != '\t') || c == 0x7f) ++ctl;
    qp_cost += (c >= 0x80 || c == '=' || (c < 0x20 && c != '\t') || c == 0x7f) ? 3 : 1;
  }
  longest = std::max(longest, line);
  if (ctl == 0 && longest <= max_line && high == 0) return {"7bit", std::move(norm)};
  if (ctl == 0 && longest <= max_line && eight_bit) return {"8bit", std::move(norm)};
  const std::size_t b64_cost = (norm.size() + 2) / 3 * 4 * 78 / 76;
  if (qp_cost + qp_cost / 70 * 3 <= b64_cost) {
    std::string q = qp_encode(norm, qp_mode::text);
    if (q.size() < 2 || q.compare(q.size() - 2, 2, "\r\n") != 0) q += "\r\n";
    return {"quoted-printable", std::move(q)};
  }
  std::string b = base64_encode(norm);
  b += "\r\n";
  return {"base64", std::move(b)};
}

// ------------------------------------------------------------------ the part tree

struct node {
  std::string headers;  // folded content header lines, each CRLF-terminated
  bool multipart = false;
  std::string subtype;
  std::vector<node> children;
  std::string boundary;
  std::vector<segment> body;  // leaf content
};

struct file_info {
  std::uint64_t in_size = 0;
  std::uint64_t out_size = 0;
  bool ends_crlf = true;
  bool needs_encoding = false;  // 8-bit without 8BITMIME, NUL, or a line over 998
  bool eight_bit = false;
  std::vector<std::string> delimiter_like;  // line heads that start with "--=_mp"
};

class planner {
 public:
  planner(const message_builder::state& st, const build_options& o, std::string& why)
      : st_(st), o_(o), why_(why) {}

  std::error_code run(plan& p) {
    std::error_code ec;
    std::string headers;
    if (!message_headers(headers, ec)) return ec;
    node root;
    if (!body_tree(root, ec)) return ec;
    if (!assign_boundaries(root, ec)) return ec;
    p = plan{};
    literal(p, headers);
    literal(p, root.headers);
    literal(p, "\r\n");
    emit(p, root, true);
    for (const auto& s : p.segs) p.total += s.out_size;
    return {};
  }

 private:
  std::error_code fail(errc e, std::string why) {
    why_ = std::move(why);
    return e;
  }

  // --------------------------------------------------------------- message headers
  bool address_header(std::string& out, const char* name, const std::vector<address>& list,
                      std::error_code& ec) {
    if (list.empty()) return true;
    std::string value;
    for (const auto& a : list) {
      std::string one =
          std::visit([&](const auto& x) { return mime::format(x, o_.smtputf8, ec); }, a);
      if (ec) {
        ec = fail(errc::bad_address, std::string(name) + ": an address cannot be written");
        return false;
      }
      if (!value.empty()) value += ", ";
      value += one;
    }
    if (!add_header(out, name, value, true, why_)) {
      ec = errc::line_too_long;
      return false;
    }
    return true;
  }

  bool unstructured(std::string& out, std::string_view name, std::string_view value,
                    std::error_code& ec) {
    std::string v;
    if (is_ascii(value) && value.find("=?") == std::string_view::npos) {
      v = value;
    } else if (!is_ascii(value) && o_.smtputf8) {
      v = value;  // RFC 6532 §3.5: UTF-8 allowed in unstructured fields
    } else {
      v = unfold(rfc2047_encode(value, word_context::text, name.size() + 2));
    }
    if (!add_header(out, name, v, false, why_)) {
      ec = errc::line_too_long;
      return false;
    }
    return true;
  }

  bool message_headers(std::string& out, std::error_code& ec) {
    const auto authors = flatten(st_.from);
    if (authors.empty()) {
      ec = fail(errc::bad_address, "From: missing");
      return false;
    }
    for (const auto& a : st_.from)
      if (std::holds_alternative<group>(a)) {
        ec = fail(errc::bad_address, "From: a group is not allowed (RFC 5322 §3.6.2)");
        return false;
      }
    if (authors.size() > 1 && !st_.sender) {
      ec = fail(errc::bad_address, "From: several authors need a Sender (RFC 5322 §3.6.2)");
      return false;
    }
    // RFC 5322 §3.6: the usual order; Bcc is never written.
    const auto [when, off] =
        st_.date ? *st_.date : std::pair{st_.created, local_offset(st_.created)};
    std::string why;
    add_header(out, "Date", format_date(when, off), false, why);
    if (!address_header(out, "From", st_.from, ec)) return false;
    if (st_.sender) {
      std::vector<address> s{*st_.sender};
      if (!address_header(out, "Sender", s, ec)) return false;
    }
    if (!address_header(out, "Reply-To", st_.reply_to, ec)) return false;
    if (!address_header(out, "To", st_.to, ec)) return false;
    if (!address_header(out, "Cc", st_.cc, ec)) return false;
    if (st_.subject && !unstructured(out, "Subject", *st_.subject, ec)) return false;
    std::string id = st_.message_id;
    if (id.empty()) {
      const mailbox& m = st_.sender ? *st_.sender : authors.front();
      id = "<" + st_.id_left + "@" + (m.domain.empty() ? "localhost" : m.domain) + ">";
    }
    if (!add_header(out, "Message-ID", id, false, why_)) {
      ec = errc::line_too_long;
      return false;
    }
    if (!st_.in_reply_to.empty() && !add_header(out, "In-Reply-To", st_.in_reply_to, true, why_)) {
      ec = errc::line_too_long;
      return false;
    }
    if (!st_.references.empty() && !add_header(out, "References", st_.references, true, why_)) {
      ec = errc::line_too_long;
      return false;
    }
    for (const auto& [name, value] : st_.headers)
      if (!unstructured(out, name, value, ec)) return false;
    add_header(out, "MIME-Version", "1.0", false, why);  // RFC 2045 §4
    return true;
  }

  // --------------------------------------------------------------- bodies
  void text_leaf(node& n, std::string_view subtype, const std::string& content) {
    auto enc = encode_text(content, o_.eight_bit);
    std::string why;
    add_header(n.headers, "Content-Type", "text/" + std::string(subtype) + "; charset=utf-8", true,
               why);
    add_header(n.headers, "Content-Transfer-Encoding", enc.cte, false, why);
    segment s;
    s.text = std::move(enc.body);
    n.body.push_back(std::move(s));
  }

  bool file_size(const std::string& path, std::uint64_t& size, std::error_code& ec) {
    file_source f(path);
    std::error_code fe;
    char b[1];
    f.read(std::span<char>(b, 0), fe);
    if (fe || !f.size()) {
      ec = fail(errc::file_error, "cannot read \"" + path + "\"");
      return false;
    }
    size = *f.size();
    return true;
  }

  // Read a raw message file once: its normalised size, whether it can go unencoded, and the
  // lines that look like our delimiters.
  bool scan_file(const std::string& path, file_info& info, std::error_code& ec) {
    file_source f(path);
    crlf_normaliser n;
    std::string in(chunk_in, '\0'), out;
    std::string head;
    for (;;) {
      std::error_code fe;
      const std::size_t got = f.read(std::span<char>(in.data(), in.size()), fe);
      if (fe) {
        ec = fail(errc::file_error, "cannot read \"" + path + "\": " + fe.message());
        return false;
      }
      if (got == 0) break;
      info.in_size += got;
      out.clear();
      n.feed(std::string_view(in.data(), got), out);
      info.out_size += out.size();
      for (char c : out) {
        if (c == '\n') {
          if (head.starts_with("--") && head.substr(2).starts_with(boundary_prefix)) {
            if (info.delimiter_like.size() >= 10000) {
              ec = fail(errc::limit_exceeded, "too many delimiter-like lines in \"" + path + "\"");
              return false;
            }
            info.delimiter_like.push_back(head);
          }
          head.clear();
        } else if (head.size() < 64) {
          head += c;
        }
      }
    }
    if (!head.empty() && head.starts_with("--")) info.delimiter_like.push_back(head);
    info.ends_crlf = n.last == '\n';
    if (!info.ends_crlf) info.out_size += 2;
    info.eight_bit = n.eight_bit;
    info.needs_encoding = n.nul || n.max_line > max_line || (n.eight_bit && !o_.eight_bit);
    return true;
  }

  bool part_headers(node& n, const message_builder::part_spec& p, std::string_view type,
                    std::string_view cte, bool is_inline, std::error_code& ec) {
    std::string ct(type);
    std::string disp = is_inline ? "inline" : "attachment";
    if (!p.filename.empty()) {
      if (is_ascii(p.filename)) {
        ct += "; name=" + quote_param(p.filename);
        disp += "; filename=" + quote_param(p.filename);
      } else {
        // RFC 2231 §4 for the standard, plus an RFC 2047 name= that old clients read.
        std::string words = unfold(rfc2047_encode(p.filename, word_context::phrase, 0));
        ct += "; name=" + quote_param(words);
        for (const auto& [k, v] : rfc2231_encode("filename", p.filename))
          disp += "; " + k + "=" + (k.ends_with("*") ? v : quote_param(v));
      }
    }
    if (!add_header(n.headers, "Content-Type", ct, true, why_) ||
        !add_header(n.headers, "Content-Disposition", disp, true, why_)) {
      ec = errc::line_too_long;
      return false;
    }
    if (!p.content_id.empty())
      add_header(n.headers, "Content-ID", "<" + p.content_id + ">", false, why_);
    add_header(n.headers, "Content-Transfer-Encoding", cte, false, why_);
    return true;
  }

  bool attachment_leaf(node& n, const message_builder::part_spec& p, bool is_inline,
                       std::error_code& ec) {
    using kind = message_builder::part_spec::kind;
    segment s;
    switch (p.k) {
      case kind::memory:
        s.k = segment::kind::base64_memory;
        s.data = p.data;
        s.out_size = base64_encoded_size(p.data->size());
        if (!part_headers(n, p, p.media_type, "base64", is_inline, ec)) return false;
        break;
      case kind::file:
        s.k = segment::kind::base64_file;
        s.path = p.path;
        if (!file_size(p.path, s.in_size, ec)) return false;
        s.out_size = base64_encoded_size(s.in_size);
        if (!part_headers(n, p, p.media_type, "base64", is_inline, ec)) return false;
        break;
      case kind::message_memory: {
        crlf_normaliser norm;
        std::string raw;
        norm.feed(*p.data, raw);
        if (norm.last != '\n') raw += "\r\n";
        if (norm.nul || norm.max_line > max_line || (norm.eight_bit && !o_.eight_bit)) {
          // message/rfc822 may not be encoded (RFC 2046 §5.2.1): send as opaque bytes.
          s.k = segment::kind::base64_memory;
          s.data = p.data;
          s.out_size = base64_encoded_size(p.data->size());
          if (!part_headers(n, p, "application/octet-stream", "base64", is_inline, ec))
            return false;
        } else {
          if (!part_headers(n, p, "message/rfc822", norm.eight_bit ? "8bit" : "7bit", is_inline,
                            ec))
            return false;
          s.text = std::move(raw);
          s.out_size = s.text.size();
        }
        break;
      }
      case kind::message_file: {
        file_info info;
        if (!scan_file(p.path, info, ec)) return false;
        if (info.needs_encoding) {
          s.k = segment::kind::base64_file;
          s.path = p.path;
          s.in_size = info.in_size;
          s.out_size = base64_encoded_size(info.in_size);
          if (!part_headers(n, p, "application/octet-stream", "base64", is_inline, ec))
            return false;
        } else {
          s.k = segment::kind::raw_file;
          s.path = p.path;
          s.in_size = info.in_size;
          s.out_size = info.out_size;
          if (!part_headers(n, p, "message/rfc822", info.eight_bit ? "8bit" : "7bit", is_inline,
                            ec))
            return false;
          file_lines_.insert(file_lines_.end(), info.delimiter_like.begin(),
                             info.delimiter_like.end());
        }
        break;
      }
    }
    n.body.push_back(std::move(s));
    return true;
  }

  void multipart(node& n, std::string subtype, std::vector<node> children) {
    n.multipart = true;
    n.subtype = std::move(subtype);
    n.children = std::move(children);
  }

  bool body_tree(node& root, std::error_code& ec) {
    const bool has_text = st_.text.has_value(), has_html = st_.html.has_value();
    node text, html;
    if (has_text || !has_html) text_leaf(text, "plain", has_text ? *st_.text : std::string());
    if (has_html) {
      text_leaf(html, "html", *st_.html);
      if (!st_.inlines.empty()) {
        // RFC 2387: the root is the html, the rest are what it refers to by cid:.
        std::vector<node> parts{std::move(html)};
        for (const auto& p : st_.inlines) {
          node leaf;
          if (!attachment_leaf(leaf, p, true, ec)) return false;
          parts.push_back(std::move(leaf));
        }
        html = node{};
        multipart(html, "related; type=\"text/html\"", std::move(parts));
      }
    } else if (!st_.inlines.empty()) {
      ec = fail(errc::bad_argument, "inline parts need an html body");
      return false;
    }
    node body;
    if (has_text && has_html) {
      std::vector<node> alt;  // RFC 2046 §5.1.4: plainest first
      alt.push_back(std::move(text));
      alt.push_back(std::move(html));
      multipart(body, "alternative", std::move(alt));
    } else {
      body = has_html ? std::move(html) : std::move(text);
    }
    if (st_.attachments.empty()) {
      root = std::move(body);
      return true;
    }
    std::vector<node> mixed{std::move(body)};
    for (const auto& p : st_.attachments) {
      node leaf;
      if (!attachment_leaf(leaf, p, false, ec)) return false;
      mixed.push_back(std::move(leaf));
    }
    multipart(root, "mixed", std::move(mixed));
    return true;
  }

  // --------------------------------------------------------------- boundaries
  void collect(node& n, std::vector<node*>& multis, std::vector<std::string_view>& raws) {
    if (n.multipart) multis.push_back(&n);
    // Raw (unencoded) content the boundaries must not occur in; the tree no longer moves.
    for (const auto& s : n.body)
      if (s.k == segment::kind::literal) raws.push_back(s.text);
    for (auto& c : n.children) collect(c, multis, raws);
  }

  bool assign_boundaries(node& root, std::error_code& ec) {
    std::vector<node*> multis;
    std::vector<std::string_view> raws;
    collect(root, multis, raws);
    if (multis.empty()) return true;
    static constexpr char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    splitmix64 rng(st_.seed);
    for (int attempt = 0; attempt < 64; ++attempt) {
      bool clash = false;
      for (node* m : multis) {
        std::string b(boundary_prefix);
        b += '_';
        for (int i = 0; i < 4; ++i) {
          std::uint64_t r = rng.next();
          for (int j = 0; j < 7; ++j) {
            b += alphabet[r % 62];
            r /= 62;
          }
        }
        m->boundary = std::move(b);
        // RFC 2046 §5.1.1: the boundary must not appear in the encapsulated parts.
        for (auto raw : raws)
          if (raw.find(m->boundary) != std::string_view::npos) clash = true;
        for (const auto& line : file_lines_)
          if (std::string_view(line).substr(2).starts_with(m->boundary)) clash = true;
      }
      if (!clash) {
        for (node* m : multis) {
          std::string why;
          add_header(m->headers, "Content-Type",
                     "multipart/" + m->subtype + "; boundary=\"" + m->boundary + "\"", true, why);
        }
        return true;
      }
    }
    ec = fail(errc::bad_argument, "no boundary found that is absent from the content");
    return false;
  }

  // --------------------------------------------------------------- emitting
  static void literal(plan& p, std::string_view text) {
    if (text.empty()) return;
    if (!p.segs.empty() && p.segs.back().k == segment::kind::literal &&
        p.segs.back().text.size() < 64 * 1024) {
      p.segs.back().text += text;
      p.segs.back().out_size += text.size();
      return;
    }
    segment s;
    s.text = std::string(text);
    s.out_size = s.text.size();
    p.segs.push_back(std::move(s));
  }

  void emit(plan& p, node& n, bool top) {
    if (!n.multipart) {
      for (auto& s : n.body) {
        if (s.k == segment::kind::literal) {
          if (s.out_size == 0) s.out_size = s.text.size();
          literal(p, s.text);
        } else {
          p.segs.push_back(std::move(s));
        }
      }
      if (top) {
        // A single-part message ends with CRLF like every line (text bodies already do).
        const bool ends = !p.segs.empty() && p.segs.back().k == segment::kind::literal &&
                          p.segs.back().text.ends_with("\r\n");
        if (!ends) literal(p, "\r\n");
      }
      return;
    }
    if (top) literal(p, "This is a multi-part message in MIME format.\r\n");
    for (std::size_t i = 0; i < n.children.size(); ++i) {
      literal(p, (i ? "\r\n--" : "--") + n.boundary + "\r\n");
      literal(p, n.children[i].headers);
      literal(p, "\r\n");
      emit(p, n.children[i], false);
    }
    literal(p, "\r\n--" + n.boundary + "--\r\n");
  }

  const message_builder::state& st_;
  const build_options& o_;
  std::string& why_;
  std::vector<std::string> file_lines_;
};

// ------------------------------------------------------------------ the source

class message_source final : public byte_source {
 public:
  explicit message_source(plan p) : p_(std::move(p)) {}

  std::size_t read(std::span<char> buf, std::error_code& ec) override {
    std::size_t n = 0;
    while (n < buf.size()) {
      if (view_.empty()) {
        if (failed_) {
          ec = failed_;
          return 0;
        }
        if (!refill(ec)) {
          if (ec) failed_ = ec;
          break;
        }
        continue;
      }
      const std::size_t k = std::min(view_.size(), buf.size() - n);
      std::memcpy(buf.data() + n, view_.data(), k);
      view_.remove_prefix(k);
      n += k;
    }
    return n;
  }

  std::optional<std::uint64_t> size() const override { return p_.total; }

 private:
  void next() {
    ++idx_;
    started_ = false;
    file_.reset();
  }

  // Make view_ non-empty with the next output, or return false at the end (or on error).
  bool refill(std::error_code& ec) {
    while (idx_ < p_.segs.size()) {
      segment& s = p_.segs[idx_];
      switch (s.k) {
        case segment::kind::literal:
          if (!started_ && !s.text.empty()) {
            started_ = true;
            view_ = s.text;
            return true;
          }
          next();
          continue;
        case segment::kind::base64_memory: {
          if (!started_) {
            started_ = true;
            enc_ = base64_encoder(76);
            pos_ = 0;
          }
          const std::string& d = *s.data;
          if (pos_ > d.size()) {
            next();
            continue;
          }
          work_.clear();
          const std::size_t k = std::min(chunk_in, d.size() - pos_);
          enc_.update(std::string_view(d).substr(pos_, k), work_);
          pos_ += k;
          if (pos_ == d.size()) {
            enc_.finish(work_);
            pos_ = d.size() + 1;  // done after this chunk
          }
          if (work_.empty()) continue;
          view_ = work_;
          return true;
        }
        case segment::kind::base64_file:
        case segment::kind::raw_file: {
          if (!started_) {
            started_ = true;
            file_ = std::make_unique<file_source>(s.path);
            enc_ = base64_encoder(76);
            norm_ = crlf_normaliser{};
            pos_ = 0;
            done_ = false;
            in_.resize(chunk_in);
          }
          if (done_) {
            next();
            continue;
          }
          std::error_code fe;
          const std::size_t want =
              static_cast<std::size_t>(std::min<std::uint64_t>(chunk_in, s.in_size - pos_));
          std::size_t got = 0;
          while (got < want) {  // fill the chunk (keeps base64 lines aligned, 48 KiB = 3*16 Ki)
            const std::size_t r = file_->read(std::span<char>(in_.data() + got, want - got), fe);
            if (fe || r == 0) break;
            got += r;
          }
          if (fe || got < want) {
            ec = errc::file_error;
            return false;
          }
          pos_ += got;
          work_.clear();
          if (s.k == segment::kind::base64_file)
            enc_.update(std::string_view(in_.data(), got), work_);
          else
            norm_.feed(std::string_view(in_.data(), got), work_);
          if (pos_ == s.in_size) {
            // The file must not have grown since its size was announced.
            char extra[1];
            if (file_->read(std::span<char>(extra, 1), fe) != 0 || fe) {
              ec = errc::file_error;
              return false;
            }
            if (s.k == segment::kind::base64_file)
              enc_.finish(work_);
            else if (norm_.last != '\n')
              work_ += "\r\n";
            done_ = true;
          }
          if (work_.empty()) continue;
          view_ = work_;
          return true;
        }
      }
    }
    return false;
  }

  plan p_;
  std::size_t idx_ = 0;
  bool started_ = false;
  bool done_ = false;
  std::uint64_t pos_ = 0;
  std::string_view view_;
  std::string work_;
  std::string in_;
  base64_encoder enc_{76};
  crlf_normaliser norm_;
  std::unique_ptr<file_source> file_;
  std::error_code failed_;
};

}  // namespace

void crlf_normaliser::feed(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 32);
  for (char ch : in) {
    if (ch == '\n' && prev_cr) {  // the LF of a CRLF already written
      prev_cr = false;
      continue;
    }
    prev_cr = ch == '\r';
    if (ch == '\r' || ch == '\n') {
      out += "\r\n";
      max_line = std::max(max_line, line);
      line = 0;
      last = '\n';
      continue;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) eight_bit = true;
    if (c == 0) nul = true;
    out += ch;
    ++line;
    last = ch;
  }
  max_line = std::max(max_line, line);
}

std::error_code build_plan(const message_builder::state& st, const build_options& opts, plan& p,
                           std::string& why) {
  return planner(st, opts, why).run(p);
}

std::unique_ptr<byte_source> make_source(plan p) {
  return std::make_unique<message_source>(std::move(p));
}

void pump(plan& p, byte_sink& sink, std::error_code& ec) {
  message_source src(std::move(p));
  std::string buf(64 * 1024, '\0');
  for (;;) {
    const std::size_t n = src.read(std::span<char>(buf.data(), buf.size()), ec);
    if (ec) return;
    if (n == 0) break;
    sink.write(std::string_view(buf.data(), n), ec);
    if (ec) return;  // the sink's own error is the most useful one
  }
  sink.finish(ec);
}

}  // namespace mailproto::mime::builder_detail
