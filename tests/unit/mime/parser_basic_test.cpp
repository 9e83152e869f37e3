// Unit tests of the incremental MIME parser: structure, decoding, defects, limits, offsets,
// and the same result for every way of splitting the input.
#include <mailproto/mime/encoding.hpp>
#include <mailproto/mime/parser.hpp>

#include <catch2/catch.hpp>

#include "parser_test_util.hpp"

using namespace mailproto;
using namespace mailproto::mime;
using parser_test::dump;

namespace {

// Every two-piece split and byte-at-a-time feeding give the same tree as one buffer.
void check_every_split(const std::string& msg, const parser_limits& lim = {}) {
  std::string whole = dump(parse_message(msg, lim));
  for (std::size_t at = 0; at <= msg.size(); ++at) {
    INFO("split at " << at);
    REQUIRE(dump(parser_test::parse_split(msg, at, lim)) == whole);
  }
  for (std::size_t chunk : {1, 2, 3, 7, 64}) {
    INFO("chunk " << chunk);
    REQUIRE(dump(parser_test::parse_chunked(msg, chunk, lim)) == whole);
  }
}

const std::string k_multipart =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net, \"Carol C.\" <carol@example.net>\r\n"
    "Subject: =?UTF-8?B?bmjhu69uZw==?= test\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"outer\"\r\n"
    "\r\n"
    "This is the preamble.\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Caf=E9 ol=\r\n"
    "=C3=A9\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Hi</p>\r\n"
    "--inner--\r\n"
    "--outer  \r\n"
    "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''B%C3%A1o.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-ID: <part3@example.org>\r\n"
    "\r\n"
    "AAECAwQF\r\n"
    "BgcICQ==\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner message\r\n"
    "\r\n"
    "inner body\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

}  // namespace

TEST_CASE("parser: single-part message, CRLF and LF", "[mime][parser]") {
  for (std::string eol : {"\r\n", "\n"}) {
    std::string msg = "Subject: hello" + eol + " world" + eol + "X-A: 1" + eol + "X-A: 2" + eol +
                      eol + "line one" + eol + "line two" + eol;
    auto m = parse_message(msg);
    const auto& r = m.root();
    REQUIRE(r.headers.size() == 3);
    CHECK(r.headers[0].name == "Subject");
    CHECK(r.headers[0].raw_value == " hello" + eol + " world");
    CHECK(r.headers[0].value() == "hello world");
    CHECK(r.headers.count("x-a") == 2);
    CHECK(r.headers.find_all("X-A")[1]->value() == "2");
    CHECK(r.content_type.full() == "text/plain");
    CHECK_FALSE(r.content_type_explicit);
    CHECK(r.body == "line one" + eol + "line two" + eol);
    CHECK(r.body_offset == msg.find(eol + eol) + 2 * eol.size());
    CHECK(r.end_offset == msg.size());
    CHECK(r.defects.empty());
    check_every_split(msg);
  }
}

TEST_CASE("parser: nested multiparts, message/rfc822, decoding", "[mime][parser]") {
  auto m = parse_message(k_multipart);
  const auto& r = m.root();
  CHECK(r.headers.get("Subject") == "những test");
  REQUIRE(r.container);
  CHECK(r.preamble == "This is the preamble.");
  CHECK(r.epilogue == "epilogue\r\n");
  REQUIRE(r.parts.size() == 3);
  const auto& alt = r.parts[0];
  CHECK(alt.content_type.full() == "multipart/alternative");
  REQUIRE(alt.parts.size() == 2);
  CHECK(alt.parts[0].body == "Caf\xE9 ol\xC3\xA9");
  CHECK(alt.parts[0].charset == "iso-8859-1");
  CHECK(alt.parts[0].text() == "Café olÃ©");
  CHECK(alt.parts[1].body == "<p>Hi</p>");
  CHECK(alt.defects.empty());
  const auto& att = r.parts[1];
  CHECK(att.body == std::string("\0\1\2\3\4\5\6\7\x08\x09", 10));
  CHECK(att.filename == "Báo.bin");
  CHECK(att.content_id == "part3@example.org");
  CHECK(att.is_attachment());
  CHECK(att.disposition.type == "attachment");
  const auto& msgpart = r.parts[2];
  CHECK(msgpart.is_message());
  REQUIRE(msgpart.parts.size() == 1);
  CHECK(msgpart.parts[0].headers.get("subject") == "inner message");
  CHECK(msgpart.parts[0].body == "inner body");
  CHECK(msgpart.parts[0].depth == 2);
  // offsets slice the raw input
  std::string_view raw(k_multipart);
  CHECK(raw.substr(att.body_offset, att.end_offset - att.body_offset) == "AAECAwQF\r\nBgcICQ==");
  CHECK(raw.substr(att.header_offset, 13) == "Content-Type:");
  CHECK(m.attachments().size() == 1);
  CHECK(m.text_body() == &alt.parts[0]);
  CHECK(m.html_body() == &alt.parts[1]);
  for (const auto* e : m.all()) CHECK(e->defects.empty());
  check_every_split(k_multipart);
  check_every_split(parser_test::to_lf(k_multipart));
}

