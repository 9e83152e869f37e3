// The parser's body scan and decoders on large inputs: boundary lines are searched a window
// at a time and bodies are checked and decoded a segment at a time, so the tests put
// boundary-like lines, long lines, junk and escapes on both sides of those edges and check
// that every chunking gives the same tree as one buffer.
#include <mailproto/mime/encoding.hpp>
#include <mailproto/mime/parser.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "parser_test_util.hpp"

using namespace mailproto::mime;
using parser_test::dump;
using parser_test::parse_chunked;
using parser_test::parse_split;

namespace {

// Deterministic text lines of 70 characters plus CRLF.
std::string text_lines(std::size_t bytes, char seed) {
  std::string s;
  std::size_t i = 0;
  while (s.size() < bytes) {
    std::string line(70, 'a');
    for (std::size_t k = 0; k < line.size(); ++k)
      line[k] = static_cast<char>('a' + (static_cast<std::size_t>(seed) + i * 7 + k * 3) % 26);
    s += line + "\r\n";
    ++i;
  }
  return s;
}

// Text lines of exactly `bytes` bytes (at least 300), ending with CRLF.
std::string text_exact(std::size_t bytes, char seed) {
  std::string s = text_lines(bytes - 200, seed);
  while (s.size() > bytes - 80) s.resize(s.size() - 72);
  s += std::string(bytes - s.size() - 2, 'x') + "\r\n";
  return s;
}

std::string head(const std::string& boundary) {
  return "From: a@example.org\r\nSubject: scan\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"" +
         boundary + "\"\r\n\r\npreamble\r\n";
}

// The same tree whole, in small and odd chunks, and split around `at` (each position).
void same_everywhere(const std::string& msg, std::size_t at, std::size_t spread) {
  const std::string whole = dump(parse_message(msg));
  for (std::size_t chunk : {std::size_t(7), std::size_t(4096), std::size_t(65537)})
    CHECK(dump(parse_chunked(msg, chunk)) == whole);
  std::size_t lo = at > spread ? at - spread : 0;
  for (std::size_t s = lo; s <= at + spread && s <= msg.size(); ++s) {
    INFO("split at " << s);
    CHECK(dump(parse_split(msg, s)) == whole);
  }
}

}  // namespace

TEST_CASE("parser scan: large base64 attachment between boundaries", "[mime][parser]") {
  std::string data;
  for (std::size_t i = 0; i < 300000; ++i) data.push_back(static_cast<char>((i * 131) % 251));
  std::string msg = head("b") +
                    "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                    "--b\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::size_t body_at = msg.size();
  std::string enc = base64_encode(data, 76);
  msg += enc + "\r\n--b--\r\n";
  message m = parse_message(msg);
  REQUIRE(m.root().parts.size() == 2);
  const entity& att = m.root().parts[1];
  CHECK(att.body == data);
  CHECK(att.defects.empty());
  CHECK(att.body_offset == body_at);
  CHECK(att.end_offset == body_at + enc.size());
  same_everywhere(msg, body_at + 64 * 1024, 4);
  same_everywhere(msg, body_at + 2 * 64 * 1024 + 1, 3);
}

TEST_CASE("parser scan: lines starting with -- at every distance from a window edge",
          "[mime][parser]") {
  // An identity body whose text has a "--" line that is not a boundary, a boundary-like
  // line of a different boundary, and a lone "-" line near 64 KiB from the body start.
  for (std::size_t shift = 0; shift < 8; ++shift) {
    INFO("shift " << shift);
    // the first "--" line starts `shift` bytes before the 64 KiB edge .. after it
    std::string text = text_exact(64 * 1024 - 4 + shift, 'k');
    text += "-- not a boundary\r\n--bb also not\r\n-\r\n--\r\n";
    text += text_lines(70000, 'q');
    std::string msg = head("bbb") + "--bbb\r\nContent-Type: text/plain\r\n\r\n";
    const std::size_t body_at = msg.size();
    msg += text + "--bbb\r\nContent-Type: text/plain\r\n\r\ntail\r\n--bbb--\r\n";
    message m = parse_message(msg);
    REQUIRE(m.root().parts.size() == 2);
    // the line break before the boundary line belongs to it (RFC 2046 §5.1.1)
    CHECK(m.root().parts[0].body == text.substr(0, text.size() - 2));
    CHECK(m.root().parts[1].body == "tail");
    CHECK(m.root().defects.empty());
    same_everywhere(msg, body_at + 64 * 1024, 3);
  }
}

TEST_CASE("parser scan: a boundary line right at a window edge", "[mime][parser]") {
  for (std::size_t shift = 0; shift < 8; ++shift) {
    INFO("shift " << shift);
    std::string msg = head("edge") + "--edge\r\nContent-Type: text/plain\r\n\r\n";
    const std::size_t body_at = msg.size();
    // the line break before the boundary line lies around the 64 KiB edge
    std::string text = text_exact(64 * 1024 - 4 + shift, 'c');
    msg += text + "--edge--\r\nepilogue\r\n";
    message m = parse_message(msg);
    REQUIRE(m.root().parts.size() == 1);
    CHECK(m.root().parts[0].body == text.substr(0, text.size() - 2));
    CHECK(m.root().epilogue == "epilogue\r\n");
    CHECK(m.root().defects.empty());
    same_everywhere(msg, body_at + text.size(), 4);
  }
}

