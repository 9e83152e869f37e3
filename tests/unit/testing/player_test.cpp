// Test that the header is self-contained.
#include <mailproto/testing/player.hpp>

#include <mailproto/net/connection.hpp>

#include <asio/io_context.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

using namespace mailproto;

namespace {
// One write of `bytes` to the player, run to completion: its error.
std::error_code write_to(testing::player& peer, std::string_view bytes) {
  asio::io_context ctx;
  testing::stream s(peer, ctx.get_executor());
  std::error_code ec;
  asio::async_write(s, asio::buffer(bytes), [&](std::error_code e, std::size_t) { ec = e; });
  ctx.run();
  return ec;
}
}  // namespace

TEST_CASE("transcript: lines, escapes, directives, comments", "[testing][transcript]") {
  auto t = testing::transcript::parse(
      "# what it shows\n"
      "# RFC 1939 §5\n"
      "S: +OK ready\n"
      "C: PASS <redacted>\n"
      "S: * LIST (\\HasNoChildren) \"/\" INBOX\n"
      "S: bin\\x00\\x41\\\\\n"
      "S: no crlf\\\n"
      "@tls\n"
      "\n"
      "@eof\n"
      "@error pop3.negative\n",
      "t.txt");
  CHECK(t.comments() == std::vector<std::string>{"what it shows", "RFC 1939 §5"});
  REQUIRE(t.steps().size() == 7);
  CHECK(t.steps()[0].bytes == "+OK ready\r\n");
  CHECK(t.steps()[1].type == testing::step::kind::client);
  CHECK(t.steps()[1].pieces == std::vector<std::string>{"PASS ", "\r\n"});
  CHECK(t.steps()[2].bytes == "* LIST (\\HasNoChildren) \"/\" INBOX\r\n");
  CHECK(t.steps()[3].bytes == std::string("bin\0A\\\r\n", 8));
  CHECK(t.steps()[4].bytes == "no crlf");
  CHECK(t.steps()[5].type == testing::step::kind::tls);
  CHECK(t.steps()[6].type == testing::step::kind::eof);
  CHECK(t.steps()[6].line == 10);
  CHECK(t.expected_error() == "pop3.negative");
}

TEST_CASE("transcript: malformed lines name the line", "[testing][transcript]") {
  CHECK_THROWS_WITH(testing::transcript::parse("S: ok\nX: what\n", "bad.txt"),
                    Catch::Contains("bad.txt:2"));
  CHECK_THROWS_WITH(testing::transcript::parse("@bogus\n", "bad.txt"),
                    Catch::Contains("unknown directive"));
}

TEST_CASE("escape and unescape are inverse", "[testing][transcript]") {
  const std::string raw("a\r\nb\0c\\d\x7f", 10);
  bool crlf = true;
  CHECK(testing::unescape(testing::escape(raw), crlf) == raw);
  CHECK(crlf);
}

namespace {

// A minimal client written against the Asio-compatible stream: read a line, send a line.
struct line_client {
  explicit line_client(testing::stream& st) : s(st) {}
  testing::stream& s;
  asio::streambuf buf;
  std::error_code ec;
  std::string greeting;
  void run() {
    asio::async_read_until(s, buf, "\r\n", [this](std::error_code e, std::size_t n) {
      if (e) {
        ec = e;
        return;
      }
      greeting.assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
      buf.consume(n);
      asio::async_write(s, asio::buffer(std::string_view("USER bob\r\n")),
                        [this](std::error_code e2, std::size_t) { ec = e2; });
    });
  }
};

}  // namespace

TEST_CASE("player as an Asio stream: match, and a readable mismatch report", "[testing][player]") {
  {
    testing::player peer(testing::transcript::parse("S: +OK hi\nC: USER bob\n", "ok.txt"));
    asio::io_context ctx;
    testing::stream s(peer, ctx.get_executor());
    line_client c(s);
    c.run();
    ctx.run();
    CHECK_FALSE(c.ec);
    CHECK(c.greeting == "+OK hi\r\n");
    CHECK(peer.finished());
    CHECK(peer.sent() == "USER bob\r\n");
  }
  {
    testing::player peer(testing::transcript::parse("S: +OK hi\nC: USER alice\n", "mismatch.txt"));
    asio::io_context ctx;
    testing::stream s(peer, ctx.get_executor());
    line_client c(s);
    c.run();
    ctx.run();
    CHECK(c.ec == testing::errc::mismatch);
    CHECK_FALSE(peer.finished());
    CHECK(peer.failure() ==
          "mismatch.txt:2: expected C: USER alice\\r\\n\n  but the client sent: USER bob\\r\\n");
  }
}

TEST_CASE("player: reading where the client should write is reported", "[testing][player]") {
  testing::player peer(testing::transcript::parse("C: CAPA\nS: +OK\n", "order.txt"));
  asio::io_context ctx;
  testing::stream s(peer, ctx.get_executor());
  line_client c(s);
  c.run();
  ctx.run();
  CHECK(c.ec == testing::errc::unexpected_read);
  CHECK_THAT(peer.failure(), Catch::Contains("order.txt:1") &&
                                 Catch::Contains("expects the client to send: C: CAPA"));
}