TEST_CASE("parser: structured header access", "[mime][parser]") {
  auto m = parse_message(k_multipart);
  std::error_code ec;
  auto to = m.headers().addresses("To", ec);
  REQUIRE_FALSE(ec);
  REQUIRE(to.size() == 2);
  CHECK(std::get<mailbox>(to[1]).name == "Carol C.");
  CHECK(std::get<mailbox>(to[1]).local == "carol");
  auto d = m.headers().date();
  REQUIRE(d);
  CHECK(d->year == 2003);
  CHECK(d->utc_offset_minutes == 120);
  CHECK(d->to_unix() == 1057049557);
}

TEST_CASE("parser: dates with obsolete forms (RFC 5322 §4.3)", "[mime][header]") {
  auto d = parse_date("1 Jan 99 10:00 EST");
  REQUIRE(d);
  CHECK(d->year == 1999);
  CHECK(d->second == 0);
  CHECK(d->utc_offset_minutes == -300);
  d = parse_date("Thu,\r\n   13\r\n  Feb\r\n    1969\r\n  23:32\r\n  -0330 (Newfoundland Time)");
  REQUIRE(d);
  CHECK(d->day == 13);
  CHECK(d->month == 2);
  CHECK(d->minute == 32);
  CHECK(d->utc_offset_minutes == -210);
  d = parse_date("Fri, 21 Nov 03 09:55:06 GMT");
  REQUIRE(d);
  CHECK(d->year == 2003);
  d = parse_date("21 Nov 103 09:55:06 UT");
  REQUIRE(d);
  CHECK(d->year == 2003);
  d = parse_date("Mon Jan  2 15:04:05 2006");
  REQUIRE(d);
  CHECK(d->year == 2006);
  CHECK(d->hour == 15);
  CHECK_FALSE(parse_date("not a date"));
  CHECK(parse_date("1 Jan 1970 00:00:00 +0000")->to_unix() == 0);
}

TEST_CASE("parser: message ids and received", "[mime][header]") {
  auto ids = parse_message_ids(" <a@b>\r\n <c@d> (comment) junk <e@f>");
  REQUIRE(ids.size() == 3);
  CHECK(ids[2] == "e@f");
  CHECK(parse_message_ids("bare@id") == std::vector<std::string>{"bare@id"});
  auto r = parse_received(
      "from mx.example.org (mx [192.0.2.1]) by mail.example.net with ESMTPS id 123abc for "
      "<bob@example.net>; Tue, 1 Jul 2003 10:52:37 +0200");
  CHECK(r.from == "mx.example.org");
  CHECK(r.by == "mail.example.net");
  CHECK(r.with == "ESMTPS");
  CHECK(r.id == "123abc");
  CHECK(r.for_ == "bob@example.net");
  REQUIRE(r.date);
  CHECK(r.date->day == 1);
}

