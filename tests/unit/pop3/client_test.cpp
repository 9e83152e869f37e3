// POP3 client: completion tokens (callbacks, use_awaitable), deadlines, argument checks.
#include <mailproto/net/errc.hpp>
#include <mailproto/pop3/client.hpp>
#include <mailproto/testing/player.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

using namespace mailproto;
using namespace std::chrono_literals;

namespace {

std::string transcript_path(const std::string& name) {
  return std::string(MAILPROTO_TESTS_DIR) + "/transcripts/pop3/" + name;
}

pop3::client_options opts(testing::player& peer, net::tls_mode tls = net::tls_mode::none) {
  pop3::client_options o;
  o.net.host = "mail.example.test";
  o.net.port = 110;
  o.net.tls = tls;
  o.net.io_timeout = 2s;
  o.net.transport = peer.transport();
  o.allow_plaintext_auth = true;
  return o;
}

}  // namespace

TEST_CASE("pop3 async with callbacks", "[pop3][async]") {
  auto peer = testing::player::open(transcript_path("lecture.txt"));
  asio::io_context ioc;
  pop3::client c(ioc.get_executor());
  std::string m1, m2;
  string_sink s1(m1), s2(m2);
  std::vector<pop3::message_info> listed;
  pop3::quit_result quit;
  std::error_code last;
  auto fail = [&](std::error_code ec) { last = ec; };
  c.async_connect(opts(peer), [&](std::error_code ec) {
    if (ec) return fail(ec);
    c.async_login("bob", "pw", [&](std::error_code ec) {
      if (ec) return fail(ec);
      c.async_list([&](std::error_code ec, std::vector<pop3::message_info> l) {
        if (ec) return fail(ec);
        listed = std::move(l);
        c.async_retr(1, s1, [&](std::error_code ec, std::uint64_t) {
          if (ec) return fail(ec);
          c.async_dele(1, [&](std::error_code ec) {
            if (ec) return fail(ec);
            c.async_retr(2, s2, [&](std::error_code ec, std::uint64_t) {
              if (ec) return fail(ec);
              c.async_dele(2, [&](std::error_code ec) {
                if (ec) return fail(ec);
                c.async_quit([&](std::error_code ec, pop3::quit_result q) {
                  if (ec) return fail(ec);
                  quit = std::move(q);
                });
              });
            });
          });
        });
      });
    });
  });
  ioc.run();
  INFO(peer.report());
  REQUIRE_FALSE(last);
  CHECK(peer.finished());
  CHECK(listed.size() == 2);
  CHECK(m1.find("Subject: first\r\n") != std::string::npos);
  CHECK(m2.size() == listed[1].size);
  CHECK(quit.deleted == std::vector<std::uint32_t>{1, 2});
}

#if defined(ASIO_HAS_CO_AWAIT)
TEST_CASE("pop3 async with use_awaitable", "[pop3][async]") {
  auto peer = testing::player::open(transcript_path("commands.txt"));
  asio::io_context ioc;
  pop3::client c(ioc.get_executor());
  std::exception_ptr failure;
  pop3::mailbox_stat st;
  std::vector<pop3::message_uid> uids;
  pop3::quit_result q;
  auto o = opts(peer);
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        co_await c.async_connect(o, asio::use_awaitable);
        co_await c.async_login("bob", "pw", asio::use_awaitable);
        st = co_await c.async_stat(asio::use_awaitable);
        co_await c.async_list(2, asio::use_awaitable);
        uids = co_await c.async_uidl(asio::use_awaitable);
        co_await c.async_uidl(1, asio::use_awaitable);
        std::string head;
        string_sink hs(head);
        co_await c.async_top(1, 0, hs, asio::use_awaitable);
        co_await c.async_noop(asio::use_awaitable);
        co_await c.async_dele(1, asio::use_awaitable);
        co_await c.async_rset(asio::use_awaitable);
        q = co_await c.async_quit(asio::use_awaitable);
      },
      [&](std::exception_ptr e) { failure = e; });
  ioc.run();
  INFO(peer.report());
  REQUIRE_FALSE(failure);
  CHECK(peer.finished());
  CHECK(st.count == 2);
  CHECK(uids.size() == 2);
  CHECK(q.deleted.empty());
}
#endif  // ASIO_HAS_CO_AWAIT

