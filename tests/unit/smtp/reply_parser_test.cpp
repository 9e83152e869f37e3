// smtp::reply_parser: grammar, multi-line replies, enhanced codes, bounds, any chunking.
#include <mailproto/smtp/reply_parser.hpp>

#include <mailproto/net/errc.hpp>
#include <mailproto/smtp/capabilities.hpp>
#include <mailproto/smtp/errc.hpp>
#include <mailproto/smtp/protocol.hpp>

#include <catch2/catch.hpp>

using namespace mailproto;
using smtp::reply_parser;

namespace {

// Parse `bytes` fed in pieces of `step` bytes (0: whole); all replies, or the error.
std::vector<server_reply> parse_all(std::string_view bytes, std::size_t step, std::error_code& ec,
                                    bool enhanced = false, smtp::reply_limits lim = {}) {
  reply_parser p(lim);
  p.set_enhanced_status(enhanced);
  std::vector<server_reply> out;
  std::size_t pos = 0;
  ec = {};
  do {
    std::size_t n = step == 0 ? bytes.size() : std::min(step, bytes.size() - pos);
    p.feed(bytes.substr(pos, n));
    pos += n;
    server_reply r;
    while (p.next(r, ec)) out.push_back(r);
    if (ec) return out;
  } while (pos < bytes.size());
  return out;
}

}  // namespace

TEST_CASE("smtp reply parser: single and multi-line replies", "[smtp][parser]") {
  const std::string in =
      "220 mx.example.test ESMTP\r\n"
      "250-mx.example.test Hello\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"
      "354\r\n";
  for (std::size_t step : {0, 1, 2, 3, 5, 7}) {
    std::error_code ec;
    auto r = parse_all(in, step, ec);
    INFO("step " << step);
    REQUIRE_FALSE(ec);
    REQUIRE(r.size() == 3);
    CHECK(r[0].code == 220);
    CHECK(r[0].lines == std::vector<std::string>{"mx.example.test ESMTP"});
    CHECK(r[1].code == 250);
    CHECK(r[1].lines == std::vector<std::string>{"mx.example.test Hello", "SIZE 1000", "8BITMIME"});
    CHECK(r[2].code == 354);
    CHECK(r[2].lines == std::vector<std::string>{""});
  }
}

TEST_CASE("smtp reply parser: every split of a multi-line reply gives the same result",
          "[smtp][parser]") {
  const std::string in =
      "250-mx.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n";
  std::error_code ec0;
  auto whole = parse_all(in, 0, ec0);
  REQUIRE(whole.size() == 1);
  for (std::size_t k = 1; k < in.size(); ++k) {
    reply_parser p;
    p.feed(in.substr(0, k));
    server_reply r;
    std::error_code ec;
    bool got = p.next(r, ec);
    CHECK_FALSE(ec);
    CHECK_FALSE(got);  // incomplete until the last CRLF
    p.feed(in.substr(k));
    REQUIRE(p.next(r, ec));
    CHECK(r.lines == whole[0].lines);
    CHECK_FALSE(p.has_buffered());
  }
}

TEST_CASE("smtp reply parser: enhanced status codes (RFC 3463)", "[smtp][parser]") {
  std::error_code ec;
  auto r = parse_all("550-5.1.1 <x@y>: Recipient address rejected\r\n550 5.1.1 User unknown\r\n", 1,
                     ec, true);
  REQUIRE(r.size() == 1);
  CHECK(r[0].enhanced == "5.1.1");
  CHECK(r[0].lines ==
        std::vector<std::string>{"<x@y>: Recipient address rejected", "User unknown"});
  CHECK(r[0].to_string() == "550 5.1.1 <x@y>: Recipient address rejected / User unknown");
  // Off: the text stays as sent.
  r = parse_all("250 2.0.0 Ok\r\n", 0, ec, false);
  CHECK(r[0].enhanced.empty());
  CHECK(r[0].lines[0] == "2.0.0 Ok");
  // Class must match the reply's first digit; 334 challenges are never parsed.
  r = parse_all("250 5.0.0 odd\r\n334 2.1.1\r\n", 0, ec, true);
  CHECK(r[0].enhanced.empty());
  CHECK(r[1].enhanced.empty());
  CHECK(smtp::parse_enhanced_status("4.7.0 x", '4') == 6);
  CHECK(smtp::parse_enhanced_status("4.7.0", '4') == 5);
  CHECK(smtp::parse_enhanced_status("4.7. x", '4') == 0);
  CHECK(smtp::parse_enhanced_status("4.1234.0 x", '4') == 0);
  CHECK(smtp::parse_enhanced_status("2.0.0x", '2') == 0);
}

TEST_CASE("smtp reply parser: malformed replies", "[smtp][parser]") {
  const std::pair<const char*, smtp::errc> bad[] = {
      {"hello\r\n", smtp::errc::bad_reply},  {"25\r\n", smtp::errc::bad_reply},
      {"2500 x\r\n", smtp::errc::bad_reply}, {"650 x\r\n", smtp::errc::bad_reply},
      {"160 x\r\n", smtp::errc::bad_reply},  {"260 x\r\n", smtp::errc::bad_reply},
      {"250_x\r\n", smtp::errc::bad_reply},  {"250-a\r\n251 b\r\n", smtp::errc::inconsistent_reply},
  };
  for (auto [in, want] : bad) {
    for (std::size_t step : {0, 1}) {
      std::error_code ec;
      auto r = parse_all(in, step, ec);
      INFO(in);
      CHECK(r.empty());
      CHECK(ec == want);
    }
  }
}

