// RFC 5322 §3.4 addresses: parsing (incl. obsolete forms), formatting, round trips.
#include <catch2/catch.hpp>

#include <mailproto/mime/address.hpp>
#include <mailproto/mime/media_type.hpp>

using namespace mailproto::mime;

namespace {

std::vector<address> parse_ok(std::string_view s) {
  std::error_code ec;
  std::string why;
  auto r = parse_address_list(s, ec, &why);
  INFO(s << " -> " << why);
  REQUIRE_FALSE(ec);
  return r;
}

std::string parse_err(std::string_view s, std::error_code expect = errc::bad_address) {
  std::error_code ec;
  std::string why;
  auto r = parse_address_list(s, ec, &why);
  INFO(s);
  CHECK(ec == expect);
  CHECK(r.empty());
  return why;
}

const mailbox& mb(const address& a) {
  return std::get<mailbox>(a);
}

}  // namespace

TEST_CASE("address: plain addr-spec and name-addr", "[mime][address]") {
  auto r = parse_ok("bob@example.test");
  REQUIRE(r.size() == 1);
  CHECK(mb(r[0]) == mailbox{"", "bob", "example.test"});

  r = parse_ok("Alice <alice@example.test>");
  REQUIRE(r.size() == 1);
  CHECK(mb(r[0]) == mailbox{"Alice", "alice", "example.test"});

  r = parse_ok("\"Smith, John Q.\" <john.q.smith@mail.example.test>, x@y.test");
  REQUIRE(r.size() == 2);
  CHECK(mb(r[0]).name == "Smith, John Q.");
  CHECK(mb(r[0]).local == "john.q.smith");
  CHECK(mb(r[1]).addr_spec() == "x@y.test");
}

TEST_CASE("address: RFC 5322 Appendix A examples", "[mime][address]") {
  // A.1.2
  auto r = parse_ok(
      "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>, "
      "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>");
  REQUIRE(r.size() == 5);
  CHECK(mb(r[2]).name == "Who?");
  CHECK(mb(r[3]).name.empty());
  CHECK(mb(r[3]).addr_spec() == "boss@nil.test");
  CHECK(mb(r[4]).name == "Giant; \"Big\" Box");

  // A.1.3 groups
  r = parse_ok("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;");
  REQUIRE(r.size() == 1);
  const auto& g = std::get<group>(r[0]);
  CHECK(g.name == "A Group");
  REQUIRE(g.members.size() == 3);
  CHECK(g.members[0].name == "Ed Jones");
  CHECK(g.members[1].addr_spec() == "joe@where.test");

  r = parse_ok("Undisclosed recipients:;");
  REQUIRE(r.size() == 1);
  CHECK(std::get<group>(r[0]).members.empty());

  // A.5 white space, comments
  r = parse_ok("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>");
  REQUIRE(r.size() == 1);
  CHECK(mb(r[0]) == mailbox{"Pete", "pete", "silly.test"});

  r = parse_ok(
      "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
      "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the "
      "group)");
  REQUIRE(r.size() == 1);
  CHECK(std::get<group>(r[0]).members.size() == 3);
  CHECK(std::get<group>(r[0]).members[0].domain == "public.example");
}

TEST_CASE("address: obsolete forms (RFC 5322 §4.4)", "[mime][address]") {
  // Source route is dropped; empty list elements skipped; CFWS around dots.
  auto r = parse_ok("Joe <@route1.test,@route2.test:joe@example.test>, , ,x @ y . test");
  REQUIRE(r.size() == 2);
  CHECK(mb(r[0]).addr_spec() == "joe@example.test");
  CHECK(mb(r[1]).addr_spec() == "x@y.test");
  // Old style comment name.
  r = parse_ok("bob@example.test (Bob Builder)");
  CHECK(mb(r[0]).name == "Bob Builder");
  // Dots in a phrase (obs-phrase).
  r = parse_ok("John Q. Public <jqp@example.test>");
  CHECK(mb(r[0]).name == "John Q. Public");
  // Quoted local part and domain literal.
  r = parse_ok("\"john doe\"@[192.0.2.1]");
  CHECK(mb(r[0]).local == "john doe");
  CHECK(mb(r[0]).domain == "[192.0.2.1]");
  CHECK(mb(r[0]).addr_spec() == "\"john doe\"@[192.0.2.1]");
}

