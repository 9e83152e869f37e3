// The MIME message builder: golden files, an independent reader (Python's email package),
// wire rules (CRLF, 998 octets), header injection, streaming and sizes.
//
// Golden files live in tests/data/golden/*.eml. Regenerate them deliberately with
//   MAILPROTO_UPDATE_GOLDEN=1 ./test_mime "[builder]"
// and review the diff.
#include <catch2/catch.hpp>

#include <mailproto/mime/message_builder.hpp>

#include "builder_test_util.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

using namespace mailproto;
using namespace mailproto::mime;
using namespace builder_test;

namespace {

std::string fake_rar() {
  std::string d("Rar!\x1a\x07\x00", 7);
  for (int i = 0; i < 700; ++i) d += static_cast<char>((i * 37 + 11) & 0xff);
  return d;
}

std::string fake_png() {
  std::string d("\x89PNG\r\n\x1a\n", 8);
  for (int i = 0; i < 300; ++i) d += static_cast<char>((i * 13) & 0xff);
  return d;
}

const char* const course_text =
    "Thân gửi An,\n\nTuần này lớp Lập trình mạng học về SMTP, POP3 và IMAP.\n"
    "Bạn nhớ đọc RFC 5321 trước buổi học nhé.\n\nThân,\nAlice\n";

const char* const course_html =
    "<html><body><p>Thân gửi An,</p><p>Tuần này lớp <b>Lập trình mạng</b> học về SMTP.</p>"
    "<p><img src=\"cid:logo@example.test\" alt=\"logo\"></p></body></html>\n";

// The course's mail, with everything that varies fixed.
message_builder course() {
  message_builder b;
  b.from("Alice <alice@example.test>")
      .to("Bob <bob@example.test>")
      .subject("Tiêu đề: Lập trình mạng")
      .date(std::chrono::sys_days(std::chrono::year(2026) / 11 / 28) + std::chrono::hours(9),
            std::chrono::hours(7))
      .message_id("<course-1@example.test>")
      .boundary_seed(42);
  return b;
}

}  // namespace

