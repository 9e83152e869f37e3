// The MIME message builder: setters, validation, and the plan that the serialiser streams.
#include <mailproto/mime/message_builder.hpp>

#include <mailproto/error.hpp>
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>
#include <mailproto/mime/media_type.hpp>

#include "mime/builder_detail.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <random>

namespace mailproto::mime {

namespace {

bool has_unsafe(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 100)) {
    if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789ABCDEF";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  if (s.size() > 100) out += "...";
  return out;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t(rd()) << 32) ^ rd() ^
         std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string unique_left_part() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t process_random = random_seed();
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  builder_detail::splitmix64 rng(process_random ^ (counter.fetch_add(1) * 0x9E3779B97F4A7C15ull));
  char buf[80];
  std::snprintf(buf, sizeof buf, "%llx.%016llx.%llu", static_cast<unsigned long long>(now),
                static_cast<unsigned long long>(rng.next()),
                static_cast<unsigned long long>(counter.load()));
  return buf;
}

// "<left@right>" (RFC 5322 §3.6.4 msg-id, no CFWS inside), brackets added if missing.
bool normalise_msg_id(std::string_view in, std::string& out) {
  std::string_view v = in;
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  const auto at = v.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == v.size() ||
      v.find('@', at + 1) != std::string_view::npos)
    return false;
  for (unsigned char c : v)
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == '(' ||
        c == ')' || c == ',')
      return false;
  out = "<";
  out += v;
  out += '>';
  return true;
}

bool normalise_msg_id_list(std::string_view in, std::string& out) {
  out.clear();
  std::size_t i = 0;
  while (i < in.size()) {
    while (i < in.size() && (in[i] == ' ' || in[i] == '\t' || in[i] == ',')) ++i;
    if (i >= in.size()) break;
    std::size_t j = i;
    while (j < in.size() && in[j] != ' ' && in[j] != '\t' && in[j] != ',') {
      if (in[j] == '>') {
        ++j;
        break;
      }
      ++j;
    }
    std::string one;
    if (!normalise_msg_id(in.substr(i, j - i), one)) return false;
    if (!out.empty()) out += ' ';
    out += one;
    i = j;
  }
  return !out.empty();
}

bool is_builder_header(std::string_view name) {
  static constexpr std::string_view managed[] = {
      "date", "from",    "sender",     "reply-to",    "to",         "cc",
      "bcc",  "subject", "message-id", "in-reply-to", "references", "mime-version"};
  for (auto m : managed)
    if (iequals(name, m)) return true;
  return name.size() >= 8 && iequals(name.substr(0, 8), "content-");
}

