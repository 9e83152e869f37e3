// A reset in the middle of the TLS handshake (issue #9, "Hostile and faulty peers"): a
// loopback peer on 127.0.0.1 takes the ClientHello and then resets the connection (RST),
// closes it (FIN) after half a record, or answers with bytes that are not TLS. The
// connection must end with a clear TLS/connection error, quickly (well before its
// deadline), and be reported closed. Needs no sandbox. [timing]: the test compares wall-clock
// times (scripts/test leaves these out of its valgrind run).
#include <mailproto/net/errc.hpp>
#include <mailproto/net/probe.hpp>
#include "support/loopback_peer.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

using namespace mailproto;
using namespace std::chrono_literals;
using net::probe_protocol;
using net::tls_mode;

namespace {

using reset_peer = test_support::loopback_peer;

// Reads at least `n` bytes of what the client sends (its ClientHello).
void take(asio::ip::tcp::socket& s, std::size_t n) {
  std::error_code ec;
  char buf[4096];
  std::size_t got = 0;
  while (!ec && got < n) got += s.read_some(asio::buffer(buf), ec);
}

// RST instead of FIN: SO_LINGER with a zero timeout, then close.
void reset(asio::ip::tcp::socket& s) {
  std::error_code ec;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

// The SMTP exchange up to the STARTTLS go-ahead.
void smtp_until_starttls(asio::ip::tcp::socket& s) {
  std::error_code ec;
  asio::streambuf buf;
  asio::write(s, asio::buffer(std::string("220 peer ESMTP\r\n")), ec);
  asio::read_until(s, buf, "\r\n", ec);  // EHLO
  buf.consume(buf.size());
  asio::write(s, asio::buffer(std::string("250-peer\r\n250 STARTTLS\r\n")), ec);
  asio::read_until(s, buf, "\r\n", ec);  // STARTTLS
  asio::write(s, asio::buffer(std::string("220 go ahead\r\n")), ec);
}

net::connect_options opts(std::uint16_t port, tls_mode mode) {
  net::connect_options o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = mode;
  o.connect_timeout = 5s;
  o.io_timeout = 5s;
  return o;
}

// Runs the probe and checks the failure: a TLS or connection error, in far less time than
// the 5 s deadline (the reset is seen at once, not waited out), connection closed.
void expect_reset_error(const net::connect_options& o, probe_protocol p) {
  net::connection conn;
  std::error_code ec;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = net::probe(conn, o, p, ec);
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO("error: " << ec.message());
  CHECK((ec == net::errc::tls_handshake_failed || ec == net::errc::connection_closed));
  CHECK((ec == condition::tls_failed || ec == condition::connection_lost));
  CHECK(mailproto::is_fatal(ec));
  CHECK(took < 3s);
  CHECK_FALSE(conn.tls().active);
  CHECK_FALSE(r.tls);
  CHECK_FALSE(conn.is_open());
}

}  // namespace

TEST_CASE("implicit TLS: the peer resets after the ClientHello",
          "[integration][net][tls][timing]") {
  reset_peer peer([](asio::ip::tcp::socket& s) {
    take(s, 5);
    reset(s);
  });
  expect_reset_error(opts(peer.port(), tls_mode::implicit), probe_protocol::imap);
}

TEST_CASE("implicit TLS: the peer closes after half a ServerHello record",
          "[integration][net][tls][timing]") {
  reset_peer peer([](asio::ip::tcp::socket& s) {
    take(s, 5);
    std::error_code ec;
    // Handshake record header announcing 80 bytes, then 4 of them, then FIN.
    const std::string half("\x16\x03\x03\x00\x50\x02\x00\x00\x4c", 9);
    asio::write(s, asio::buffer(half), ec);
    s.shutdown(asio::socket_base::shutdown_both, ec);
    s.close(ec);
  });
  expect_reset_error(opts(peer.port(), tls_mode::implicit), probe_protocol::pop3);
}

TEST_CASE("implicit TLS: the peer answers the ClientHello with plain text",
          "[integration][net][tls]") {
  reset_peer peer([](asio::ip::tcp::socket& s) {
    take(s, 5);
    std::error_code ec;
    asio::write(s, asio::buffer(std::string("* OK IMAP4rev1 ready, no TLS here\r\n")), ec);
    take(s, 1);  // until the client hangs up
  });
  net::connection conn;
  std::error_code ec;
  net::probe(conn, opts(peer.port(), tls_mode::implicit), probe_protocol::imap, ec);
  CHECK(ec == net::errc::tls_handshake_failed);
  CHECK_FALSE(conn.tls().active);
}

TEST_CASE("STARTTLS: the peer resets in the middle of the handshake",
          "[integration][net][tls][timing]") {
  reset_peer peer([](asio::ip::tcp::socket& s) {
    smtp_until_starttls(s);
    take(s, 5);  // the ClientHello
    reset(s);
  });
  expect_reset_error(opts(peer.port(), tls_mode::starttls), probe_protocol::smtp);
}

TEST_CASE("STARTTLS: the peer closes right after the go-ahead", "[integration][net][tls][timing]") {
  reset_peer peer([](asio::ip::tcp::socket& s) {
    smtp_until_starttls(s);
    std::error_code ec;
    s.shutdown(asio::socket_base::shutdown_both, ec);
    s.close(ec);
  });
  expect_reset_error(opts(peer.port(), tls_mode::starttls), probe_protocol::smtp);
}
