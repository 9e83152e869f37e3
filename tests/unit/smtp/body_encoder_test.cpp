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
