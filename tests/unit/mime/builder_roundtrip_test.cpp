// Round trips builder -> the project's own MIME parser (design.md §6 layer 1): what goes in
// comes out, with no defect reported, for fixed and for pseudo-random messages.
#include <catch2/catch.hpp>

#include <mailproto/mime/message_builder.hpp>
#include <mailproto/mime/parser.hpp>

#include "builder_test_util.hpp"

#include <random>

using namespace mailproto::mime;

namespace {

std::string crlf(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    if (s[i] == '\n' || s[i] == '\r') {
      out += "\r\n";
      continue;
    }
    out += s[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Leaves other than the text and html bodies, depth-first.
std::vector<const entity*> other_leaves(const message& m) {
  std::vector<const entity*> out;
  for (const entity* e : m.all())
    if (!e->container && e != m.text_body() && e != m.html_body()) out.push_back(e);
  return out;
}

void no_defects(const message& m) {
  for (const entity* e : m.all()) {
    INFO(e->content_type.type << "/" << e->content_type.subtype);
    CHECK(e->defects.empty());
  }
}

}  // namespace

TEST_CASE("builder -> parser: the nested message reads back", "[mime][builder][roundtrip]") {
  const std::string text = "Thân gửi An,\n\nChúc bạn học tốt.\n";
  const std::string html = "<p>Thân gửi <b>An</b></p><img src=\"cid:logo@x.test\">";
  std::string rar("Rar!\x1a\x07\x00", 7);
  for (int i = 0; i < 5000; ++i) rar += static_cast<char>(i * 7);
  const std::string png("\x89PNG\r\n\x1a\nxyz", 11);
  message_builder b;
  b.from("Alice <alice@example.test>")
      .to("\"Trần Văn An\" <an@example.test>, bob@example.test")
      .subject("Tiêu đề: Lập trình mạng")
      .text(text)
      .html(html)
      .inline_data("logo@x.test", png, "logo.png")
      .attach(rar, "Báo cáo.rar");
  std::error_code ec;
  const std::string wire = b.to_string(ec);
  REQUIRE_FALSE(ec);
  const message m = parse_message(wire, ec);
  REQUIRE_FALSE(ec);
  no_defects(m);
  const auto to = m.headers().addresses("To", ec);
  REQUIRE_FALSE(ec);
  const auto rcpt = flatten(to);
  REQUIRE(rcpt.size() == 2);
  CHECK(rcpt[0] == mailbox{"Trần Văn An", "an", "example.test"});
  CHECK(rcpt[1].addr_spec() == "bob@example.test");
  REQUIRE(m.text_body());
  CHECK(m.text_body()->text() == crlf(text));
  REQUIRE(m.html_body());
  CHECK(m.html_body()->text() == crlf(html));
  const auto att = other_leaves(m);
  REQUIRE(att.size() == 2);
  CHECK(att[0]->content_id == "logo@x.test");
  CHECK(att[0]->body == png);
  CHECK(att[1]->filename == "Báo cáo.rar");
  CHECK(att[1]->content_type.type == "application");
  CHECK(att[1]->content_type.subtype == "vnd.rar");
  CHECK(att[1]->body == rar);
}

TEST_CASE("builder -> parser: pseudo-random messages", "[mime][builder][roundtrip]") {
  std::mt19937_64 rng(20261128);
  const std::vector<std::string> words = {"Lập", "trình", "mạng", "SMTP", "=?", "--",     "=_mp",
                                          ".",   "From ", "\t",   "a=b",  "Ω",  "日本語", " "};
  auto random_text = [&](std::size_t n) {
    std::string s;
    while (s.size() < n) {
      const auto r = rng() % 20;
      if (r == 0)
        s += '\n';
      else if (r == 1)
        s += std::string(rng() % 1200, 'x');  // long lines now and then
      else
        s += words[rng() % words.size()];
    }
    return s;
  };
  auto subject_text = [&] {
    std::string s;
    for (std::size_t i = 0, n = rng() % 30; i < n; ++i) s += words[rng() % words.size()];
    return s;
  };
  for (int round = 0; round < 40; ++round) {
    INFO("round " << round);
    message_builder b;
    b.options().eight_bit = rng() % 2;
    b.boundary_seed(rng());
    const std::string subject = subject_text();
    b.from("a@example.test").to("b@example.test").subject(subject);
    const std::string text = random_text(rng() % 3000);
    const bool with_html = rng() % 2;
    const std::string html = random_text(rng() % 2000);
    b.text(text);
    if (with_html) b.html(html);
    std::vector<std::string> blobs;
    for (int i = 0, n = int(rng() % 4); i < n; ++i) {
      std::string blob;
      for (std::size_t k = 0, len = rng() % 5000; k < len; ++k) blob += char(rng());
      b.attach(blob, "f" + std::to_string(i) + ".bin");
      blobs.push_back(std::move(blob));
    }
    std::error_code ec;
    const std::string wire = b.to_string(ec);
    INFO(b.error_message());
    REQUIRE_FALSE(ec);
    builder_test::check_wire(wire);
    const message m = parse_message(wire, ec);
    REQUIRE_FALSE(ec);
    no_defects(m);
    // Outer white space of a header value does not survive any reader (RFC 5322 §2.2).
    CHECK(m.headers().get("Subject").value_or("<none>") == trim(subject));
    REQUIRE(m.text_body());
    CHECK(m.text_body()->text() == crlf(text));
    if (with_html) {
      REQUIRE(m.html_body());
      CHECK(m.html_body()->text() == crlf(html));
    }
    const auto att = other_leaves(m);
    REQUIRE(att.size() == blobs.size());
    for (std::size_t i = 0; i < blobs.size(); ++i) CHECK(att[i]->body == blobs[i]);
  }
}