TEST_CASE("smtp reply parser: bounds", "[smtp][parser]") {
  smtp::reply_limits lim;
  lim.max_line = 100;
  lim.max_lines = 5;
  std::error_code ec;
  // A line longer than the bound, without its end yet: error as soon as it is too long.
  reply_parser p(lim);
  p.feed("250 " + std::string(200, 'x'));
  server_reply r;
  CHECK_FALSE(p.next(r, ec));
  CHECK(ec == net::errc::line_too_long);
  // Once failed, stays failed.
  p.feed("\r\n250 ok\r\n");
  CHECK_FALSE(p.next(r, ec));
  CHECK(ec == net::errc::line_too_long);
  // Too many lines.
  std::string many;
  for (int i = 0; i < 6; ++i) many += "250-line\r\n";
  many += "250 end\r\n";
  parse_all(many, 1, ec, false, lim);
  CHECK(ec == smtp::errc::reply_too_long);
  // Exactly at the bound: fine.
  std::string five = "250-a\r\n250-b\r\n250-c\r\n250-d\r\n250 e\r\n";
  auto ok = parse_all(five, 0, ec, false, lim);
  CHECK_FALSE(ec);
  CHECK(ok.size() == 1);
}

TEST_CASE("smtp reply parser: bare LF is tolerated, reset forgets", "[smtp][parser]") {
  std::error_code ec;
  auto r = parse_all("220 old server\n250 ok\n", 1, ec);
  REQUIRE(r.size() == 2);
  CHECK(r[1].lines[0] == "ok");
  reply_parser p;
  p.feed("220 x\r\n250 partial");
  server_reply rep;
  CHECK(p.next(rep, ec));
  CHECK(p.has_buffered());
  p.reset();
  CHECK_FALSE(p.has_buffered());
}

TEST_CASE("smtp capabilities: EHLO keywords", "[smtp][parser]") {
  server_reply r;
  r.code = 250;
  r.lines = {"mx.example.test Hello [127.0.0.1]",
             "PIPELINING",
             "SIZE 10240000",
             "etrn",
             "STARTTLS",
             "AUTH PLAIN login Scram-SHA-256",
             "AUTH=PLAIN LOGIN",
             "ENHANCEDSTATUSCODES",
             "8BITMIME",
             "DSN",
             "SMTPUTF8",
             "CHUNKING",
             "BINARYMIME",
             "REQUIRETLS"};
  auto c = smtp::capabilities::parse(r);
  CHECK(c.esmtp);
  CHECK(c.server_name == "mx.example.test");
  CHECK(c.size == 10240000u);
  CHECK(c.pipelining);
  CHECK(c.starttls);
  CHECK(c.auth == std::vector<std::string>{"PLAIN", "LOGIN", "SCRAM-SHA-256"});
  CHECK(c.enhanced_status_codes);
  CHECK(c.eight_bit_mime);
  CHECK(c.dsn);
  CHECK(c.smtputf8);
  CHECK(c.chunking);
  CHECK(c.binary_mime);
  CHECK(c.require_tls);
  CHECK(c.has("ETRN"));
  CHECK_FALSE(c.has("VRFY"));
  r.lines = {"x", "SIZE", "SIZE abc"};
  c = smtp::capabilities::parse(r);
  CHECK(c.size == 0u);
}

TEST_CASE("smtp: xtext and address checks", "[smtp]") {
  CHECK(smtp::xtext("a+b=c d") == "a+2Bb+3Dc+20d");
  CHECK(smtp::xtext("\xc3\xa9") == "+C3+A9");
  bool utf8 = false;
  CHECK_FALSE(smtp::check_address("bob@example.test", utf8));
  CHECK_FALSE(utf8);
  CHECK_FALSE(smtp::check_address("an@ví-dụ.test", utf8));
  CHECK(utf8);
  for (const char* bad : {"", "a b@c", "a\r\n@c", "<a@b>", "a@b>\r\nRCPT TO:<c@d"})
    CHECK(smtp::check_address(bad, utf8) == smtp::errc::bad_address);
  CHECK(smtp::check_address(std::string("a\0b@c", 5), utf8) == smtp::errc::bad_address);
  CHECK(smtp::check_address(std::string(257, 'a'), utf8) == smtp::errc::bad_address);
}

TEST_CASE("smtp errors map to conditions", "[smtp]") {
  CHECK(smtp::make_reply_error(450) == condition::transient);
  CHECK(smtp::make_reply_error(550) == condition::permanent);
  CHECK_FALSE(is_fatal(smtp::make_reply_error(550)));
  CHECK(is_fatal(smtp::make_reply_error(421)));
  CHECK(std::error_code(smtp::errc::auth_failed) == condition::auth_failed);
  CHECK(std::error_code(smtp::errc::tls_mode_mismatch) == condition::tls_failed);
  CHECK(std::error_code(smtp::errc::bad_reply) == condition::protocol_violation);
  CHECK(is_fatal(smtp::errc::bad_reply));
  CHECK_FALSE(is_fatal(smtp::errc::message_too_large));
  CHECK(std::string(smtp::smtp_category().name()) == "mailproto.smtp");
  CHECK(smtp::make_reply_error(550).message().find("550") != std::string::npos);
}