TEST_CASE("player: bytewise delivery hands out one byte per read", "[testing][player]") {
  testing::player peer(testing::transcript::parse("S: +OK hi\nC: USER bob\n", "b.txt"),
                       testing::delivery::byte_by_byte());
  asio::io_context ctx;
  testing::stream s(peer, ctx.get_executor());
  line_client c(s);
  c.run();
  ctx.run();
  CHECK(c.greeting == "+OK hi\r\n");
  CHECK(peer.reads() == 8);
  CHECK(peer.finished());
}

TEST_CASE("player: secrets match <redacted> and can be pinned", "[testing][player]") {
  auto script = testing::transcript::parse("S: +OK\nC: PASS <redacted>\n", "s.txt");
  {
    testing::player peer(script);
    peer.expect_secret("hunter2");
    const std::error_code ec = write_to(peer, "PASS hunter2\r\n");
    // The client wrote before reading the greeting: that is an order mismatch.
    CHECK(ec == testing::errc::mismatch);
  }
  {
    testing::player peer(testing::transcript::parse("C: PASS <redacted>\n", "s2.txt"));
    peer.expect_secret("hunter2");
    const std::error_code ec = write_to(peer, "PASS wrong\r\n");
    CHECK(ec == testing::errc::mismatch);
    CHECK_THAT(peer.failure(), Catch::Contains("secret"));
  }
  {
    testing::player peer(testing::transcript::parse("C: PASS <redacted>\n", "s3.txt"));
    peer.expect_secret("hunter2");
    const std::error_code ec = write_to(peer, "PASS hunter2\r\n");
    CHECK_FALSE(ec);
    CHECK(peer.finished());
  }
}

// Found by fuzz_transcript: adjacent markers could never match (the first secret swallowed
// the rest of the write), and an empty line with no CRLF sent nothing, so the player waited.
TEST_CASE("transcript: ambiguous secrets and empty unterminated lines are refused",
          "[testing][transcript]") {
  CHECK_THROWS_WITH(testing::transcript::parse("C: <redacted><redacted>s\n", "adj.txt"),
                    Catch::Contains("adj.txt:1") && Catch::Contains("literal text between"));
  CHECK_THROWS_WITH(testing::transcript::parse("C: a\\<redacted>b\n", "bs.txt"),
                    Catch::Contains("lone"));
  CHECK_THROWS_WITH(testing::transcript::parse("S: ok\nC: \\\n", "e.txt"),
                    Catch::Contains("e.txt:2") && Catch::Contains("at least one byte"));
  CHECK_THROWS_WITH(testing::transcript::parse("S: \\\n"), Catch::Contains("at least one byte"));
  // Also found by fuzz_transcript: a secret ending an unterminated line ran to the end of
  // the client's write, so with pipelined writes it swallowed the next line.
  CHECK_THROWS_WITH(testing::transcript::parse("C: AUTH <redacted>\\\nC: MAIL\n"),
                    Catch::Contains("cannot end a line without CRLF"));
  // A secret at the start of a line, and one before the CRLF, still work.
  auto t = testing::transcript::parse("C: <redacted> x <redacted>\n");
  REQUIRE(t.steps().size() == 1);
  CHECK(t.steps()[0].pieces == std::vector<std::string>{"", " x ", "\r\n"});
}

// Found by fuzz_transcript: a secret followed by text with a line break inside (an escaped
// \r\n in the C: line) was refused when the client wrote it in small pieces.
TEST_CASE("player: secrets match whatever size the client's writes have", "[testing][player]") {
  const std::string sent = "AUTH PLAIN hunter2 x\r\ny tail\r\n";
  for (std::size_t chunk = 1; chunk <= sent.size(); ++chunk) {
    testing::player peer(
        testing::transcript::parse("C: AUTH PLAIN <redacted> x\\r\\ny <redacted>l\n"));
    peer.expect_secret("hunter2");
    peer.expect_secret("tai");
    asio::io_context ctx;
    testing::stream s(peer, ctx.get_executor());
    std::error_code ec;
    for (std::size_t pos = 0; pos < sent.size() && !ec; pos += chunk) {
      asio::async_write(s, asio::buffer(sent.data() + pos, std::min(chunk, sent.size() - pos)),
                        [&](std::error_code e, std::size_t) { ec = e; });
      ctx.run();
      ctx.restart();
    }
    INFO("write size " << chunk << ": " << peer.report());
    CHECK_FALSE(ec);
    CHECK(peer.finished());
  }
  // A secret never spans a line end: the next piece must follow on the same line.
  testing::player peer(testing::transcript::parse("C: PASS <redacted>\n"));
  CHECK(write_to(peer, "PASS a\nb\r\n") == testing::errc::mismatch);
}

TEST_CASE("all_deliveries covers whole, bytewise and every split", "[testing][player]") {
  auto t = testing::transcript::parse("S: abc\nC: x\nS: 12345\n");
  auto d = testing::all_deliveries(t);
  // longest burst "12345\r\n" = 7 bytes: whole, bytewise, splits 1..5
  CHECK(d.size() == 2 + 5);
}
