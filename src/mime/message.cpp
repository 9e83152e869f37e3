// The parsed message tree: defects, text conversion and look-ups.
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/message.hpp>

namespace mailproto::mime {

const char* to_string(defect_kind k) noexcept {
  switch (k) {
    case defect_kind::missing_header_body_separator:
      return "missing_header_body_separator";
    case defect_kind::continuation_without_field:
      return "continuation_without_field";
    case defect_kind::bad_header_name:
      return "bad_header_name";
    case defect_kind::header_line_too_long:
      return "header_line_too_long";
    case defect_kind::too_many_headers:
      return "too_many_headers";
    case defect_kind::header_block_too_long:
      return "header_block_too_long";
    case defect_kind::invalid_utf8_header:
      return "invalid_utf8_header";
    case defect_kind::bad_content_type:
      return "bad_content_type";
    case defect_kind::duplicate_content_type:
      return "duplicate_content_type";
    case defect_kind::duplicate_transfer_encoding:
      return "duplicate_transfer_encoding";
    case defect_kind::multipart_without_boundary:
      return "multipart_without_boundary";
    case defect_kind::missing_start_boundary:
      return "missing_start_boundary";
    case defect_kind::missing_end_boundary:
      return "missing_end_boundary";
    case defect_kind::bad_base64:
      return "bad_base64";
    case defect_kind::bad_quoted_printable:
      return "bad_quoted_printable";
    case defect_kind::unknown_transfer_encoding:
      return "unknown_transfer_encoding";
    case defect_kind::encoded_composite:
      return "encoded_composite";
    case defect_kind::nesting_too_deep:
      return "nesting_too_deep";
    case defect_kind::too_many_parts:
      return "too_many_parts";
    case defect_kind::unknown_charset:
      return "unknown_charset";
    case defect_kind::bad_charset_data:
      return "bad_charset_data";
  }
  return "unknown";
}

bool entity_head::is_attachment() const noexcept {
  if (container) return false;
  if (disposition.type == "attachment") return true;
  if (disposition.type == "inline") return false;
  return !filename.empty() && !is_text();
}

bool entity_head::has_defect(defect_kind k) const noexcept {
  for (const auto& d : defects)
    if (d.kind == k) return true;
  return false;
}

namespace {
bool is_utf8_name(std::string_view cs) {
  return cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "utf-8" || cs == "utf8" ||
         cs == "unicode-1-1-utf-8";
}
}  // namespace

std::string entity::text(std::error_code& ec) const {
  ec.clear();
  if (is_utf8_name(charset)) {
    if (is_valid_utf8(body)) return body;
    std::error_code e;
    std::string r = to_utf8(body, "utf-8", e);
    ec = make_error_code(errc::bad_charset_data);
    return r;
  }
  std::string r = to_utf8(body, charset, ec);
  if (ec == errc::unknown_charset && !is_valid_utf8(r)) {
    std::error_code e;
    r = to_utf8(body, "utf-8", e);
  }
  return r;
}

std::string entity::text() const {
  std::error_code ec;
  return text(ec);
}

namespace {
template <class F>
void walk(const entity& e, F&& f) {
  f(e);
  for (const auto& c : e.parts) walk(c, f);
}
}  // namespace

const entity* message::text_body() const noexcept {
  const entity* r = nullptr;
  walk(root_, [&](const entity& e) {
    if (!r && !e.container && e.content_type.is("text", "plain") && !e.is_attachment()) r = &e;
  });
  return r;
}

const entity* message::html_body() const noexcept {
  const entity* r = nullptr;
  walk(root_, [&](const entity& e) {
    if (!r && !e.container && e.content_type.is("text", "html") && !e.is_attachment()) r = &e;
  });
  return r;
}

std::vector<const entity*> message::attachments() const {
  std::vector<const entity*> r;
  walk(root_, [&](const entity& e) {
    if (e.is_attachment()) r.push_back(&e);
  });
  return r;
}

std::vector<const entity*> message::all() const {
  std::vector<const entity*> r;
  walk(root_, [&](const entity& e) { r.push_back(&e); });
  return r;
}

}  // namespace mailproto::mime
