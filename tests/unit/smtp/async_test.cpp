// The async API with asio::use_future and asio::use_awaitable, and cancellation.
#include "harness.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <thread>

using namespace smtp_test;
using namespace mailproto;
namespace smtp = mailproto::smtp;

namespace {
smtp::envelope env_bob() {
  smtp::envelope e;
  e.from = "alice@example.test";
  e.recipients = {"bob@example.test"};
  return e;
}
}  // namespace

TEST_CASE("smtp async: use_future with a thread running the io_context", "[smtp][async]") {
  auto peer = testing::player::open(transcript_path("three-messages.txt"));
  asio::io_context ctx;
  auto work = asio::make_work_guard(ctx);
  std::thread t([&] { ctx.run(); });
  {
    smtp::client c(ctx.get_executor(), test_options());
    c.async_connect(server(peer), asio::use_future).get();
    for (int i = 1; i <= 3; ++i) {
      const std::string n = std::to_string(i);
      string_source src("Subject: message " + n + "\r\n\r\nbody " + n + "\r\n");
      smtp::send_result r = c.async_send(src, env_bob(), asio::use_future).get();
      CHECK(r.delivered);
      CHECK(r.final_reply.text() == "queued as Q" + n);
    }
    c.async_noop(asio::use_future).get();
    c.async_reset(asio::use_future).get();
    c.async_quit(asio::use_future).get();
  }
  work.reset();
  t.join();
  INFO(peer.report());
  CHECK(peer.finished());
}

TEST_CASE("smtp async: use_future reports errors as exceptions", "[smtp][async]") {
  auto peer = testing::player::open(transcript_path("auth-535.txt"));
  peer.expect_secret(sasl::base64_encode(sasl::plain_response("", "alice", "wrong")));
  asio::io_context ctx;
  auto work = asio::make_work_guard(ctx);
  std::thread t([&] { ctx.run(); });
  {
    smtp::client c(ctx.get_executor(), test_options());
    c.async_connect(server(peer, net::tls_mode::starttls), asio::use_future).get();
    auto f = c.async_login("alice", "wrong", asio::use_future);
    try {
      f.get();
      FAIL("no exception");
    } catch (const std::system_error& e) {
      CHECK(e.code() == smtp::errc::auth_failed);
    }
    c.async_noop(asio::use_future).get();
    c.async_quit(asio::use_future).get();
  }
  work.reset();
  t.join();
  CHECK(peer.finished());
}

// Asio enables coroutines only where the compiler and library support them (g++ 12 does;
// clang 14 with libstdc++ does not).
#if defined(ASIO_HAS_CO_AWAIT)
TEST_CASE("smtp async: use_awaitable", "[smtp][async]") {
  auto peer = testing::player::open(transcript_path("submission-starttls-plain.txt"));
  peer.expect_secret(sasl::base64_encode(sasl::plain_response("", "alice", "hunter2")));
  asio::io_context ctx;
  smtp::client c(ctx.get_executor(), test_options());
  bool done = false;
  smtp::send_result result;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        co_await c.async_connect(server(peer, net::tls_mode::starttls), asio::use_awaitable);
        co_await c.async_login("alice", "hunter2", asio::use_awaitable);
        string_source src("From: alice@example.test\r\nTo: bob@example.test\r\n\r\nHi Bob\r\n");
        result = co_await c.async_send(src, env_bob(), asio::use_awaitable);
        co_await c.async_quit(asio::use_awaitable);
        done = true;
      },
      asio::detached);
  ctx.run();
  CHECK(done);
  CHECK(result.delivered);
  INFO(peer.report());
  CHECK(peer.finished());
}
#else
TEST_CASE("smtp async: use_awaitable", "[smtp][async]") {
  WARN("asio::use_awaitable is not available with this compiler: skipped");
}
#endif

TEST_CASE("smtp async: cancelling a send leaves the client unusable", "[smtp][async]") {
  // The server goes silent after 354: the send waits; the caller cancels it.
  auto script = testing::transcript::parse(
      "S: 220 mx ESMTP\n"
      "C: EHLO client.example.test\n"
      "S: 250 mx\n"
      "C: MAIL FROM:<alice@example.test>\n"
      "S: 250 ok\n"
      "C: RCPT TO:<bob@example.test>\n"
      "S: 250 ok\n"
      "C: DATA\n"
      "S: 354 go\n"
      "C: x\n"
      "C: .\n"
      "@stall\n",
      "cancel");
  testing::player peer(script);
  asio::io_context ctx;
  smtp::client c(ctx.get_executor(), test_options());
  std::error_code connect_ec, send_ec;
  c.async_connect(server(peer), [&](std::error_code ec) { connect_ec = ec; });
  ctx.run();
  REQUIRE_FALSE(connect_ec);
  CHECK(c.usable());
  asio::cancellation_signal sig;
  string_source src("x\r\n");
  bool called = false;
  c.async_send(
      src, env_bob(),
      asio::bind_cancellation_slot(sig.slot(), [&](std::error_code ec, smtp::send_result r) {
        called = true;
        send_ec = ec;
        CHECK_FALSE(r.delivered);
      }));
  ctx.restart();
  // Run until the client is waiting for the final reply, then cancel.
  for (int i = 0; i < 100 && !called; ++i) ctx.poll();
  REQUIRE_FALSE(called);
  CHECK(peer.sent().find("x\r\n.\r\n") != std::string::npos);
  sig.emit(asio::cancellation_type::terminal);
  ctx.run();
  CHECK(called);
  CHECK(send_ec == net::errc::cancelled);
  CHECK(send_ec == condition::cancelled);
  CHECK_FALSE(c.usable());
  CHECK(c.state() == smtp::session_state::failed);
}