TEST_CASE("parser: RFC 2231 parameters and media types", "[mime][header]") {
  media_type mt;
  REQUIRE(parse_media_type(
      "Application/X-Stuff (comment);\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"; Q = \"a\\\"b\"",
      mt));
  CHECK(mt.full() == "application/x-stuff");
  REQUIRE(mt.param("title"));
  CHECK(*mt.param("title") == "This is even more ***fun*** isn't it!");
  REQUIRE(mt.param("q"));
  CHECK(*mt.param("q") == "a\"b");
  CHECK_FALSE(parse_media_type("text", mt));
  CHECK_FALSE(parse_media_type("/plain", mt));
}

TEST_CASE("parser: defects instead of exceptions", "[mime][parser]") {
  SECTION("missing final boundary, boundary with trailing whitespace") {
    std::string msg =
        "Content-Type: multipart/mixed; boundary=b\n\n--b \t\nContent-Type: text/plain\n\none\n"
        "--b\n\ntwo\n";
    auto m = parse_message(msg);
    REQUIRE(m.root().parts.size() == 2);
    CHECK(m.root().parts[0].body == "one");
    CHECK(m.root().parts[1].body == "two\n");
    CHECK(m.root().has_defect(defect_kind::missing_end_boundary));
    check_every_split(msg);
  }
  SECTION("no boundary line at all") {
    std::string msg = "Content-Type: multipart/mixed; boundary=b\n\njust text\n";
    auto m = parse_message(msg);
    CHECK(m.root().parts.empty());
    CHECK_FALSE(m.root().container);
    CHECK(m.root().body == "just text\n");
    CHECK(m.root().has_defect(defect_kind::missing_start_boundary));
  }
  SECTION("multipart without boundary parameter") {
    auto m = parse_message("Content-Type: multipart/mixed\n\n--x\nbody\n");
    CHECK_FALSE(m.root().container);
    CHECK(m.root().body == "--x\nbody\n");
    CHECK(m.root().has_defect(defect_kind::multipart_without_boundary));
  }
  SECTION("base64 with junk, QP with bad escapes") {
    std::string msg =
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: "
        "BASE64\n\nAA*EC\nAw==\n--b\nContent-Transfer-Encoding: quoted-printable\n\na=ZZb=3D\n"
        "--b--\n";
    auto m = parse_message(msg);
    REQUIRE(m.root().parts.size() == 2);
    CHECK(m.root().parts[0].body == std::string("\0\1\2\3", 4));
    CHECK(m.root().parts[0].has_defect(defect_kind::bad_base64));
    CHECK(m.root().parts[1].body == "a=ZZb=");
    CHECK(m.root().parts[1].has_defect(defect_kind::bad_quoted_printable));
    check_every_split(msg);
  }
  SECTION("missing and duplicate Content-Type; digest defaults") {
    std::string msg =
        "Content-Type: multipart/digest; boundary=d\r\nContent-Type: text/plain\r\n\r\n--d\r\n"
        "\r\nSubject: one\r\n\r\nfirst\r\n--d\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--d--"
        "\r\n";
    auto m = parse_message(msg);
    const auto& r = m.root();
    CHECK(r.has_defect(defect_kind::duplicate_content_type));
    CHECK(r.content_type.full() == "multipart/digest");
    REQUIRE(r.parts.size() == 2);
    CHECK(r.parts[0].content_type.full() == "message/rfc822");
    CHECK_FALSE(r.parts[0].content_type_explicit);
    REQUIRE(r.parts[0].parts.size() == 1);
    CHECK(r.parts[0].parts[0].body == "first");
    CHECK(r.parts[1].content_type.full() == "text/plain");
    check_every_split(msg);
  }
  SECTION("bad Content-Type falls back to text/plain (RFC 2045 §5.2)") {
    auto m = parse_message("Content-Type: garbage\n\nx");
    CHECK(m.root().content_type.full() == "text/plain");
    CHECK(m.root().has_defect(defect_kind::bad_content_type));
  }
  SECTION("unknown transfer encoding is kept raw") {
    auto m = parse_message("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n");
    CHECK(m.root().body == "begin 644 a\n");
    CHECK(m.root().has_defect(defect_kind::unknown_transfer_encoding));
  }
  SECTION("a non-header line ends the header block") {
    std::string msg = "Subject: a\nthis is not a header\nX: y\n\nbody";
    auto m = parse_message(msg);
    CHECK(m.root().headers.size() == 1);
    CHECK(m.root().body == "this is not a header\nX: y\n\nbody");
    CHECK(m.root().has_defect(defect_kind::missing_header_body_separator));
    check_every_split(msg);
  }
  SECTION("mbox From line, 8-bit UTF-8 header (RFC 6532), continuation first") {
    std::string msg = "From bob@x Sat Jan  1 00:00:00 2000\n Subject: folded?\nSubject: Grüße\n\nb";
    auto m = parse_message(msg);
    REQUIRE(m.root().headers.size() == 1);
    CHECK(m.root().headers.get("subject") == "Grüße");
    CHECK(m.root().has_defect(defect_kind::continuation_without_field));
    CHECK_FALSE(m.root().has_defect(defect_kind::invalid_utf8_header));
    auto bad = parse_message("Subject: Gr\xFC\xDF\x65\n\nb");
    CHECK(bad.root().has_defect(defect_kind::invalid_utf8_header));
    CHECK(bad.root().headers.get("subject") ==
          "Gr\xEF\xBF\xBD\xEF\xBF\xBD"
          "e");
  }
  SECTION("headers only, no body; empty input") {
    auto m = parse_message("Subject: x\n");
    CHECK(m.root().headers.size() == 1);
    CHECK(m.root().body.empty());
    auto e = parse_message("");
    CHECK(e.root().headers.empty());
    CHECK(e.root().body.empty());
  }
  SECTION("an inner part ended by the outer boundary") {
    std::string msg =
        "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/related; "
        "boundary=i\n\n--i\n\nin\n--o\n\nnext\n--o--\n";
    auto m = parse_message(msg);
    REQUIRE(m.root().parts.size() == 2);
    CHECK(m.root().parts[0].has_defect(defect_kind::missing_end_boundary));
    CHECK(m.root().parts[0].parts[0].body == "in");
    CHECK(m.root().parts[1].body == "next");
    check_every_split(msg);
  }
}

