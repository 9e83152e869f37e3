// Cutting a recorded session at any server byte, for the hostile-peer tests of every
// protocol (tests/unit/<proto>/hostile_*_test.cpp): a transcript file becomes items (server
// bytes, one S: line with its CRLF, or any other line kept as written), and cut_at() writes
// the transcript that ends after the k-th server byte with a chosen ending (@eof, @stall).
#pragma once

#include <mailproto/testing/transcript.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace mailproto::test_support {

struct item {
  bool server = false;
  std::string bytes;  ///< server: the bytes sent
  std::string line;   ///< otherwise: the transcript line as written
};

/// A transcript file as items.
inline std::vector<item> load_items(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::vector<item> out;
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.empty() || l[0] == '#' || l.rfind("@error", 0) == 0 || l == "@eof") continue;
    if (l.rfind("S:", 0) == 0) {
      std::string_view text(l);
      text.remove_prefix(2);
      if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
      bool crlf = true;
      std::string b = testing::unescape(text, crlf);
      if (crlf) b += "\r\n";
      out.push_back({true, std::move(b), {}});
    } else {
      out.push_back({false, {}, l});
    }
  }
  return out;
}

/// How many bytes the server sends in the whole session.
inline std::size_t server_bytes(const std::vector<item>& items) {
  std::size_t n = 0;
  for (const auto& i : items) n += i.server ? i.bytes.size() : 0;
  return n;
}

/// The session as the server cuts it after `k` of its bytes: everything before, the client
/// lines that follow a complete burst, then `ending` ("@eof" or "@stall").
inline std::string cut_at(const std::vector<item>& items, std::size_t k,
                          const std::string& ending) {
  std::string t;
  std::size_t sent = 0;
  for (const auto& i : items) {
    if (!i.server) {
      t += i.line + "\n";
      continue;
    }
    if (sent >= k) break;
    const std::size_t n = std::min(i.bytes.size(), k - sent);
    t += "S: " + testing::escape(i.bytes.substr(0, n)) + "\\\n";
    sent += n;
    if (n < i.bytes.size()) break;
  }
  return t + ending + "\n";
}

/// Offsets (in server bytes) where each burst starts: a stall there waits for a reply.
inline std::vector<std::size_t> burst_starts(const std::vector<item>& items) {
  std::vector<std::size_t> out;
  std::size_t sent = 0;
  bool in_burst = false;
  for (const auto& i : items) {
    if (i.server) {
      if (!in_burst) out.push_back(sent);
      in_burst = true;
      sent += i.bytes.size();
    } else {
      in_burst = false;
    }
  }
  return out;
}

/// Offset just after the first S: line containing `needle`.
inline std::size_t end_of_line_with(const std::vector<item>& items, const std::string& needle) {
  std::size_t sent = 0;
  for (const auto& i : items) {
    if (!i.server) continue;
    sent += i.bytes.size();
    if (i.bytes.find(needle) != std::string::npos) return sent;
  }
  FAIL("no server line with " << needle);
  return 0;
}

}  // namespace mailproto::test_support
