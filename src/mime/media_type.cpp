// Built-in extension table for attachments (IANA media types registry, RFC 6838).
#include <mailproto/mime/media_type.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace mailproto::mime {
namespace {

struct entry {
  std::string_view ext;  // lower case, without the dot
  std::string_view type;
};

// Sorted by extension (checked by a unit test), searched with std::lower_bound.
constexpr std::array<entry, 37> table{{
    {"7z", "application/x-7z-compressed"},
    {"bmp", "image/bmp"},
    {"csv", "text/csv"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"eml", "message/rfc822"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ics", "text/calendar"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"md", "text/markdown"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ogg", "audio/ogg"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"rar", "application/vnd.rar"},
    {"rtf", "application/rtf"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tgz", "application/gzip"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"txt", "text/plain"},
    {"wav", "audio/wav"},
    {"webp", "image/webp"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"xml", "application/xml"},
}};

static_assert(std::is_sorted(table.begin(), table.end(),
                             [](const entry& a, const entry& b) { return a.ext < b.ext; }));

constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// RFC 2045 §5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>
bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("()<>@,;:\\\"/[]?=").find(char(c)) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::string_view media_type_for_filename(std::string_view filename) noexcept {
  constexpr std::string_view fallback = "application/octet-stream";
  const auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  const auto dot = filename.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? filename : filename.substr(dot + 1);
  char buf[8];
  if (ext.empty() || ext.size() > sizeof buf) return fallback;
  for (std::size_t i = 0; i < ext.size(); ++i) buf[i] = lower(ext[i]);
  const std::string_view key(buf, ext.size());
  const auto it = std::lower_bound(table.begin(), table.end(), key,
                                   [](const entry& e, std::string_view k) { return e.ext < k; });
  return it != table.end() && it->ext == key ? it->type : fallback;
}

bool is_valid_media_type(std::string_view s) noexcept {
  const auto slash = s.find('/');
  return slash != std::string_view::npos && is_token(s.substr(0, slash)) &&
         is_token(s.substr(slash + 1));
}

bool is_text_media_type(std::string_view s) noexcept {
  if (s.size() < 5) return false;
  for (std::size_t i = 0; i < 5; ++i)
    if (lower(s[i]) != "text/"[i]) return false;
  return true;
}

}  // namespace mailproto::mime
