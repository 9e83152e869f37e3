// The body encoder's run-copying fast path against a byte-at-a-time reference of RFC 5321
// §2.3.8 (CRLF normalisation) and §4.5.2 (dot-stuffing), in every chunking; and the RFC
// 1870 §3 size against what the encoder really produces.
#include "../../../src/smtp/body_encoder.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using mailproto::smtp::detail::body_encoder;

namespace {

// The rules spelled out one byte at a time (what the encoder did before its fast path).
std::string reference(std::string_view in, bool stuff, bool terminate) {
  std::string out;
  bool line_start = true, cr = false;
  for (char c : in) {
    if (cr) {
      cr = false;
      out += '\n';
      line_start = true;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      out += '\r';
      cr = true;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (line_start && c == '.' && stuff) out += '.';
    line_start = false;
    out += c;
  }
  if (cr) {
    out += '\n';
    line_start = true;
  }
  if (!line_start) out += "\r\n";
  if (terminate) out += ".\r\n";
  return out;
}

std::string encode(std::string_view in, body_encoder::mode m, std::size_t piece) {
  body_encoder e(m);
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += piece) e.encode(in.substr(i, piece), out);
  e.finish(out);
  return out;
}

std::vector<std::string> samples() {
  std::vector<std::string> v = {"",
                                ".",
                                "..",
                                "\r",
                                "\n",
                                "\r\n",
                                "a",
                                "a\r",
                                ".\r\n.\r\n",
                                "x\n.\n..\r\n.y\rz",
                                "Subject: x\n\n.dot",
                                "line\r\r\n.\r\r.\n\n",
                                "no final line end"};
  std::mt19937 rng(20261128);
  const char alphabet[] = {'a', 'b', '.', '\r', '\n', ' '};
  for (int i = 0; i < 300; ++i) {
    std::string s(rng() % 40, ' ');
    for (auto& c : s) c = alphabet[rng() % sizeof alphabet];
    v.push_back(s);
  }
  return v;
}

}  // namespace

TEST_CASE("smtp body encoder: fast path equals the byte-wise rules", "[smtp][body]") {
  for (const auto& s : samples()) {
    CAPTURE(s);
    const std::string data = reference(s, true, true);
    const std::string bdat = reference(s, false, false);
    for (std::size_t piece :
         {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, s.size() + 1}) {
      CAPTURE(piece);
      CHECK(encode(s, body_encoder::mode::data, piece) == data);
      CHECK(encode(s, body_encoder::mode::bdat, piece) == bdat);
      CHECK(encode(s, body_encoder::mode::binary, piece) == s);
    }
  }
}

TEST_CASE("smtp body encoder: RFC 1870 size is what is transmitted", "[smtp][body]") {
  for (const auto& s : samples()) {
    CAPTURE(s);
    // BDAT sends exactly the RFC 1870 count; DATA adds only the stuffed dots and ".\r\n".
    CHECK(body_encoder::transmitted_size(s, body_encoder::mode::bdat) ==
          encode(s, body_encoder::mode::bdat, s.size() + 1).size());
    CHECK(body_encoder::transmitted_size(s, body_encoder::mode::binary) == s.size());
  }
  CHECK(body_encoder::transmitted_size("Subject: x\n\n.dot", body_encoder::mode::bdat) == 20);
  CHECK(body_encoder::transmitted_size("a\r\n", body_encoder::mode::bdat) == 3);
}

namespace {

// Bodies made of CRLF lines (lengths 0..40, some starting with "."), about half of them with
// one defect put in at a random place (a bare CR, a bare LF, a "." after a line break), so
// that both answers of body_encoder::plain come up at every offset of its 16-byte blocks.
std::vector<std::string> line_bodies() {
  std::vector<std::string> v;
  std::mt19937 rng(20261129);
  const char alphabet[] = {'a', 'b', ' ', '.'};
  for (int i = 0; i < 3000; ++i) {
    std::string s;
    const int lines = static_cast<int>(rng() % 8);
    for (int l = 0; l < lines; ++l) {
      const std::size_t len = rng() % 40;
      for (std::size_t k = 0; k < len; ++k) s += alphabet[rng() % sizeof alphabet];
      if (l + 1 < lines || rng() % 2) s += "\r\n";
    }
    if (!s.empty() && rng() % 2) {
      const std::size_t at = rng() % (s.size() + 1);
      const char* defects[] = {"\r", "\n", "\r\n.", "\n.", "x\r"};
      s.insert(at, defects[rng() % 5]);
    }
    v.push_back(s);
  }
  for (const auto& s : samples()) v.push_back(s);
  return v;
}

}  // namespace

TEST_CASE("smtp body encoder: plain() is exactly 'encoding changes nothing but the end'",
          "[smtp][body]") {
  int plain_data = 0, plain_bdat = 0, total = 0;
  for (const auto& s : line_bodies()) {
    CAPTURE(s);
    ++total;
    const std::string end = s.empty() || s.back() == '\n' ? "" : "\r\n";
    const bool data_same = reference(s, true, false) == s + end;
    const bool bdat_same = reference(s, false, false) == s + end;
    CHECK(body_encoder::plain(s, true) == data_same);
    CHECK(body_encoder::plain(s, false) == bdat_same);
    plain_data += data_same;
    plain_bdat += bdat_same;
    if (!data_same) continue;
    // A plain body copied in pieces (append_plain) ends exactly as encode() makes it.
    for (std::size_t piece : {std::size_t{1}, std::size_t{5}, std::size_t{16}, s.size() + 1}) {
      CAPTURE(piece);
      body_encoder e(body_encoder::mode::data);
      std::string out;
      for (std::size_t i = 0; i < s.size(); i += piece) e.append_plain(s.substr(i, piece), out);
      e.finish(out);
      CHECK(out == encode(s, body_encoder::mode::data, s.size() + 1));
    }
    // And its RFC 1870 size is its length plus the CRLF a last line without one gets.
    CHECK(body_encoder::transmitted_size(s, body_encoder::mode::bdat) == s.size() + end.size());
  }
  // Both answers came up often enough to mean something.
  CHECK(plain_data > total / 5);
  CHECK(total - plain_data > total / 5);
  CHECK(plain_bdat > plain_data);
}
