// Helpers shared by the parser tests: a canonical dump of a parsed tree, and feeding a
// message in arbitrary chunkings.
#pragma once

#include <mailproto/mime/parser.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace parser_test {

inline std::string hex_prefix(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string r;
  for (unsigned char c : s) {
    r.push_back(d[c >> 4]);
    r.push_back(d[c & 15]);
  }
  return r;
}

/// Everything observable about an entity tree, as text (bodies in hex).
inline void dump(const mailproto::mime::entity& e, std::string& out, int depth = 0) {
  std::string ind(static_cast<std::size_t>(depth) * 2, ' ');
  out += ind + e.content_type.full();
  for (const auto& p : e.content_type.params) out += ";" + p.first + "=" + p.second;
  out += " cte=" + e.transfer_encoding + " cs=" + e.charset + " fn=" + e.filename +
         " disp=" + e.disposition.type + " cid=" + e.content_id;
  out += " off=" + std::to_string(e.header_offset) + "," + std::to_string(e.body_offset) + "," +
         std::to_string(e.end_offset) + (e.container ? " container" : "") + "\n";
  for (const auto& h : e.headers)
    out += ind + "H " + h.name + ":" + h.raw_value + " @" + std::to_string(h.offset) + "+" +
           std::to_string(h.length) + "\n";
  for (const auto& d : e.defects)
    out += ind + "D " + mailproto::mime::to_string(d.kind) + " @" + std::to_string(d.offset) + "\n";
  if (!e.preamble.empty()) out += ind + "P " + hex_prefix(e.preamble) + "\n";
  if (!e.container) out += ind + "B " + hex_prefix(e.body) + "\n";
  for (const auto& c : e.parts) dump(c, out, depth + 1);
  if (!e.epilogue.empty()) out += ind + "E " + hex_prefix(e.epilogue) + "\n";
}

inline std::string dump(const mailproto::mime::message& m) {
  std::string s;
  dump(m.root(), s);
  return s;
}

/// Parse `msg` fed in chunks of the given sizes (cycled); size 0 means all at once.
inline mailproto::mime::message parse_chunked(std::string_view msg, std::size_t chunk,
                                              const mailproto::mime::parser_limits& lim = {}) {
  mailproto::mime::tree_builder tb;
  mailproto::mime::parser p(tb, lim);
  std::error_code ec;
  if (chunk == 0) chunk = msg.size() ? msg.size() : 1;
  for (std::size_t i = 0; i < msg.size(); i += chunk) p.feed(msg.substr(i, chunk), ec);
  p.finish(ec);
  return tb.take();
}

/// Parse `msg` split into two pieces at `at`.
inline mailproto::mime::message parse_split(std::string_view msg, std::size_t at,
                                            const mailproto::mime::parser_limits& lim = {}) {
  mailproto::mime::tree_builder tb;
  mailproto::mime::parser p(tb, lim);
  std::error_code ec;
  p.feed(msg.substr(0, at), ec);
  p.feed(msg.substr(at), ec);
  p.finish(ec);
  return tb.take();
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string to_lf(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s)
    if (c != '\r') r.push_back(c);
  return r;
}

inline std::string to_crlf(std::string_view s) {
  std::string r;
  r.reserve(s.size() + s.size() / 20);
  for (char c : to_lf(s)) {
    if (c == '\n') r.push_back('\r');
    r.push_back(c);
  }
  return r;
}

}  // namespace parser_test
