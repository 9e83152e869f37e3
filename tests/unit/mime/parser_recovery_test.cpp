// Unit tests of the parser's recoveries that follow stalwart mail-parser (see
// tests/data/mime-expectations/stalwart.txt): a message/rfc822 body that is not a message,
// and a base64 body that was never encoded, are kept raw as leaves (with a typed defect);
// each decision is the same for every chunking of the input and stays bounded.
#include <mailproto/mime/parser.hpp>

#include <catch2/catch.hpp>

#include "parser_test_util.hpp"

using namespace mailproto::mime;
using parser_test::dump;

namespace {

void check_every_split(const std::string& msg, const parser_limits& lim = {}) {
  std::string whole = dump(parse_message(msg, lim));
  for (std::size_t at = 0; at <= msg.size(); ++at) {
    INFO("split at " << at);
    REQUIRE(dump(parser_test::parse_split(msg, at, lim)) == whole);
  }
  for (std::size_t chunk : {1, 2, 3, 7, 64, 1000}) {
    INFO("chunk " << chunk);
    REQUIRE(dump(parser_test::parse_chunked(msg, chunk, lim)) == whole);
  }
}

std::string part_message(const std::string& part_headers, const std::string& part_body) {
  return "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhello\n"
         "--B\n" +
         part_headers + "\n" + part_body + "\n--B--\n";
}

}  // namespace

TEST_CASE("parser: message/rfc822 whose body is not a message", "[mime][parser]") {
  SECTION("a first line that is no header field: a leaf with the raw body") {
    std::string msg = part_message(
        "Content-Type: message/rfc822\nContent-Disposition: attachment; filename=\"b.eml\"\n",
        "this attachment is not a valid eml, sorry!\nSubject: not a header either\n");
    auto m = parse_message(msg);
    REQUIRE(m.root().parts.size() == 2);
    const entity& e = m.root().parts[1];
    CHECK(e.content_type.full() == "message/rfc822");
    CHECK_FALSE(e.container);
    CHECK(e.parts.empty());
    CHECK(e.body == "this attachment is not a valid eml, sorry!\nSubject: not a header either\n");
    CHECK(e.has_defect(defect_kind::missing_header_body_separator));
    CHECK(e.filename == "b.eml");
    CHECK(e.body_offset < e.end_offset);
    CHECK(std::string_view(msg).substr(e.body_offset, e.end_offset - e.body_offset) == e.body);
    check_every_split(msg);
  }
  SECTION("a body that starts with a header field is a nested message") {
    std::string msg = part_message("Content-Type: message/rfc822\n",
                                   "Subject: inner\nContent-Type: text/plain\n\ninner body");
    auto m = parse_message(msg);
    const entity& e = m.root().parts[1];
    CHECK(e.container);
    CHECK_FALSE(e.has_defect(defect_kind::missing_header_body_separator));
    REQUIRE(e.parts.size() == 1);
    CHECK(e.parts[0].headers.get("subject") == "inner");
    CHECK(e.parts[0].body == "inner body");
    check_every_split(msg);
  }
  SECTION("an mbox From line before the nested message's header is skipped") {
    std::string msg = part_message("Content-Type: message/rfc822\n",
                                   "From bob@example.net Tue May 10 11:28:07 2005\nSubject: "
                                   "fwd\n\nforwarded");
    auto m = parse_message(msg);
    const entity& e = m.root().parts[1];
    REQUIRE(e.parts.size() == 1);
    CHECK(e.parts[0].headers.size() == 1);
    CHECK(e.parts[0].headers.get("subject") == "fwd");
    CHECK(e.parts[0].body == "forwarded");
    CHECK_FALSE(e.parts[0].has_defect(defect_kind::missing_header_body_separator));
    check_every_split(msg);
  }
  SECTION("an empty header block and an empty body stay messages") {
    auto m = parse_message(part_message("Content-Type: message/rfc822\n", "\nbody only"));
    REQUIRE(m.root().parts[1].parts.size() == 1);
    CHECK(m.root().parts[1].parts[0].body == "body only");
    auto e = parse_message("Content-Type: message/rfc822\n\n");
    CHECK(e.root().container);
    REQUIRE(e.root().parts.size() == 1);
    CHECK(e.root().parts[0].headers.empty());
    auto eof = parse_message("Content-Type: message/rfc822\n\nSubject: cut");
    REQUIRE(eof.root().parts.size() == 1);
    CHECK(eof.root().parts[0].headers.get("subject") == "cut");
  }
  SECTION("a first line longer than a header line may be is decided on its start") {
    parser_limits lim;
    lim.max_header_line = 40;
    std::string prose(300, 'x');
    for (std::size_t i = 7; i < prose.size(); i += 8) prose[i] = ' ';
    std::string msg = "Content-Type: message/rfc822\n\n" + prose + "\nend\n";
    auto m = parse_message(msg, lim);
    CHECK_FALSE(m.root().container);
    CHECK(m.root().body == prose + "\nend\n");  // nothing truncated: it is body text
    check_every_split(msg, lim);
    // a long first line that is a header field opens the message (and is truncated there)
    std::string hdr = "Content-Type: message/rfc822\n\nX-Long: " + prose + "\n\nbody";
    auto h = parse_message(hdr, lim);
    REQUIRE(h.root().parts.size() == 1);
    CHECK(h.root().parts[0].has_defect(defect_kind::header_line_too_long));
    CHECK(h.root().parts[0].body == "body");
    check_every_split(hdr, lim);
  }
}