TEST_CASE("address: encoded words in display names", "[mime][address]") {
  auto r = parse_ok("=?UTF-8?B?VHLhuqduIFbEg24gQW4=?= <an@example.test>");
  REQUIRE(r.size() == 1);
  CHECK(mb(r[0]).name == "Trần Văn An");
  // Adjacent encoded words: whitespace between them is dropped (RFC 2047 §6.2).
  r = parse_ok("=?UTF-8?Q?Nguy=E1=BB=85n?= =?UTF-8?Q?_Th=E1=BB=8B?= <x@y.test>");
  CHECK(mb(r[0]).name == "Nguyễn Thị");
  // RFC 6532: raw UTF-8.
  r = parse_ok("Lê Văn Bình <bình@ví-dụ.test>");
  CHECK(mb(r[0]).name == "Lê Văn Bình");
  CHECK(mb(r[0]).local == "bình");
  CHECK(needs_smtputf8(mb(r[0])));
}

TEST_CASE("address: errors name the address", "[mime][address]") {
  auto why = parse_err("ok@x.test, \"unbalanced <a@b.test>");
  CHECK(why.find("unbalanced") != std::string::npos);
  CHECK(why.find("ok@x.test") == std::string::npos);
  why = parse_err("good@x.test, Bad <bad@x.test");
  CHECK(why.find("Bad <bad@x.test") != std::string::npos);
  parse_err("a@b.test>");
  parse_err("(unclosed comment a@b.test");
  parse_err("no-at-sign");
  parse_err("x@");
  parse_err("@x.test");
  parse_err("a@b.test c@d.test");
  parse_err("G: a@b.test");  // group without ';'
  parse_err("[1.2.3.4");
  // CR, LF, NUL that are not a fold.
  parse_err("a@b.test\r\nBcc: evil@x.test");
  parse_err("a@b.test\nBcc: evil@x.test");
  parse_err(std::string_view("a@b\0.test", 9));
  parse_err("a@b.test\r");
  // A fold is fine.
  auto r = parse_ok("a@b.test,\r\n c@d.test");
  CHECK(r.size() == 2);
}

TEST_CASE("address: limits", "[mime][address]") {
  std::string many;
  for (int i = 0; i < 20; ++i) many += "u" + std::to_string(i) + "@x.test,";
  address_limits lim;
  lim.max_count = 10;
  std::error_code ec;
  auto r = parse_address_list(many, ec, nullptr, lim);
  CHECK(ec == errc::limit_exceeded);
  lim.max_count = 20;
  r = parse_address_list(many, ec, nullptr, lim);
  CHECK_FALSE(ec);
  CHECK(r.size() == 20);
  lim.max_length = 10;
  r = parse_address_list(many, ec, nullptr, lim);
  CHECK(ec == errc::limit_exceeded);
  std::string deep(100, '(');
  r = parse_address_list(deep + "a@b.test", ec);
  CHECK(ec == errc::limit_exceeded);
}

TEST_CASE("address: parse_mailbox takes exactly one", "[mime][address]") {
  std::error_code ec;
  auto m = parse_mailbox("Alice <alice@example.test>", ec);
  REQUIRE(m);
  CHECK(m->name == "Alice");
  CHECK_FALSE(parse_mailbox("a@b.test, c@d.test", ec));
  CHECK(ec == errc::bad_address);
  CHECK_FALSE(parse_mailbox("G:;", ec));
  CHECK_FALSE(parse_mailbox("", ec));
}

TEST_CASE("address: flatten", "[mime][address]") {
  auto r = parse_ok("a@x.test, G: b@x.test, c@x.test;, d@x.test");
  auto f = flatten(r);
  REQUIRE(f.size() == 4);
  CHECK(f[1].addr_spec() == "b@x.test");
  CHECK(f[3].addr_spec() == "d@x.test");
}