TEST_CASE("parser scan: a line longer than a window", "[mime][parser]") {
  std::string long_line(200000, 'z');
  long_line[100000] = '-';
  std::string msg = head("L") + "--L\r\nContent-Type: text/plain\r\n\r\n" + long_line +
                    "\r\n--L\r\n\r\n--x\r\n-\r\n--L--";
  message m = parse_message(msg);
  REQUIRE(m.root().parts.size() == 2);
  CHECK(m.root().parts[0].body == long_line);
  CHECK(m.root().parts[1].body == "--x\r\n-");
  same_everywhere(msg, msg.size() - 20, 20);
}

TEST_CASE("parser scan: junk in a large base64 body after the first segment", "[mime][parser]") {
  std::string data(200000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::string enc = base64_encode(data, 76);
  enc.insert(100 * 78, "*junk*\r\n");  // past the first 32 KiB checked
  std::string msg = head("j") +
                    "--j\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n";
  const std::size_t body_at = msg.size();
  msg += enc + "\r\n--j--\r\n";
  message m = parse_message(msg);
  REQUIRE(m.root().parts.size() == 1);
  const entity& e = m.root().parts[0];
  REQUIRE(e.defects.size() == 1);
  CHECK(e.defects[0].kind == defect_kind::bad_base64);
  CHECK(e.defects[0].offset == body_at);
  // "junk" is four alphabet characters: one 3-byte group more than the data
  CHECK(e.body.size() == data.size() + 3);
  same_everywhere(msg, body_at + 32 * 1024, 2);
}

TEST_CASE("parser scan: quoted-printable bodies, fast and slow paths agree", "[mime][parser]") {
  struct vec {
    const char* in;
    const char* out;
  };
  const vec vecs[] = {
      {"caf=C3=A9 na=c3=afve\r\n", "caf\xc3\xa9 na\xc3\xafve\r\n"},
      {"soft=\r\nbreak and soft=\nLF\r\n", "softbreak and softLF\r\n"},
      {"trailing blanks \t \r\nnext", "trailing blanks\r\nnext"},
      {"trailing blanks LF  \nnext", "trailing blanks LF\nnext"},
      {"blanks  \t before = sign", "blanks  \t before = sign"},
      {"inner  blanks\tand\t\ttabs", "inner  blanks\tand\t\ttabs"},
      {"bare\rCR and =\r\n", "bare\rCR and "},
      {"bad =ZZ escape and =4", "bad =ZZ escape and =4"},
      {"lower =e9 and =\tX", "lower \xe9 and =\tX"},
      {"1234567890123456 =41=42=43 0123456789abcdef=\r\nend",
       "1234567890123456 ABC "
       "0123456789abcdefend"},
  };
  for (const vec& v : vecs) {
    INFO(v.in);
    std::string msg =
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n\r\n" +
        std::string(v.in);
    message m = parse_message(msg);
    CHECK(m.root().body == v.out);
    CHECK(dump(parse_chunked(msg, 1)) == dump(m));
    CHECK(dump(parse_chunked(msg, 3)) == dump(m));
    CHECK(qp_decode(v.in) == v.out);
  }
  // blank runs at and around the decoder's hold-back bound (1024)
  for (std::size_t run : {1022, 1023, 1024, 1025, 2050}) {
    for (const char* after : {"x", "\r\n", "\n"}) {
      std::string in = "a" + std::string(run, ' ') + after + "b";
      std::string one = qp_decode(in);
      qp_decoder d;
      std::string bytewise;
      std::error_code ec;
      for (char c : in) d.update(std::string_view(&c, 1), bytewise, ec);
      d.finish(bytewise, ec);
      CHECK(one == bytewise);
      if (after[0] == 'x') CHECK(one == in);
    }
  }
}

TEST_CASE("parser scan: large quoted-printable body with a bad escape late", "[mime][parser]") {
  std::string text;
  while (text.size() < 100000) text += "na=C3=AFve caf=C3=A9 stra=C3=9Fe  soft =\r\nline\r\n";
  text += "then =X1 bad\r\n";
  std::string msg = head("q") +
                    "--q\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  const std::size_t body_at = msg.size();
  msg += text + "--q--\r\n";
  message m = parse_message(msg);
  REQUIRE(m.root().parts.size() == 1);
  const entity& e = m.root().parts[0];
  REQUIRE(e.defects.size() == 1);
  CHECK(e.defects[0].kind == defect_kind::bad_quoted_printable);
  CHECK(e.defects[0].offset == body_at);
  CHECK(e.body == qp_decode(text.substr(0, text.size() - 2)));
  same_everywhere(msg, body_at + 32 * 1024, 2);
}