TEST_CASE("parser: base64 bodies that were never encoded stay raw", "[mime][parser]") {
  SECTION("RFC 2046's placeholder text") {
    std::string body =
        "... base64-encoded 8000 Hz single-channel\n    mu-law-format audio data goes here ...\n";
    std::string msg =
        part_message("Content-Type: audio/basic\nContent-Transfer-Encoding: base64\n", body);
    auto m = parse_message(msg);
    const entity& e = m.root().parts[1];
    CHECK(e.content_type.full() == "audio/basic");
    CHECK(e.body == body);
    CHECK(e.has_defect(defect_kind::bad_base64));
    check_every_split(msg);
  }
  SECTION("one stray character is skipped (RFC 2045 §6.8), later junk too") {
    std::string msg = part_message("Content-Transfer-Encoding: base64\n",
                                   "PGh0*bWw+Cg==\n... not base64 here ...\n");
    auto m = parse_message(msg);
    const entity& e = m.root().parts[1];
    CHECK(e.body.substr(0, 7) == "<html>\n");
    CHECK(e.has_defect(defect_kind::bad_base64));
    check_every_split(msg);
  }
  SECTION("clean base64 is decoded; a first line past the probe window is fine") {
    std::string line(1500, 'A');  // 1500 'A' = 1125 zero bytes, no line break for a while
    std::string msg = part_message("Content-Transfer-Encoding: base64\n", "\n" + line + "\nAQ==");
    auto m = parse_message(msg);
    const entity& e = m.root().parts[1];
    CHECK(e.body == std::string(1125, '\0') + "\x01");
    CHECK_FALSE(e.has_defect(defect_kind::bad_base64));
    check_every_split(msg);
    // junk only after the first 1024 bytes of an unbroken first line: decoded, skipped
    std::string late = std::string(1100, 'A') + "?!?" + std::string(400, 'A');
    auto j = parse_message("Content-Transfer-Encoding: base64\n\n" + late);
    CHECK(j.root().body == std::string(1125, '\0'));
    CHECK(j.root().has_defect(defect_kind::bad_base64));
  }
  SECTION("short bodies decide at the end of the entity") {
    auto raw = parse_message("Content-Transfer-Encoding: base64\n\nnot: base64!");
    CHECK(raw.root().body == "not: base64!");
    CHECK(raw.root().has_defect(defect_kind::bad_base64));
    auto ok = parse_message("Content-Transfer-Encoding: base64\n\naGk=");
    CHECK(ok.root().body == "hi");
    CHECK(ok.root().defects.empty());
    auto empty = parse_message("Content-Transfer-Encoding: base64\n\n");
    CHECK(empty.root().body.empty());
    CHECK(empty.root().defects.empty());
  }
  SECTION("streaming handlers see the raw body in chunks") {
    struct collect : parser_handler {
      std::string got;
      void on_body_chunk(const entity_head&, std::string_view d) override { got.append(d); }
    } h;
    parser p(h);
    std::error_code ec;
    std::string msg = "Content-Transfer-Encoding: base64\n\nhello, world.\nAAAA\n";
    for (char c : msg) p.feed(std::string_view(&c, 1), ec);
    p.finish(ec);
    CHECK_FALSE(ec);
    CHECK(h.got == "hello, world.\nAAAA\n");
  }
}
