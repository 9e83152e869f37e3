// Test that the header is self-contained.
#include <mailproto/net/trace.hpp>

#include <mailproto/net/errc.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace mailproto;

TEST_CASE("tracer prints C:/S: lines and joins partial lines", "[net][trace]") {
  std::vector<std::string> lines;
  net::tracer t([&](std::string_view l) { lines.emplace_back(l); });
  t.server("220 mx ESMTP\r\n250-a");
  t.server("bc\r\n");
  t.client("EHLO me\r\n");
  t.note("TLS handshake");
  CHECK(lines ==
        std::vector<std::string>{"S: 220 mx ESMTP", "S: 250-abc", "C: EHLO me", "# TLS handshake"});
}

TEST_CASE("tracer redacts secret spans", "[net][trace]") {
  std::vector<std::string> lines;
  net::tracer t([&](std::string_view l) { lines.emplace_back(l); });
  const std::string cmd = "AUTH PLAIN AGJvYgBodW50ZXIy\r\n";
  t.client(cmd, {net::secret_span{11, cmd.size() - 13}});
  const std::string pass = "PASS hunter2\r\n";
  t.client(pass, {net::secret_span{5, 7}});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "C: AUTH PLAIN <redacted>");
  CHECK(lines[1] == "C: PASS <redacted>");
  for (const auto& l : lines) CHECK(l.find("hunter2") == std::string::npos);
}

TEST_CASE("tracer escapes control bytes so a trace cannot drive a terminal", "[net][trace]") {
  std::vector<std::string> lines;
  net::tracer t([&](std::string_view l) { lines.emplace_back(l); });
  t.server(std::string("* OK \x1b[31mred\0\r\n", 16));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "S: * OK \\x1B[31mred\\x00");
}

TEST_CASE("tracer cuts very long lines", "[net][trace]") {
  std::vector<std::string> lines;
  net::tracer t([&](std::string_view l) { lines.emplace_back(l); }, 10);
  t.server(std::string(100, 'x') + "\r\n");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "S: " + std::string(10, 'x') + "...");
}

TEST_CASE("trace_to writes to a stream", "[net][trace]") {
  std::ostringstream os;
  auto sink = net::trace_to(os);
  sink("C: QUIT");
  CHECK(os.str() == "C: QUIT\n");
}

TEST_CASE("net errors map to conditions and fatality", "[net][errc]") {
  CHECK(make_error_code(net::errc::timeout) == condition::timeout);
  CHECK(make_error_code(net::errc::certificate_verify_failed) == condition::tls_failed);
  CHECK(make_error_code(net::errc::data_before_tls_handshake) == condition::protocol_violation);
  CHECK(is_fatal(net::errc::timeout));
  CHECK_FALSE(is_fatal(net::errc::unsafe_argument));
  CHECK(std::string(net::net_category().name()) == "mailproto.net");
}