TEST_CASE("builder: the course's plain mail", "[mime][builder]") {
  auto b = course();
  b.text(course_text);
  std::error_code ec;
  const std::string msg = b.to_string(ec);
  INFO(b.error_message());
  REQUIRE_FALSE(ec);
  check_wire(msg);
  check_golden("plain.eml", msg);
  CHECK(msg.find("Date: Sat, 28 Nov 2026 16:00:00 +0700\r\n") != std::string::npos);
  CHECK(msg.find("MIME-Version: 1.0\r\n") != std::string::npos);
  CHECK(msg.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  python_expect e;
  e.set("subject", json_str("Tiêu đề: Lập trình mạng"));
  e.set("from", R"([["Alice", "alice@example.test"]])");
  e.set("to", R"([["Bob", "bob@example.test"]])");
  e.set("tree", json_str("text/plain"));
  e.set("text", json_str(course_text));
  e.set("parts", "[]");
  check_python(msg, e);
}

TEST_CASE("builder: the .rar attachment mail", "[mime][builder]") {
  const std::string rar = fake_rar();
  auto b = course();
  b.text(course_text).attach(rar, "Báo cáo.rar");
  std::error_code ec;
  const std::string msg = b.to_string(ec);
  INFO(b.error_message());
  REQUIRE_FALSE(ec);
  check_wire(msg);
  check_golden("rar.eml", msg);
  CHECK(msg.find("Content-Type: application/vnd.rar;") != std::string::npos);
  CHECK(msg.find("filename*=UTF-8''B%C3%A1o%20c%C3%A1o.rar") != std::string::npos);
  python_expect e;
  e.set("subject", json_str("Tiêu đề: Lập trình mạng"));
  e.set("tree", json_str("multipart/mixed(text/plain,application/vnd.rar)"));
  e.set("text", json_str(course_text));
  e.set("parts", "[{\"filename\": " + json_str("Báo cáo.rar") +
                     ", \"content_type\": \"application/vnd.rar\", \"data_file\": " +
                     json_str(temp_file("rar", rar)) + "}]");
  check_python(msg, e);
}

TEST_CASE("builder: multipart/alternative", "[mime][builder]") {
  auto b = course();
  b.text(course_text).html(course_html);
  std::error_code ec;
  const std::string msg = b.to_string(ec);
  REQUIRE_FALSE(ec);
  check_wire(msg);
  check_golden("alternative.eml", msg);
  python_expect e;
  e.set("tree", json_str("multipart/alternative(text/plain,text/html)"));
  e.set("text", json_str(course_text));
  e.set("html", json_str(course_html));
  check_python(msg, e);
}

TEST_CASE("builder: multipart/related with an inline image", "[mime][builder]") {
  const std::string png = fake_png();
  auto b = course();
  b.html(course_html).inline_data("logo@example.test", png, "logo.png");
  std::error_code ec;
  const std::string msg = b.to_string(ec);
  REQUIRE_FALSE(ec);
  check_wire(msg);
  check_golden("related.eml", msg);
  CHECK(msg.find("Content-ID: <logo@example.test>\r\n") != std::string::npos);
  python_expect e;
  e.set("tree", json_str("multipart/related(text/html,image/png)"));
  e.set("html", json_str(course_html));
  e.set("parts",
        "[{\"filename\": \"logo.png\", \"content_type\": \"image/png\", \"cid\": "
        "\"logo@example.test\", \"data_file\": " +
            json_str(temp_file("png", png)) + "}]");
  check_python(msg, e);
}

TEST_CASE("builder: nested mixed(alternative(text, related(html, png)), rar, rfc822)",
          "[mime][builder]") {
  const std::string png = fake_png(), rar = fake_rar();
  auto fwd = course();
  fwd.text(course_text);
  const std::string forwarded = fwd.to_string();

  auto b = course();
  b.subject("Fwd: Tiêu đề: Lập trình mạng")
      .cc("\"Trần Văn An\" <an@example.test>, Lớp: c1@example.test, c2@example.test;")
      .bcc("secret@example.test")
      .text(course_text)
      .html(course_html)
      .inline_data("logo@example.test", png, "logo.png")
      .attach(rar, "report.rar")
      .attach_message(forwarded, "Tiêu đề.eml");
  std::error_code ec;
  const std::string msg = b.to_string(ec);
  INFO(b.error_message());
  REQUIRE_FALSE(ec);
  check_wire(msg);
  check_golden("nested.eml", msg);
  // Same seed for both messages: the builder must still pick boundaries absent from the
  // forwarded one (RFC 2046 §5.1.1).
  python_expect e;
  e.set("subject", json_str("Fwd: Tiêu đề: Lập trình mạng"));
  e.set("cc", "[[" + json_str("Trần Văn An") +
                  ", \"an@example.test\"], [\"\", \"c1@example.test\"], [\"\", "
                  "\"c2@example.test\"]]");
  e.set("absent", R"(["Bcc"])");
  e.set("tree",
        json_str("multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,"
                 "image/png)),application/vnd.rar,message/rfc822(text/plain))"));
  e.set("text", json_str(course_text));
  e.set("html", json_str(course_html));
  e.set("parts",
        "[{\"filename\": \"logo.png\", \"cid\": \"logo@example.test\", \"data_file\": " +
            json_str(temp_file("png", png)) + "}, {\"filename\": \"report.rar\", \"data_file\": " +
            json_str(temp_file("rar", rar)) + "}, {\"filename\": " + json_str("Tiêu đề.eml") +
            ", \"content_type\": \"message/rfc822\", " +
            "\"inner_subject\": " + json_str("Tiêu đề: Lập trình mạng") + "}]");
  check_python(msg, e);
  CHECK(msg.find("secret@example.test") == std::string::npos);
  const auto rcpt = b.envelope_recipients();
  CHECK(rcpt == std::vector<std::string>{"bob@example.test", "an@example.test", "c1@example.test",
                                         "c2@example.test", "secret@example.test"});
  CHECK(b.envelope_sender() == "alice@example.test");
}

TEST_CASE("builder: output is deterministic only when fixed", "[mime][builder]") {
  auto a = course(), b = course();
  a.text("x").attach("data", "a.bin");
  b.text("x").attach("data", "a.bin");
  CHECK(a.to_string() == b.to_string());
  b.boundary_seed(43);
  CHECK(a.to_string() != b.to_string());

  // Defaults: a Date with a zone offset, and unique Message-IDs at the author's domain.
  message_builder c, d;
  c.from("a@example.test").text("hi");
  d.from("a@example.test").text("hi");
  const std::string mc = c.to_string(), md = d.to_string();
  CHECK(std::regex_search(mc, std::regex("^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
                                         "[A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} "
                                         "[+-][0-9]{4}\r\n")));
  std::smatch m1, m2;
  const std::regex id("Message-ID: <([^@>]+)@example\\.test>\r\n");
  REQUIRE(std::regex_search(mc, m1, id));
  REQUIRE(std::regex_search(md, m2, id));
  CHECK(m1[1] != m2[1]);
  // The same builder gives the same message twice (size() then source() must agree).
  CHECK(c.to_string() == mc);
}

TEST_CASE("builder: transfer encodings follow the content", "[mime][builder]") {
  auto cte = [](message_builder& b) {
    const std::string m = b.to_string();
    std::smatch s;
    REQUIRE(std::regex_search(m, s, std::regex("Content-Transfer-Encoding: ([a-z0-9-]+)\r\n")));
    return s[1].str();
  };
  auto b = course();
  b.text("plain ascii\n");
  CHECK(cte(b) == "7bit");
  b = course();
  b.text("Thân gửi An");
  const std::string vn = cte(b);
  CHECK((vn == "quoted-printable" || vn == "base64"));
  b = course();
  b.options().eight_bit = true;
  b.text("Thân gửi An");
  CHECK(cte(b) == "8bit");
  b = course();
  b.text("Mostly ASCII text with one word in Vietnamese: Việt, and many more ASCII words.");
  CHECK(cte(b) == "quoted-printable");
  b = course();
  b.text(std::string(2000, 'a'));  // a line over 998 octets cannot go as 7bit
  CHECK(cte(b) == "quoted-printable");
  check_wire(b.to_string());
}

TEST_CASE("builder: headers are folded, CRLF, <= 998 octets", "[mime][builder]") {
  auto b = course();
  std::string long_subject;
  for (int i = 0; i < 40; ++i) long_subject += "Lập trình mạng ";
  std::string many;
  for (int i = 0; i < 60; ++i)
    many += "\"Người nhận " + std::to_string(i) + "\" <r" + std::to_string(i) + "@example.test>, ";
  std::string refs;
  for (int i = 0; i < 50; ++i) refs += "<ref" + std::to_string(i) + "@example.test> ";
  b.subject(long_subject)
      .to(many)
      .references(refs)
      .in_reply_to("ref49@example.test")
      .header("X-Long", std::string(300, 'x') + " " + std::string(100, 'y'))
      .header("X-Tiếng-Việt-Free", "no")  // rejected: not ftext
      .text("hi");
  std::error_code ec;
  b.to_string(ec);
  CHECK(ec == errc::bad_header_name);
  CHECK(b.error_message().find("X-Ti") != std::string::npos);

  b = course();
  b.subject(long_subject).to(many).references(refs).in_reply_to("ref49@example.test");
  b.header("X-Long", std::string(300, 'x') + " " + std::string(60, 'y'))
      .header("X-Note", "Ghi chú: tiếng Việt")
      .text("hi");
  const std::string msg = b.to_string(ec);
  INFO(b.error_message());
  REQUIRE_FALSE(ec);
  check_wire(msg);
  // Every header line but the unbreakable X-Long one fits in 78 columns.
  const std::string head = msg.substr(0, msg.find("\r\n\r\n") + 2);
  std::size_t pos = 0;
  while (pos < head.size()) {
    const std::size_t e = head.find("\r\n", pos);
    const std::string line = head.substr(pos, e - pos);
    if (line.find(std::string(300, 'x')) == std::string::npos) {
      INFO(line);
      CHECK(line.size() <= 78);
    }
    pos = e + 2;
  }
  CHECK(msg.find("In-Reply-To: <ref49@example.test>\r\n") != std::string::npos);
  python_expect e;
  e.set("subject", json_str(long_subject));
  std::string to = "[[\"Bob\", \"bob@example.test\"]";
  for (int i = 0; i < 60; ++i)
    to += ", [" + json_str("Người nhận " + std::to_string(i)) + ", \"r" + std::to_string(i) +
          "@example.test\"]";
  e.set("to", to + "]");
  check_python(msg, e);

  // A single unbreakable word over 998 octets cannot be written.
  b = course();
  b.header("X-Huge", std::string(1200, 'z')).text("hi");
  b.to_string(ec);
  CHECK(ec == errc::line_too_long);
}

TEST_CASE("builder: header injection is refused and nothing is written", "[mime][builder]") {
  struct attempt {
    const char* what;
    std::function<void(message_builder&)> apply;
    errc expect;
  };
  const std::vector<attempt> attempts = {
      {"subject CRLF", [](auto& b) { b.subject("Hi\r\nBcc: evil@x.test"); }, errc::unsafe_header},
      {"subject LF", [](auto& b) { b.subject("Hi\nX: y"); }, errc::unsafe_header},
      {"subject NUL", [](auto& b) { b.subject(std::string("Hi\0there", 8)); }, errc::unsafe_header},
      {"to CRLF", [](auto& b) { b.to("bob@x.test\r\nBcc: evil@x.test"); }, errc::bad_address},
      {"to folded", [](auto& b) { b.to("bob@x.test,\r\n evil@x.test"); }, errc::bad_address},
      {"cc NUL", [](auto& b) { b.cc(std::string("a@b\0.test", 9)); }, errc::bad_address},
      {"from name LF",
       [](auto& b) {
         b.from(mailbox{"Eve\nBcc: x@y.test", "eve", "x.test"});
       },
       errc::bad_address},
      {"header value CR", [](auto& b) { b.header("X-A", "v\rX-B: w"); }, errc::unsafe_header},
      {"header value LF", [](auto& b) { b.header("X-A", "v\nX-B: w"); }, errc::unsafe_header},
      {"header name colon", [](auto& b) { b.header("X-A: b", "v"); }, errc::bad_header_name},
      {"header name CRLF", [](auto& b) { b.header("X-A\r\nX-B", "v"); }, errc::unsafe_header},
      {"managed header", [](auto& b) { b.header("Content-Type", "text/html"); },
       errc::bad_header_name},
      {"bcc via header", [](auto& b) { b.header("bcc", "x@y.test"); }, errc::bad_header_name},
      {"message-id CRLF", [](auto& b) { b.message_id("<a@b>\r\nX: y"); }, errc::unsafe_header},
      {"references LF", [](auto& b) { b.references("<a@b>\n<c@d>"); }, errc::unsafe_header},
      {"filename CRLF", [](auto& b) { b.attach("x", "a\r\nb.txt"); }, errc::bad_argument},
      {"media type CRLF", [](auto& b) { b.attach("x", "a.txt", "text/plain\r\nX: y"); },
       errc::bad_argument},
      {"content-id", [](auto& b) { b.html("x").inline_data("a b", "x", "a.png"); },
       errc::bad_argument},
      {"utf-8 address without SMTPUTF8", [](auto& b) { b.to("bình@ví-dụ.test"); },
       errc::bad_address},
  };
  for (const auto& a : attempts) {
    INFO(a.what);
    auto b = course();
    b.text("body");
    a.apply(b);
    b.subject("a later valid subject");  // the first error wins
    std::string out;
    string_sink sink(out);
    std::error_code ec;
    b.write_to(sink, ec);
    CHECK(ec == a.expect);
    CHECK(out.empty());
    CHECK_FALSE(b.error_message().empty());
    CHECK(b.to_string(ec).empty());
    CHECK(b.source(ec) == nullptr);
    CHECK_FALSE(b.size(ec));
    CHECK(b.validate() == a.expect);
    CHECK_THROWS_AS(b.to_string(), mailproto::error);
  }
  // The error names the bad address.
  auto b = course();
  b.to("good@x.test, Bad <bad@x.test");
  std::error_code ec;
  b.to_string(ec);
  CHECK(b.error_message().find("Bad <bad@x.test") != std::string::npos);
}

TEST_CASE("builder: required and structural errors", "[mime][builder]") {
  std::error_code ec;
  message_builder none;
  none.to("a@b.test").text("x");
  none.to_string(ec);
  CHECK(ec == errc::bad_address);  // no From
  CHECK(none.error_message().find("From") != std::string::npos);

  message_builder two;
  two.from("a@b.test, c@d.test").text("x");
  two.to_string(ec);
  CHECK(ec == errc::bad_address);  // several authors need a Sender
  two.sender("a@b.test");
  CHECK(two.to_string(ec).find("Sender: a@b.test\r\n") != std::string::npos);
  CHECK(two.envelope_sender() == "a@b.test");

  message_builder missing;
  missing.from("a@b.test").attach_file("/nonexistent/dir/file.rar");
  missing.to_string(ec);
  CHECK(ec == errc::file_error);
  CHECK(missing.error_message().find("/nonexistent/dir/file.rar") != std::string::npos);

  message_builder inl;
  inl.from("a@b.test").text("x").inline_data("c@d", "x", "a.png");
  inl.to_string(ec);
  CHECK(ec == errc::bad_argument);  // inline parts need html

  // With SMTPUTF8 a UTF-8 address is fine, and is written raw.
  build_options o;
  o.smtputf8 = true;
  message_builder u(o);
  u.from("Bình <bình@ví-dụ.test>").to("an@example.test").text("x");
  const std::string m = u.to_string(ec);
  REQUIRE_FALSE(ec);
  CHECK(m.find("From: Bình <bình@ví-dụ.test>\r\n") != std::string::npos);
}

TEST_CASE("builder: size, source and write_to agree", "[mime][builder]") {
  const std::string big(300000, 'q');
  const std::string path = temp_file("attach.bin", fake_rar() + big);
  const std::string eml = temp_file("fwd.eml", "Subject: old\nFrom: a@b.test\n\nline 1\nline 2");
  auto b = course();
  b.text(course_text)
      .html(course_html)
      .attach(big, "big.txt")
      .attach_file(path, "Báo cáo.rar")
      .attach_file(eml)  // .eml: forwarded as message/rfc822, line ends normalised
      .attach("", "empty.bin");
  std::error_code ec;
  const auto n = b.size(ec);
  REQUIRE_FALSE(ec);
  REQUIRE(n);
  const std::string whole = b.to_string(ec);
  REQUIRE_FALSE(ec);
  CHECK(*n == whole.size());
  check_wire(whole);

  std::unique_ptr<byte_source> src;
  {
    auto copy = b;  // the source must not need the builder
    src = copy.source(ec);
    REQUIRE(src);
  }
  CHECK(src->size() == n);
  std::string pulled;
  char buf[7777];
  for (;;) {
    const std::size_t k = src->read(std::span<char>(buf, 1 + pulled.size() % 7776), ec);
    REQUIRE_FALSE(ec);
    if (k == 0) break;
    pulled.append(buf, k);
  }
  CHECK(pulled == whole);

  std::string pushed;
  std::size_t chunks = 0, largest = 0;
  callback_sink sink([&](std::string_view s, std::error_code&) {
    pushed += s;
    ++chunks;
    largest = std::max(largest, s.size());
  });
  b.write_to(sink, ec);
  REQUIRE_FALSE(ec);
  CHECK(pushed == whole);
  CHECK(chunks > 1);
  CHECK(largest <= 64 * 1024);

  python_expect e;
  e.set("tree", json_str("multipart/mixed(multipart/alternative(text/plain,text/html),text/plain,"
                         "application/vnd.rar,message/rfc822(text/plain),"
                         "application/octet-stream)"));
  e.set("parts",
        "[{\"filename\": \"big.txt\", \"data_file\": " + json_str(temp_file("big", big)) +
            "}, {\"filename\": " + json_str("Báo cáo.rar") + ", \"data_file\": " + json_str(path) +
            "}, {\"filename\": " + json_str(std::filesystem::path(eml).filename().string()) +
            ", \"inner_subject\": \"old\"}, "
            "{\"filename\": \"empty.bin\", \"data_file\": " +
            json_str(temp_file("empty", "")) + "}]");
  check_python(whole, e);
}

TEST_CASE("builder: a file that changes after the size was given is an error", "[mime][builder]") {
  const std::string path = temp_file("shrinks.bin", std::string(100000, 'a'));
  auto b = course();
  b.text("x").attach_file(path);
  std::error_code ec;
  auto src = b.source(ec);
  REQUIRE(src);
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << "short"; }
  std::string out;
  char buf[4096];
  for (;;) {
    const std::size_t k = src->read(std::span<char>(buf, sizeof buf), ec);
    if (ec || k == 0) break;
    out.append(buf, k);
  }
  CHECK(ec == errc::file_error);
}