TEST_CASE("pop3 errors thrown by the throwing overloads carry the reply", "[pop3][client]") {
  auto peer = testing::player::open(transcript_path("in_use.txt"));
  pop3::client c;
  c.connect(opts(peer));
  try {
    c.login("bob", "pw");
    FAIL("login should throw");
  } catch (const mailproto::error& e) {
    CHECK(e.code() == pop3::errc::temporarily_rejected);
    CHECK(e.reply().enhanced == "IN-USE");
    CHECK(std::string(e.what()).find("[IN-USE]") != std::string::npos);
  }
}

TEST_CASE("pop3 read deadline", "[pop3][client]") {
  const auto script = testing::transcript::parse(
      "S: +OK ready\nC: USER bob\nS: +OK\nC: PASS <redacted>\n@stall\n", "stall");
  testing::player peer(script);
  pop3::client c;
  auto o = opts(peer);
  o.net.io_timeout = 200ms;
  c.connect(o);
  std::error_code ec;
  const auto t0 = std::chrono::steady_clock::now();
  c.login("bob", "pw", ec);
  CHECK(ec == net::errc::timeout);
  CHECK(ec == condition::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(c.state() == pop3::state::failed);
}

TEST_CASE("pop3 unsafe arguments and refused plaintext send nothing", "[pop3][client]") {
  const auto script = testing::transcript::parse("S: +OK ready\nC: QUIT\nS: +OK\n", "args");
  testing::player peer(script);
  pop3::client c;
  auto o = opts(peer);
  o.allow_plaintext_auth = false;
  c.connect(o);
  std::error_code ec;
  c.login("bob", "pw", ec);  // no TLS, plaintext not allowed
  CHECK(ec == net::errc::plaintext_auth_refused);
  c.login("bob\r\nDELE 1", "pw", ec);
  CHECK(ec == net::errc::unsafe_argument);
  c.apop("bob", "x", ec);  // no timestamp in this greeting
  CHECK(ec == pop3::errc::apop_not_offered);
  c.stat(ec);  // not logged in
  CHECK(ec == pop3::errc::wrong_state);
  c.authenticate(sasl::credentials::with_password("bob", "pw"), "PLAIN", ec);
  CHECK(ec == net::errc::plaintext_auth_refused);
  std::string out;
  string_sink sink(out);
  c.retr(1, sink, ec);
  CHECK(ec == pop3::errc::wrong_state);
  CHECK(c.state() == pop3::state::authorization);
  c.quit(ec);
  CHECK_FALSE(ec);
  INFO(peer.report());
  CHECK(peer.finished());  // nothing but QUIT was sent
}

TEST_CASE("pop3 edge cases from inline transcripts", "[pop3][client]") {
  auto run = [](const std::string& text, auto&& body, bool must_finish = true) {
    const auto script = testing::transcript::parse(text, "inline");
    for (const auto& d : testing::all_deliveries(script)) {
      testing::player peer(script, d);
      pop3::client c;
      c.connect(opts(peer));
      body(c);
      INFO(d.describe() << "\n" << peer.report());
      if (must_finish) CHECK(peer.finished());
    }
  };
  const std::string login = "S: +OK hi\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK in\n";

  SECTION("message number 0 is refused before anything is sent") {
    run(login + "C: QUIT\nS: +OK\n", [](pop3::client& c) {
      c.login("bob", "pw");
      std::error_code ec;
      c.dele(0, ec);
      CHECK(ec == pop3::errc::invalid_message_number);
      c.list(0, ec);
      CHECK(ec == pop3::errc::invalid_message_number);
      c.quit();
    });
  }
  SECTION("-ERR to RETR is a permanent refusal, the session goes on") {
    run(login + "C: RETR 9\nS: -ERR no such message\nC: NOOP\nS: +OK\n", [](pop3::client& c) {
      c.login("bob", "pw");
      std::string s;
      string_sink sink(s);
      std::error_code ec;
      c.retr(9, sink, ec);
      CHECK(ec == pop3::errc::rejected);
      CHECK(ec == condition::permanent);
      CHECK(c.last_reply().to_string() == "-ERR no such message");
      c.noop();
    });
  }
  SECTION("a malformed LIST line is a fatal protocol violation") {
    // The client stops at the bad line: the rest of the response is never read.
    run(
        login + "C: LIST\nS: +OK\nS: one 120\nS: .\n",
        [](pop3::client& c) {
          c.login("bob", "pw");
          std::error_code ec;
          c.list(ec);
          CHECK(ec == pop3::errc::bad_response);
          CHECK(c.state() == pop3::state::failed);
        },
        false);
  }
  SECTION("-ERR to QUIT in the transaction state: the update failed") {
    run(login + "C: DELE 1\nS: +OK\nC: QUIT\nS: -ERR some deleted messages not removed\n",
        [](pop3::client& c) {
          c.login("bob", "pw");
          c.dele(1);
          std::error_code ec;
          c.quit(ec);
          CHECK(ec == pop3::errc::update_failed);
        });
  }
  SECTION("a too-long AUTH initial response waits for the empty challenge (RFC 5034 §4)") {
    const std::string token(300, 't');
    run("S: +OK hi\nC: CAPA\nS: +OK\nS: SASL XOAUTH2\nS: .\nC: AUTH XOAUTH2\nS: +\\x20\n"
        "C: <redacted>\nS: +OK in\n",
        [&](pop3::client& c) {
          c.authenticate(sasl::credentials::with_token("bob@example.test", token), "");
          CHECK(c.state() == pop3::state::transaction);
        });
  }
  SECTION("a greeting other than +OK") {
    const auto script = testing::transcript::parse("S: -ERR [SYS/TEMP] busy\n", "inline");
    testing::player peer(script);
    pop3::client c;
    std::error_code ec;
    c.connect(opts(peer), ec);
    CHECK(ec == condition::transient);
    CHECK(c.state() == pop3::state::disconnected);
  }
  SECTION("a line longer than the limit") {
    const auto script =
        testing::transcript::parse("S: +OK " + std::string(300, 'x') + "\n", "inline");
    testing::player peer(script);
    pop3::client c;
    auto o = opts(peer);
    o.net.max_line = 100;
    std::error_code ec;
    c.connect(o, ec);
    CHECK(ec == net::errc::line_too_long);
    CHECK(c.state() == pop3::state::failed);
  }
}

TEST_CASE("pop3 RETR streams: the sink gets bounded chunks, never the whole message",
          "[pop3][client]") {
  // A 4 MiB message: if the client buffered it, the sink would see one 4 MiB write.
  std::string text =
      "S: +OK hi\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK in\n"
      "C: RETR 1\nS: +OK\n";
  std::string expected;
  const std::string line(74, 'x');
  for (int i = 0; i < 4 * 1024 * 1024 / 76; ++i) {
    const std::string l = (i % 100 == 0 ? "." : "") + line;
    text += "S: " + (l[0] == '.' ? "." + l : l) + "\n";
    expected += l + "\r\n";
  }
  text += "S: .\n";
  const auto script = testing::transcript::parse(text, "big");
  testing::player peer(script);
  pop3::client c;
  c.connect(opts(peer));
  c.login("bob", "pw");
  std::size_t writes = 0, largest = 0, total = 0;
  bool ok = true;
  callback_sink sink([&](std::string_view b, std::error_code&) {
    ++writes;
    largest = std::max(largest, b.size());
    if (expected.compare(total, b.size(), b) != 0) ok = false;
    total += b.size();
  });
  CHECK(c.retr(1, sink) == expected.size());
  CHECK(total == expected.size());
  CHECK(ok);
  CHECK(writes > 50);
  CHECK(largest <= 64 * 1024 + 1024);
  INFO(peer.report());
  CHECK(peer.finished());
}

TEST_CASE("pop3 async operation cancelled through the token's slot", "[pop3][async]") {
  const auto script = testing::transcript::parse(
      "S: +OK ready\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK\nC: STAT\n@stall\n", "cancel");
  testing::player peer(script);
  asio::io_context ioc;
  pop3::client c(ioc.get_executor());
  asio::cancellation_signal sig;
  asio::steady_timer timer(ioc);
  std::error_code result;
  bool done = false;
  auto o = opts(peer);
  o.net.io_timeout = 5s;
  c.async_connect(o, [&](std::error_code ec) {
    REQUIRE_FALSE(ec);
    c.async_login("bob", "pw", [&](std::error_code ec) {
      REQUIRE_FALSE(ec);
      c.async_stat(
          asio::bind_cancellation_slot(sig.slot(), [&](std::error_code ec, pop3::mailbox_stat) {
            result = ec;
            done = true;
          }));
      timer.expires_after(50ms);
      timer.async_wait([&](std::error_code) { sig.emit(asio::cancellation_type::terminal); });
    });
  });
  const auto t0 = std::chrono::steady_clock::now();
  ioc.run();
  CHECK(done);
  CHECK(result == net::errc::cancelled);
  CHECK(result == condition::cancelled);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}
