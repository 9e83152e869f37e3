// JSON rendering of a parsed entity tree (used by `mailproto parse --json` and the tests).
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/message.hpp>

#include <openssl/evp.h>

namespace mailproto::mime {
namespace {

void put_string(std::string& out, std::string_view s) {
  std::string fixed;
  if (!is_valid_utf8(s)) {
    std::error_code ec;
    fixed = to_utf8(s, "utf-8", ec);
    s = fixed;
  }
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 15]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void put_opt(std::string& out, const std::string& s) {
  if (s.empty())
    out += "null";
  else
    put_string(out, s);
}

void render(const entity& e, std::string& out) {
  out += "{\"headers\": [";
  bool first = true;
  for (const auto& h : e.headers) {
    if (!first) out += ", ";
    first = false;
    out += "[";
    put_string(out, h.name);
    out += ", ";
    put_string(out, h.decoded());
    out += "]";
  }
  out += "], \"content_type\": ";
  put_string(out, e.content_type.full());
  out += ", \"params\": {";
  first = true;
  for (const auto& p : e.content_type.params) {
    if (!first) out += ", ";
    first = false;
    put_string(out, p.first);
    out += ": ";
    put_string(out, p.second);
  }
  out += "}, \"disposition\": ";
  put_opt(out, e.disposition.type);
  out += ", \"filename\": ";
  put_opt(out, e.filename);
  out += ", \"charset\": ";
  put_opt(out, e.charset);
  if (e.container) {
    out += ", \"size\": null, \"sha256\": null";
  } else {
    out += ", \"size\": " + std::to_string(e.body.size()) + ", \"sha256\": \"" +
           sha256_hex(e.body) + "\"";
  }
  out += ", \"defects\": [";
  first = true;
  for (const auto& d : e.defects) {
    if (!first) out += ", ";
    first = false;
    put_string(out, to_string(d.kind));
  }
  out += "], \"parts\": [";
  first = true;
  for (const auto& c : e.parts) {
    if (!first) out += ", ";
    first = false;
    render(c, out);
  }
  out += "]";
  if (!e.container && e.is_text()) {
    out += ", \"text\": ";
    put_string(out, e.text());
  }
  out += "}";
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string r;
  for (unsigned int i = 0; i < len; ++i) {
    r.push_back(hex[md[i] >> 4]);
    r.push_back(hex[md[i] & 15]);
  }
  return r;
}

std::string to_json(const entity& e) {
  std::string out;
  render(e, out);
  return out;
}

}  // namespace mailproto::mime