TEST_CASE("parser: limits are bounds, not crashes", "[mime][parser]") {
  SECTION("nesting depth") {
    std::string msg;
    for (int i = 0; i < 100; ++i)
      msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
             std::to_string(i) + "\n";
    msg += "\nleaf\n";
    parser_limits lim;
    lim.max_depth = 10;
    auto m = parse_message(msg, lim);
    const entity* e = &m.root();
    std::size_t depth = 0;
    while (!e->parts.empty()) {
      e = &e->parts[0];
      ++depth;
    }
    CHECK(depth == 10);
    CHECK(e->has_defect(defect_kind::nesting_too_deep));
    lim.fail_on_limit = true;
    std::error_code ec;
    parse_message(msg, ec, lim);
    CHECK(ec == errc::limit_exceeded);
  }
  SECTION("part count") {
    std::string msg = "Content-Type: multipart/mixed; boundary=b\n\n";
    for (int i = 0; i < 50; ++i) msg += "--b\n\npart\n";
    msg += "--b--\n";
    parser_limits lim;
    lim.max_parts = 11;
    auto m = parse_message(msg, lim);
    CHECK(m.root().parts.size() == 10);
    CHECK(m.root().has_defect(defect_kind::too_many_parts));
    check_every_split(msg, lim);
  }
  SECTION("header count and line length") {
    std::string msg;
    for (int i = 0; i < 30; ++i) msg += "X-H: " + std::to_string(i) + "\n";
    msg += "X-Long: " + std::string(5000, 'a') + "\n\nbody";
    parser_limits lim;
    lim.max_headers = 20;
    lim.max_header_line = 1000;
    auto m = parse_message(msg, lim);
    CHECK(m.root().headers.size() == 20);
    CHECK(m.root().has_defect(defect_kind::too_many_headers));
    lim.max_headers = 100;
    m = parse_message(msg, lim);
    REQUIRE(m.root().headers.size() == 31);
    CHECK(m.root().headers[30].raw_value.size() == 1000);
    CHECK(m.root().has_defect(defect_kind::header_line_too_long));
    CHECK(m.root().body == "body");
    check_every_split(msg, lim);
  }
}

