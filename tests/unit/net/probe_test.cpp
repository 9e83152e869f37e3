// The driver, the player and the probe operation together: every transcript runs through
// the synchronous and the asynchronous API, with every delivery of the server's bursts.
#include <mailproto/net/probe.hpp>

#include <mailproto/testing/player.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace mailproto;

namespace {

std::string path(const std::string& name) {
  return std::string(MAILPROTO_TESTS_DIR) + "/transcripts/net/" + name;
}

net::connect_options options(testing::player& peer, net::tls_mode mode) {
  net::connect_options o;
  o.host = "mx.example.test";
  o.port = 587;
  o.tls = mode;
  o.io_timeout = std::chrono::milliseconds(500);
  o.transport = peer.transport();
  return o;
}

struct outcome {
  std::error_code ec;
  net::probe_result result;
  bool tls = false;
};

outcome run_sync(testing::player& peer, net::probe_protocol p, net::tls_mode mode) {
  net::connection conn;
  outcome o;
  o.result = net::probe(conn, options(peer, mode), p, o.ec);
  o.tls = conn.tls().active;
  return o;
}

outcome run_async(testing::player& peer, net::probe_protocol p, net::tls_mode mode) {
  asio::io_context ctx;
  net::connection conn(ctx.get_executor());
  conn.set_options(options(peer, mode));
  outcome o;
  bool called = false;
  conn.async_run_owned(net::make_probe_op(p, mode), [&](std::error_code ec, net::probe_result r) {
    called = true;
    o.ec = ec;
    o.result = std::move(r);
  });
  ctx.run();
  CHECK(called);
  o.tls = conn.tls().active;
  return o;
}

void check_all_ways(const std::string& file, net::probe_protocol p, net::tls_mode mode,
                    std::error_code want) {
  const auto script = testing::transcript::load(path(file));
  for (const auto& d : testing::all_deliveries(script)) {
    for (bool async : {false, true}) {
      testing::player peer(script, d);
      auto o = async ? run_async(peer, p, mode) : run_sync(peer, p, mode);
      INFO(file << " with " << d.describe() << (async ? " (async)" : " (sync)"));
      INFO(peer.report());
      CHECK(o.ec == want);
      CHECK(peer.finished());
    }
  }
}

}  // namespace

TEST_CASE("probe: SMTP STARTTLS exchange, every delivery, sync and async",
          "[net][probe][transcript]") {
  check_all_ways("probe-smtp-starttls.txt", net::probe_protocol::smtp, net::tls_mode::starttls, {});
  testing::player peer = testing::player::open(path("probe-smtp-starttls.txt"));
  auto o = run_sync(peer, net::probe_protocol::smtp, net::tls_mode::starttls);
  CHECK(o.result.greeting == "220 mx.example.test ESMTP");
  CHECK(o.result.starttls_used);
  CHECK(o.tls);
  // Capabilities are those seen over TLS only (RFC 3207 §4.2).
  CHECK(o.result.capabilities ==
        std::vector<std::string>{"mx.example.test", "AUTH PLAIN LOGIN", "8BITMIME"});
}

TEST_CASE("probe: POP3 STLS and IMAP STARTTLS", "[net][probe][transcript]") {
  check_all_ways("probe-pop3-stls.txt", net::probe_protocol::pop3, net::tls_mode::starttls, {});
  check_all_ways("probe-imap-starttls.txt", net::probe_protocol::imap, net::tls_mode::starttls, {});
}

TEST_CASE("probe: bytes before the TLS handshake are refused",
          "[net][probe][transcript][security]") {
  // Whole bursts: the injected line arrives with the 220 (in byte-by-byte delivery the
  // client would start TLS first, and the plaintext would break the handshake instead).
  testing::player peer = testing::player::open(path("probe-smtp-injection.txt"));
  auto o = run_sync(peer, net::probe_protocol::smtp, net::tls_mode::starttls);
  CHECK(o.ec == net::errc::data_before_tls_handshake);
  CHECK_FALSE(o.tls);
  CHECK(peer.finished());
  CHECK(peer.script().expected_error() == "net.data_before_tls_handshake");
}

TEST_CASE("probe: STARTTLS required but not offered sends nothing more",
          "[net][probe][transcript][security]") {
  check_all_ways("probe-smtp-no-starttls.txt", net::probe_protocol::smtp, net::tls_mode::starttls,
                 net::errc::starttls_not_offered);
}

TEST_CASE("probe: a silent server times out within the deadline", "[net][probe][transcript]") {
  testing::player peer = testing::player::open(path("probe-stall.txt"));
  const auto t0 = std::chrono::steady_clock::now();
  auto o = run_sync(peer, net::probe_protocol::smtp, net::tls_mode::starttls);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(o.ec == net::errc::timeout);
  CHECK(took >= std::chrono::milliseconds(450));
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("probe: async with use_future and cancellation-free completion", "[net][probe]") {
  testing::player peer = testing::player::open(path("probe-pop3-stls.txt"));
  asio::io_context ctx;
  net::connection conn(ctx.get_executor());
  conn.set_options(options(peer, net::tls_mode::starttls));
  auto f = conn.async_run_owned(
      net::make_probe_op(net::probe_protocol::pop3, net::tls_mode::starttls), asio::use_future);
  std::thread t([&] { ctx.run(); });
  auto r = f.get();
  t.join();
  CHECK(r.greeting == "+OK Dovecot ready.");
  CHECK(peer.finished());
}

TEST_CASE("probe: trace shows C:/S: lines and TLS notes", "[net][probe][trace]") {
  testing::player peer = testing::player::open(path("probe-pop3-stls.txt"));
  std::vector<std::string> lines;
  auto o = options(peer, net::tls_mode::starttls);
  o.trace = [&](std::string_view l) { lines.emplace_back(l); };
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, net::probe_protocol::pop3, ec);
  REQUIRE_FALSE(ec);
  auto has = [&](const std::string& s) {
    return std::find(lines.begin(), lines.end(), s) != lines.end();
  };
  CHECK(has("S: +OK Dovecot ready."));
  CHECK(has("C: STLS"));
  CHECK(has("C: QUIT"));
}

TEST_CASE("probe: an async operation is cancelled through its cancellation slot",
          "[net][probe][cancel]") {
  testing::player peer = testing::player::open(path("probe-stall.txt"));
  asio::io_context ctx;
  net::connection conn(ctx.get_executor());
  auto o = options(peer, net::tls_mode::starttls);
  o.io_timeout = std::chrono::seconds(30);  // only the cancellation can end it quickly
  conn.set_options(o);
  asio::cancellation_signal signal;
  std::error_code got;
  bool called = false;
  conn.async_run_owned(
      net::make_probe_op(net::probe_protocol::smtp, net::tls_mode::starttls),
      asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, net::probe_result) {
        called = true;
        got = ec;
      }));
  asio::steady_timer t(ctx, std::chrono::milliseconds(50));
  t.async_wait([&](std::error_code) { signal.emit(asio::cancellation_type::terminal); });
  const auto t0 = std::chrono::steady_clock::now();
  ctx.run();
  CHECK(called);
  CHECK(got == net::errc::cancelled);
  CHECK(got == condition::cancelled);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}