TEST_CASE("address: format quotes, encodes and refuses", "[mime][address]") {
  std::error_code ec;
  CHECK(format(mailbox{"", "bob", "example.test"}, false, ec) == "bob@example.test");
  CHECK(format(mailbox{"Alice", "alice", "example.test"}, false, ec) ==
        "Alice <alice@example.test>");
  CHECK(format(mailbox{"Smith, John", "j", "x.test"}, false, ec) == "\"Smith, John\" <j@x.test>");
  CHECK(format(mailbox{"a \"b\" \\c", "j", "x.test"}, false, ec) ==
        "\"a \\\"b\\\" \\\\c\" <j@x.test>");
  CHECK(format(mailbox{"", "john doe", "x.test"}, false, ec) == "\"john doe\"@x.test");
  // UTF-8 display name: RFC 2047 without SMTPUTF8, raw with it.
  std::string enc = format(mailbox{"Trần Văn An", "an", "x.test"}, false, ec);
  CHECK_FALSE(ec);
  CHECK(enc.find("=?") == 0);
  CHECK(enc.ends_with(" <an@x.test>"));
  CHECK(format(mailbox{"Trần Văn An", "an", "x.test"}, true, ec) == "Trần Văn An <an@x.test>");
  // UTF-8 address: only with SMTPUTF8.
  format(mailbox{"", "bình", "ví-dụ.test"}, false, ec);
  CHECK(ec == errc::bad_address);
  CHECK(format(mailbox{"", "bình", "ví-dụ.test"}, true, ec) == "bình@ví-dụ.test");
  CHECK_FALSE(ec);
  // Injection and emptiness.
  format(mailbox{"A\r\nBcc: x@y", "a", "b.test"}, false, ec);
  CHECK(ec == errc::bad_address);
  format(mailbox{"", "a\n", "b.test"}, false, ec);
  CHECK(ec == errc::bad_address);
  format(mailbox{"", "", "b.test"}, false, ec);
  CHECK(ec == errc::bad_address);
  format(mailbox{"", "a", "bad domain"}, false, ec);
  CHECK(ec == errc::bad_address);
}

TEST_CASE("address: format then parse gives the same mailboxes", "[mime][address]") {
  const std::vector<mailbox> cases = {
      {"", "bob", "example.test"},
      {"Alice", "alice", "example.test"},
      {"Smith, John Q.", "john", "x.test"},
      {"He said \"hi\" \\o/", "q", "x.test"},
      {"Trần Văn An", "an", "x.test"},
      {"Nguyễn Thị Minh Khai với một cái tên rất là dài để thử gấp dòng", "k", "x.test"},
      {"=?not encoded?=", "n", "x.test"},
      {"", "john doe", "x.test"},
      {"", "a", "[192.0.2.1]"},
  };
  for (bool utf8 : {false, true}) {
    std::vector<address> list(cases.begin(), cases.end());
    std::error_code ec;
    const std::string text = format_list(list, utf8, ec, 4);
    REQUIRE_FALSE(ec);
    // Folded lines stay short where spaces allow.
    auto back = parse_ok(text);
    REQUIRE(back.size() == cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      INFO(text);
      CHECK(mb(back[i]) == cases[i]);
    }
  }
}

TEST_CASE("media types from file extensions", "[mime][media_type]") {
  CHECK(media_type_for_filename("report.rar") == "application/vnd.rar");
  CHECK(media_type_for_filename("dir/Báo cáo.RAR") == "application/vnd.rar");
  CHECK(media_type_for_filename("a.pdf") == "application/pdf");
  CHECK(media_type_for_filename("x.tar.gz") == "application/gzip");
  CHECK(media_type_for_filename("x.docx") ==
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  CHECK(media_type_for_filename("fwd.eml") == "message/rfc822");
  CHECK(media_type_for_filename("logo.PNG") == "image/png");
  CHECK(media_type_for_filename("song.mp3") == "audio/mpeg");
  CHECK(media_type_for_filename("cal.ics") == "text/calendar");
  CHECK(media_type_for_filename("noext") == "application/octet-stream");
  CHECK(media_type_for_filename("x.unknownext") == "application/octet-stream");
  CHECK(media_type_for_filename("") == "application/octet-stream");
  CHECK(is_valid_media_type("image/svg+xml"));
  CHECK_FALSE(is_valid_media_type("image"));
  CHECK_FALSE(is_valid_media_type("text/plain; charset=x"));
  CHECK_FALSE(is_valid_media_type("a/b\r\nX: y"));
  CHECK(is_text_media_type("TEXT/html"));
}
