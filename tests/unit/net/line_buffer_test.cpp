// Test that the header is self-contained.
#include <mailproto/net/line_buffer.hpp>

#include <mailproto/net/errc.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace mailproto;

namespace {
std::vector<std::string> drain(net::line_buffer& b, std::error_code& ec) {
  std::vector<std::string> out;
  while (auto l = b.next_line(ec)) out.emplace_back(*l);
  return out;
}
}  // namespace

TEST_CASE("line_buffer splits CRLF lines fed in any chunking", "[net][line_buffer]") {
  const std::string input = "220 ready\r\n250-a\r\n250 b\r\n";
  for (std::size_t split = 0; split <= input.size(); ++split) {
    net::line_buffer b(100);
    std::error_code ec;
    b.feed(input.substr(0, split));
    auto lines = drain(b, ec);
    b.feed(input.substr(split));
    auto more = drain(b, ec);
    lines.insert(lines.end(), more.begin(), more.end());
    REQUIRE_FALSE(ec);
    CHECK(lines == std::vector<std::string>{"220 ready", "250-a", "250 b"});
    CHECK(b.empty());
  }
}

TEST_CASE("line_buffer byte by byte", "[net][line_buffer]") {
  net::line_buffer b(100);
  std::error_code ec;
  std::vector<std::string> lines;
  for (char c : std::string("+OK hi\r\n.\r\n")) {
    b.feed(std::string_view(&c, 1));
    auto got = drain(b, ec);
    lines.insert(lines.end(), got.begin(), got.end());
  }
  CHECK(lines == std::vector<std::string>{"+OK hi", "."});
}

TEST_CASE("line_buffer reports bare LF and keeps it usable", "[net][line_buffer]") {
  net::line_buffer b;
  std::error_code ec;
  b.feed("one\ntwo\r\n");
  auto l = b.next_line(ec);
  REQUIRE(l);
  CHECK(*l == "one");
  CHECK(b.bare_lf());
  l = b.next_line(ec);
  REQUIRE(l);
  CHECK(*l == "two");
  CHECK_FALSE(b.bare_lf());
}

TEST_CASE("line_buffer bounds a line that never ends", "[net][line_buffer]") {
  net::line_buffer b(16);
  std::error_code ec;
  b.feed(std::string(16, 'x'));
  CHECK_FALSE(b.next_line(ec));
  CHECK_FALSE(ec);  // exactly at the bound: still waiting
  b.feed("y");
  CHECK_FALSE(b.next_line(ec));
  CHECK(ec == net::errc::line_too_long);
  CHECK(ec == condition::protocol_violation);

  net::line_buffer c(4);
  std::error_code ec2;
  c.feed("12345\r\n");
  CHECK_FALSE(c.next_line(ec2));
  CHECK(ec2 == net::errc::line_too_long);
}

TEST_CASE("line_buffer keeps bytes after the last line as pending", "[net][line_buffer]") {
  net::line_buffer b;
  std::error_code ec;
  b.feed("220 go ahead\r\n250 injected");
  auto l = b.next_line(ec);
  REQUIRE(l);
  CHECK(*l == "220 go ahead");
  CHECK(b.pending() == "250 injected");
  CHECK_FALSE(b.empty());
  b.consume(4);
  CHECK(b.pending() == "injected");
}

TEST_CASE("is_safe_wire_value rejects CR, LF and NUL", "[net]") {
  CHECK(net::is_safe_wire_value("bob@example.test"));
  CHECK_FALSE(net::is_safe_wire_value("a\rb"));
  CHECK_FALSE(net::is_safe_wire_value("a\nb"));
  CHECK_FALSE(net::is_safe_wire_value(std::string("a\0b", 3)));
}

TEST_CASE("line_buffer: a line of exactly the bound is accepted however the CRLF is split",
          "[net][line_buffer]") {
  const std::string line(8, 'x');
  const std::string input = line + "\r\n";
  for (std::size_t split = 0; split <= input.size(); ++split) {
    net::line_buffer b(8);
    std::error_code ec;
    b.feed(input.substr(0, split));
    std::optional<std::string> got;  // a returned view dies with the next feed(): copy it
    if (auto first = b.next_line(ec)) got = std::string(*first);
    REQUIRE_FALSE(ec);
    b.feed(input.substr(split));
    if (!got)
      if (auto second = b.next_line(ec)) got = std::string(*second);
    REQUIRE_FALSE(ec);
    REQUIRE(got);
    CHECK(*got == line);
  }
}

// feed_borrowed reads the caller's bytes in place; keep() must save what is pending before
// the caller reuses its buffer. Here the caller's buffer is overwritten with junk after
// every keep(): any byte still read from it would show up in the lines.
TEST_CASE("line_buffer: borrowed feeds give the same lines as copied ones, in any chunking",
          "[net][line_buffer]") {
  const std::string input = "+OK 120 octets\r\nline one\r\n.stuffed\r\n\r\nlast\r\n.\r\n";
  std::vector<std::string> expected;
  {
    net::line_buffer b(100);
    std::error_code ec;
    b.feed(input);
    expected = drain(b, ec);
    REQUIRE(expected.size() == 6);
  }
  for (std::size_t chunk = 1; chunk <= input.size(); ++chunk) {
    for (const bool consume_partly : {false, true}) {
      net::line_buffer b(100);
      std::error_code ec;
      std::vector<std::string> got;
      std::string reused;  // the caller's read buffer
      for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        reused.assign(input, pos, chunk);
        b.feed_borrowed(reused);
        // Sometimes take only one line before the caller's buffer is reused.
        if (consume_partly) {
          if (auto l = b.next_line(ec)) got.emplace_back(*l);
        } else {
          auto more = drain(b, ec);
          got.insert(got.end(), more.begin(), more.end());
        }
        b.keep();
        reused.assign(reused.size(), '#');
      }
      auto rest = drain(b, ec);
      got.insert(got.end(), rest.begin(), rest.end());
      INFO("chunk " << chunk << (consume_partly ? ", one line per read" : ""));
      REQUIRE_FALSE(ec);
      CHECK(got == expected);
      CHECK(b.empty());
    }
  }
}

TEST_CASE("line_buffer: a borrowed partial line still counts against the bound",
          "[net][line_buffer]") {
  net::line_buffer b(8);
  std::error_code ec;
  std::string reused = "0123456789";  // longer than the bound, no line end
  b.feed_borrowed(reused);
  CHECK_FALSE(b.next_line(ec));
  CHECK(ec == net::errc::line_too_long);
  // pending()/consume() work on borrowed bytes too (the POP3 bulk path uses them)
  net::line_buffer c(100);
  std::string data = "abc\r\ndef";
  c.feed_borrowed(data);
  CHECK(c.pending() == "abc\r\ndef");
  c.consume(5);
  c.keep();
  data.assign(data.size(), '#');
  CHECK(c.pending() == "def");
  c.feed_borrowed("\r\n");
  auto l = c.next_line(ec);
  REQUIRE(l);
  CHECK(*l == "def");
}