namespace {
// Counts body bytes and the largest chunk; keeps nothing.
struct counting_handler : parser_handler {
  std::size_t bytes = 0, biggest = 0, entities = 0, headers = 0;
  std::string filename;
  void on_headers_end(const entity_head& e) override {
    if (!e.filename.empty()) filename = e.filename;
  }
  void on_header(const entity_head&, const header_field&) override { ++headers; }
  void on_body_chunk(const entity_head&, std::string_view d) override {
    bytes += d.size();
    biggest = std::max(biggest, d.size());
  }
  void on_entity_end(entity_head&) override { ++entities; }
};
}  // namespace

TEST_CASE("parser: streams a large attachment through a byte_sink", "[mime][parser]") {
  std::string payload;
  for (int i = 0; i < 300000; ++i) payload.push_back(static_cast<char>((i * 7) & 0xff));
  std::string msg =
      "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: "
      "application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64_encode(payload) + "\r\n--zz--\r\n";
  counting_handler h;
  parser p(h);
  byte_sink& sink = p;
  std::error_code ec;
  for (std::size_t i = 0; i < msg.size(); i += 4096)
    sink.write(std::string_view(msg).substr(i, 4096), ec);
  sink.finish(ec);
  CHECK_FALSE(ec);
  CHECK(h.bytes == payload.size());
  CHECK(h.biggest <= 4096);
  CHECK(h.entities == 2);
  CHECK(h.filename == "big.bin");
  CHECK(p.offset() == msg.size());
  p.feed("more", ec);
  CHECK(ec == errc::bad_argument);
  // one long line without a break, in small chunks: nothing is held back unboundedly
  std::string oneline = "Content-Type: multipart/mixed; boundary=q\n\n--q\n\n" +
                        std::string(1 << 20, 'x') + "\n--q--\n";
  counting_handler h2;
  parser p2(h2);
  for (std::size_t i = 0; i < oneline.size(); i += 1000)
    p2.feed(std::string_view(oneline).substr(i, 1000), ec);
  p2.finish(ec);
  CHECK(h2.bytes == (1u << 20));
  CHECK(h2.biggest <= 1000);
}

TEST_CASE("parser: encoded message/rfc822, delivery-status, prefix boundaries", "[mime][parser]") {
  std::string inner = "Subject: inner\r\nContent-Type: text/plain\r\n\r\nhello inner\r\n";
  std::string msg =
      "Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
      "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n"
      "\r\nFinal-Recipient: rfc822; bob@example.net\r\nAction: failed\r\n"
      "--r\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64_encode(inner) + "\r\n--r-- trailing junk\r\nepilogue";
  auto m = parse_message(msg);
  const auto& r = m.root();
  REQUIRE(r.parts.size() == 2);
  CHECK_FALSE(r.parts[0].container);
  CHECK(r.parts[0].body.find("Action: failed") != std::string::npos);
  const auto& enc = r.parts[1];
  CHECK(enc.container);
  CHECK(enc.has_defect(defect_kind::encoded_composite));
  REQUIRE(enc.parts.size() == 1);
  CHECK(enc.parts[0].headers.get("Subject") == "inner");
  CHECK(enc.parts[0].body == "hello inner\r\n");
  CHECK(enc.parts[0].depth == 2);
  CHECK(r.epilogue == "epilogue");
  check_every_split(msg);
  // RFC 2046 §5.1.2: "--ab" delimits a multipart whose boundary is "a"
  auto p = parse_message("Content-Type: multipart/mixed; boundary=a\n\n--ab\n\none\n--a--\n");
  REQUIRE(p.root().parts.size() == 1);
  CHECK(p.root().parts[0].body == "one");
  // a delimiter right at the end of input opens no part
  auto q = parse_message("Content-Type: multipart/mixed; boundary=a\n\n--a\n\none\n--a\n");
  CHECK(q.root().parts.size() == 1);
  CHECK(q.root().has_defect(defect_kind::missing_end_boundary));
}