std::string base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A filename for Content-Disposition: UTF-8, no controls, bounded (so the header line
// stays far below 998 octets even when encoded).
bool valid_filename(std::string_view f, std::string& why) {
  if (f.size() > 255) {
    why = "filename longer than 255 octets";
    return false;
  }
  for (unsigned char c : f)
    if (c < 0x20 || c == 0x7f) {
      why = "control character in filename";
      return false;
    }
  if (!is_valid_utf8(f)) {
    why = "filename is not valid UTF-8";
    return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------- special members

message_builder::message_builder() : message_builder(build_options{}) {}

message_builder::message_builder(build_options opts) : opts_(opts), st_(std::make_unique<state>()) {
  st_->seed = random_seed();
  st_->id_left = unique_left_part();
  st_->created = std::chrono::system_clock::now();
}

message_builder::~message_builder() = default;
message_builder::message_builder(const message_builder& o)
    : opts_(o.opts_),
      st_(std::make_unique<state>(*o.st_)),
      error_(o.error_),
      error_text_(o.error_text_) {
  st_->id_left = unique_left_part();  // a copy is another message
}
message_builder& message_builder::operator=(const message_builder& o) {
  if (this != &o) *this = message_builder(o);
  return *this;
}
message_builder::message_builder(message_builder&&) noexcept = default;
message_builder& message_builder::operator=(message_builder&&) noexcept = default;

void message_builder::fail(errc e, std::string message) {
  if (error_) return;  // the first error wins
  error_ = e;
  error_text_ = std::move(message);
}

// ---------------------------------------------------------------------- addresses

message_builder& message_builder::add_addresses(std::vector<address>& dest, std::string_view list,
                                                const char* header) {
  if (has_unsafe(list)) {
    fail(errc::bad_address,
         std::string(header) + ": CR, LF or NUL in address \"" + printable(list) + "\"");
    return *this;
  }
  std::error_code ec;
  std::string why;
  address_limits lim;
  lim.max_length = opts_.max_header_value;
  lim.max_count = opts_.max_recipients;
  auto parsed = parse_address_list(list, ec, &why, lim);
  if (ec) {
    fail(ec == errc::limit_exceeded ? errc::limit_exceeded : errc::bad_address,
         std::string(header) + ": " + why);
    return *this;
  }
  if (parsed.empty()) {
    fail(errc::bad_address, std::string(header) + ": empty address \"" + printable(list) + "\"");
    return *this;
  }
  for (auto& a : parsed) {
    // Check now that it can be written (UTF-8 needs SMTPUTF8), so the error names it.
    std::string text = std::visit([&](const auto& x) { return format(x, opts_.smtputf8, ec); }, a);
    if (ec) {
      const bool utf8 =
          !std::holds_alternative<mailbox>(a) ? false : needs_smtputf8(std::get<mailbox>(a));
      fail(errc::bad_address, std::string(header) + ": address \"" + printable(list) + "\"" +
                                  (utf8 ? " needs SMTPUTF8" : " cannot be written"));
      return *this;
    }
    dest.push_back(std::move(a));
  }
  return *this;
}

message_builder& message_builder::from(std::string_view list) {
  return add_addresses(st_->from, list, "From");
}
message_builder& message_builder::from(const mailbox& m) {
  std::error_code ec;
  format(m, opts_.smtputf8, ec);
  if (ec)
    fail(errc::bad_address, "From: bad address \"" + printable(m.addr_spec()) + "\"");
  else
    st_->from.push_back(m);
  return *this;
}
message_builder& message_builder::sender(std::string_view mb) {
  std::vector<address> tmp;
  add_addresses(tmp, mb, "Sender");
  if (tmp.size() == 1 && std::holds_alternative<mailbox>(tmp[0]))
    st_->sender = std::get<mailbox>(tmp[0]);
  else if (!tmp.empty())
    fail(errc::bad_address, "Sender: exactly one mailbox expected in \"" + printable(mb) + "\"");
  return *this;
}
message_builder& message_builder::to(std::string_view list) {
  return add_addresses(st_->to, list, "To");
}
message_builder& message_builder::cc(std::string_view list) {
  return add_addresses(st_->cc, list, "Cc");
}
message_builder& message_builder::bcc(std::string_view list) {
  return add_addresses(st_->bcc, list, "Bcc");
}
message_builder& message_builder::reply_to(std::string_view list) {
  return add_addresses(st_->reply_to, list, "Reply-To");
}

namespace {
bool add_mailbox(std::vector<address>& dest, const mailbox& m, bool smtputf8) {
  std::error_code ec;
  format(m, smtputf8, ec);
  if (ec) return false;
  dest.push_back(m);
  return true;
}
}  // namespace

message_builder& message_builder::to(const mailbox& m) {
  if (!add_mailbox(st_->to, m, opts_.smtputf8))
    fail(errc::bad_address, "To: bad address \"" + printable(m.addr_spec()) + "\"");
  return *this;
}
message_builder& message_builder::cc(const mailbox& m) {
  if (!add_mailbox(st_->cc, m, opts_.smtputf8))
    fail(errc::bad_address, "Cc: bad address \"" + printable(m.addr_spec()) + "\"");
  return *this;
}
message_builder& message_builder::bcc(const mailbox& m) {
  if (!add_mailbox(st_->bcc, m, opts_.smtputf8))
    fail(errc::bad_address, "Bcc: bad address \"" + printable(m.addr_spec()) + "\"");
  return *this;
}

// ---------------------------------------------------------------------- headers

message_builder& message_builder::subject(std::string_view utf8) {
  if (has_unsafe(utf8))
    fail(errc::unsafe_header, "Subject: CR, LF or NUL in \"" + printable(utf8) + "\"");
  else if (!is_valid_utf8(utf8))
    fail(errc::bad_argument, "Subject: not valid UTF-8: \"" + printable(utf8) + "\"");
  else if (utf8.size() > opts_.max_header_value)
    fail(errc::limit_exceeded, "Subject: longer than the limit");
  else
    st_->subject = std::string(utf8);
  return *this;
}

message_builder& message_builder::date(std::chrono::system_clock::time_point t,
                                       std::chrono::minutes offset) {
  if (offset <= std::chrono::minutes(-24 * 60) || offset >= std::chrono::minutes(24 * 60))
    fail(errc::bad_argument, "Date: zone offset out of range");
  else
    st_->date.emplace(t, offset);
  return *this;
}

message_builder& message_builder::message_id(std::string_view id) {
  std::string norm;
  if (has_unsafe(id))
    fail(errc::unsafe_header, "Message-ID: CR, LF or NUL in \"" + printable(id) + "\"");
  else if (!normalise_msg_id(id, norm))
    fail(errc::bad_argument, "Message-ID: bad msg-id \"" + printable(id) + "\"");
  else
    st_->message_id = std::move(norm);
  return *this;
}

message_builder& message_builder::in_reply_to(std::string_view ids) {
  std::string norm;
  if (has_unsafe(ids))
    fail(errc::unsafe_header, "In-Reply-To: CR, LF or NUL in \"" + printable(ids) + "\"");
  else if (!normalise_msg_id_list(ids, norm))
    fail(errc::bad_argument, "In-Reply-To: bad msg-id list \"" + printable(ids) + "\"");
  else
    st_->in_reply_to = std::move(norm);
  return *this;
}

message_builder& message_builder::references(std::string_view ids) {
  std::string norm;
  if (has_unsafe(ids))
    fail(errc::unsafe_header, "References: CR, LF or NUL in \"" + printable(ids) + "\"");
  else if (ids.size() > opts_.max_header_value || !normalise_msg_id_list(ids, norm))
    fail(errc::bad_argument, "References: bad msg-id list \"" + printable(ids) + "\"");
  else
    st_->references = std::move(norm);
  return *this;
}

message_builder& message_builder::header(std::string_view name, std::string_view value) {
  // RFC 5322 §3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126.
  if (name.empty() || name.size() > 76 || std::any_of(name.begin(), name.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 33 || c > 126 || c == ':';
      })) {
    fail(has_unsafe(name) ? errc::unsafe_header : errc::bad_header_name,
         "bad header name \"" + printable(name) + "\"");
  } else if (is_builder_header(name)) {
    fail(errc::bad_header_name,
         "header \"" + std::string(name) + "\" is written by the builder; use its setter");
  } else if (has_unsafe(value)) {
    fail(errc::unsafe_header,
         std::string(name) + ": CR, LF or NUL in value \"" + printable(value) + "\"");
  } else if (!is_valid_utf8(value)) {
    fail(errc::bad_argument, std::string(name) + ": value is not valid UTF-8");
  } else if (value.size() > opts_.max_header_value) {
    fail(errc::limit_exceeded, std::string(name) + ": value longer than the limit");
  } else {
    st_->headers.emplace_back(std::string(name), std::string(value));
  }
  return *this;
}

// ---------------------------------------------------------------------- bodies

message_builder& message_builder::text(std::string_view utf8) {
  if (!is_valid_utf8(utf8))
    fail(errc::bad_argument, "text body is not valid UTF-8");
  else
    st_->text = std::string(utf8);
  return *this;
}

message_builder& message_builder::html(std::string_view utf8) {
  if (!is_valid_utf8(utf8))
    fail(errc::bad_argument, "html body is not valid UTF-8");
  else
    st_->html = std::string(utf8);
  return *this;
}

namespace {
bool check_part(std::string_view filename, std::string_view media_type, std::string& why) {
  if (!valid_filename(filename, why)) return false;
  if (!media_type.empty() && !is_valid_media_type(media_type)) {
    why = "bad media type \"" + printable(media_type) + "\"";
    return false;
  }
  return true;
}

bool check_content_id(std::string& cid) {
  if (cid.size() >= 2 && cid.front() == '<' && cid.back() == '>')
    cid = cid.substr(1, cid.size() - 2);
  if (cid.empty() || cid.size() > 200) return false;
  for (unsigned char c : cid)
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\') return false;
  return true;
}

bool check_readable(const std::string& path, std::string& why) {
  struct stat st {};
  if (has_unsafe(path)) {
    why = "CR, LF or NUL in the path";
    return false;
  }
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return false;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    why = std::strerror(errno);
    return false;
  }
  std::fclose(f);
  return true;
}
}  // namespace

message_builder& message_builder::inline_data(std::string content_id, std::string data,
                                              std::string_view filename,
                                              std::string_view media_type) {
  std::string why;
  if (!check_content_id(content_id)) {
    fail(errc::bad_argument, "bad Content-ID \"" + printable(content_id) + "\"");
  } else if (!check_part(filename, media_type, why)) {
    fail(errc::bad_argument, "inline part \"" + printable(filename) + "\": " + why);
  } else if (st_->inlines.size() + st_->attachments.size() >= opts_.max_attachments) {
    fail(errc::limit_exceeded, "too many attachments");
  } else {
    part_spec p;
    p.k = part_spec::kind::memory;
    p.data = std::make_shared<const std::string>(std::move(data));
    p.filename = std::string(filename);
    p.media_type = std::string(media_type.empty() ? media_type_for_filename(filename) : media_type);
    p.content_id = std::move(content_id);
    st_->inlines.push_back(std::move(p));
  }
  return *this;
}

message_builder& message_builder::inline_file(std::string content_id, std::string path,
                                              std::string_view media_type) {
  std::string why;
  const std::string filename = base_name(path);
  if (!check_content_id(content_id)) {
    fail(errc::bad_argument, "bad Content-ID \"" + printable(content_id) + "\"");
  } else if (!check_readable(path, why)) {
    fail(errc::file_error, "cannot read \"" + printable(path) + "\": " + why);
  } else if (!check_part(filename, media_type, why)) {
    fail(errc::bad_argument, "inline part \"" + printable(path) + "\": " + why);
  } else if (st_->inlines.size() + st_->attachments.size() >= opts_.max_attachments) {
    fail(errc::limit_exceeded, "too many attachments");
  } else {
    part_spec p;
    p.k = part_spec::kind::file;
    p.path = std::move(path);
    p.filename = filename;
    p.media_type = std::string(media_type.empty() ? media_type_for_filename(filename) : media_type);
    p.content_id = std::move(content_id);
    st_->inlines.push_back(std::move(p));
  }
  return *this;
}

message_builder& message_builder::attach(std::string data, std::string_view filename,
                                         std::string_view media_type) {
  std::string why;
  if (filename.empty()) {
    fail(errc::bad_argument, "attachment without a filename");
  } else if (!check_part(filename, media_type, why)) {
    fail(errc::bad_argument, "attachment \"" + printable(filename) + "\": " + why);
  } else if (st_->inlines.size() + st_->attachments.size() >= opts_.max_attachments) {
    fail(errc::limit_exceeded, "too many attachments");
  } else {
    const std::string_view type =
        media_type.empty() ? media_type_for_filename(filename) : media_type;
    if (iequals(type, "message/rfc822")) return attach_message(std::move(data), filename);
    part_spec p;
    p.k = part_spec::kind::memory;
    p.data = std::make_shared<const std::string>(std::move(data));
    p.filename = std::string(filename);
    p.media_type = std::string(type);
    st_->attachments.push_back(std::move(p));
  }
  return *this;
}

message_builder& message_builder::attach_file(std::string path, std::string_view filename,
                                              std::string_view media_type) {
  std::string why;
  const std::string name = filename.empty() ? base_name(path) : std::string(filename);
  if (!check_readable(path, why)) {
    fail(errc::file_error, "cannot read \"" + printable(path) + "\": " + why);
  } else if (name.empty()) {
    fail(errc::bad_argument, "attachment without a filename: \"" + printable(path) + "\"");
  } else if (!check_part(name, media_type, why)) {
    fail(errc::bad_argument, "attachment \"" + printable(name) + "\": " + why);
  } else if (st_->inlines.size() + st_->attachments.size() >= opts_.max_attachments) {
    fail(errc::limit_exceeded, "too many attachments");
  } else {
    const std::string_view type = media_type.empty() ? media_type_for_filename(name) : media_type;
    if (iequals(type, "message/rfc822")) return attach_message_file(std::move(path), name);
    part_spec p;
    p.k = part_spec::kind::file;
    p.path = std::move(path);
    p.filename = name;
    p.media_type = std::string(type);
    st_->attachments.push_back(std::move(p));
  }
  return *this;
}

message_builder& message_builder::attach_message(std::string raw, std::string_view filename) {
  std::string why;
  if (!check_part(filename, {}, why)) {
    fail(errc::bad_argument, "attachment \"" + printable(filename) + "\": " + why);
  } else if (st_->inlines.size() + st_->attachments.size() >= opts_.max_attachments) {
    fail(errc::limit_exceeded, "too many attachments");
  } else {
    part_spec p;
    p.k = part_spec::kind::message_memory;
    p.data = std::make_shared<const std::string>(std::move(raw));
    p.filename = std::string(filename);
    p.media_type = "message/rfc822";
    st_->attachments.push_back(std::move(p));
  }
  return *this;
}

message_builder& message_builder::attach_message_file(std::string path, std::string_view filename) {
  std::string why;
  const std::string name = filename.empty() ? base_name(path) : std::string(filename);
  if (!check_readable(path, why)) {
    fail(errc::file_error, "cannot read \"" + printable(path) + "\": " + why);
  } else if (!check_part(name, {}, why)) {
    fail(errc::bad_argument, "attachment \"" + printable(name) + "\": " + why);
  } else if (st_->inlines.size() + st_->attachments.size() >= opts_.max_attachments) {
    fail(errc::limit_exceeded, "too many attachments");
  } else {
    part_spec p;
    p.k = part_spec::kind::message_file;
    p.path = std::move(path);
    p.filename = name;
    p.media_type = "message/rfc822";
    st_->attachments.push_back(std::move(p));
  }
  return *this;
}

message_builder& message_builder::boundary_seed(std::uint64_t seed) {
  st_->seed = seed;
  return *this;
}

// ---------------------------------------------------------------------- envelope

std::string message_builder::envelope_sender() const {
  if (st_->sender) return st_->sender->addr_spec();
  const auto all = flatten(st_->from);
  return all.empty() ? std::string() : all.front().addr_spec();
}

std::vector<std::string> message_builder::envelope_recipients() const {
  std::vector<std::string> out;
  for (const auto* list : {&st_->to, &st_->cc, &st_->bcc})
    for (const auto& m : flatten(*list)) {
      std::string a = m.addr_spec();
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
    }
  return out;
}

// ---------------------------------------------------------------------- building

std::error_code message_builder::validate() const {
  builder_detail::plan p;
  return make_plan(p);
}

std::error_code message_builder::make_plan(builder_detail::plan& p) const {
  if (error_) return error_;
  std::string why;
  const std::error_code ec = builder_detail::build_plan(*st_, opts_, p, why);
  if (ec) error_text_ = std::move(why);
  return ec;
}

std::string message_builder::to_string(std::error_code& ec) const {
  builder_detail::plan p;
  ec = make_plan(p);
  if (ec) return {};
  std::string out;
  out.reserve(static_cast<std::size_t>(p.total));
  string_sink sink(out);
  builder_detail::pump(p, sink, ec);
  if (ec) return {};
  return out;
}

std::string message_builder::to_string() const {
  std::error_code ec;
  std::string out = to_string(ec);
  if (ec) throw mailproto::error(ec, error_text_.empty() ? ec.message() : error_text_);
  return out;
}

void message_builder::write_to(byte_sink& sink, std::error_code& ec) const {
  builder_detail::plan p;
  ec = make_plan(p);
  if (ec) return;
  builder_detail::pump(p, sink, ec);
}

std::unique_ptr<byte_source> message_builder::source(std::error_code& ec) const {
  builder_detail::plan p;
  ec = make_plan(p);
  if (ec) return nullptr;
  return builder_detail::make_source(std::move(p));
}

std::optional<std::uint64_t> message_builder::size(std::error_code& ec) const {
  builder_detail::plan p;
  ec = make_plan(p);
  if (ec) return std::nullopt;
  return p.total;
}

}  // namespace mailproto::mime