TEST_CASE("builder: boundaries avoid the content", "[mime][builder]") {
  auto a = course();
  a.text("x").attach("y", "y.bin");
  const std::string first = a.to_string();
  std::smatch m;
  REQUIRE(std::regex_search(first, m, std::regex("boundary=\"([^\"]+)\"")));
  const std::string boundary = m[1];
  CHECK(boundary.find("=_") != std::string::npos);
  // Same seed, but now the text holds the boundary the seed gives first.
  auto b = course();
  const std::string text = "look:\n--" + boundary + "\nthat was a trap\n";
  b.text(text).attach("y", "y.bin");
  const std::string second = b.to_string();
  REQUIRE(std::regex_search(second, m, std::regex("boundary=\"([^\"]+)\"")));
  CHECK(m[1] != boundary);
  python_expect e;
  e.set("tree", json_str("multipart/mixed(text/plain,application/octet-stream)"));
  e.set("text", json_str(text));
  check_python(second, e);
}

TEST_CASE("builder: forwarded messages", "[mime][builder]") {
  // LF line ends are normalised; 8-bit content without 8BITMIME goes as opaque base64.
  const std::string ascii = "Subject: hello\nFrom: x@y.test\n\nbody\n";
  const std::string utf8 = "Subject: =?UTF-8?Q?ch=C3=A0o?=\nFrom: x@y.test\n\nchào bạn\n";
  auto b = course();
  b.text("see attached").attach_message(ascii, "a.eml").attach_message(utf8, "b.eml");
  const std::string msg = b.to_string();
  check_wire(msg);
  python_expect e;
  e.set("tree", json_str("multipart/mixed(text/plain,message/rfc822(text/plain),"
                         "application/octet-stream)"));
  e.set("parts", "[{\"inner_subject\": \"hello\"}, {\"filename\": \"b.eml\", \"data_file\": " +
                     json_str(temp_file("utf8.eml", utf8)) + "}]");
  check_python(msg, e);

  auto c = course();
  c.options().eight_bit = true;
  c.text("see attached").attach_message(utf8, "b.eml");
  const std::string msg8 = c.to_string();
  CHECK(msg8.find("Content-Transfer-Encoding: 8bit") != std::string::npos);
  python_expect e8;
  e8.set("tree", json_str("multipart/mixed(text/plain,message/rfc822(text/plain))"));
  e8.set("parts", "[{\"inner_subject\": \"chào\"}]");
  check_python(msg8, e8);
}
