// Hostile and faulty POP3 servers (issue #9, "Hostile and faulty peers") and client-side
// faults (a sink failing mid-RETR). Every case ends in a clear error within bounded memory
// and time; after a fatal error the client reports the session failed and sends nothing
// more; no partial message is reported complete (the sink's finish() is not called). The
// typical session tests/transcripts/pop3/hostile_session.txt is cut by the server at every
// byte (@eof) and stalled at every step (@stall).
#include <mailproto/net/errc.hpp>
#include <mailproto/pop3/client.hpp>
#include <mailproto/pop3/errc.hpp>
#include <mailproto/testing/player.hpp>
#include "support/session_cuts.hpp"

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>

using namespace mailproto;
using namespace mailproto::test_support;
using namespace std::chrono_literals;

namespace {

std::string transcript_path(const std::string& name) {
  return std::string(MAILPROTO_TESTS_DIR) + "/transcripts/pop3/" + name;
}

// The client through the sync API (mode 0) or the async API with callbacks (mode 1).
class session {
 public:
  explicit session(int mode) : async_(mode == 1) {
    if (async_)
      c_ = std::make_unique<pop3::client>(ctx_.get_executor());
    else
      c_ = std::make_unique<pop3::client>();
  }
  const char* name() const { return async_ ? "async" : "sync"; }
  pop3::client& client() { return *c_; }

  std::error_code connect(const pop3::client_options& o) {
    return call([&](std::error_code& e) { c_->connect(o, e); },
                [&](auto h) { c_->async_connect(o, h); });
  }
  std::error_code login(const std::string& u, const std::string& p) {
    return call([&](std::error_code& e) { c_->login(u, p, e); },
                [&](auto h) { c_->async_login(u, p, h); });
  }
  std::error_code list() {
    return call([&](std::error_code& e) { c_->list(e); }, [&](auto h) { c_->async_list(h); });
  }
  std::error_code stat() {
    return call([&](std::error_code& e) { c_->stat(e); }, [&](auto h) { c_->async_stat(h); });
  }
  std::error_code capa() {
    return call([&](std::error_code& e) { c_->capa(e); }, [&](auto h) { c_->async_capa(h); });
  }
  std::error_code retr(std::uint32_t n, byte_sink& s) {
    return call([&](std::error_code& e) { c_->retr(n, s, e); },
                [&](auto h) { c_->async_retr(n, s, h); });
  }
  std::error_code dele(std::uint32_t n) {
    return call([&](std::error_code& e) { c_->dele(n, e); }, [&](auto h) { c_->async_dele(n, h); });
  }
  std::error_code noop() {
    return call([&](std::error_code& e) { c_->noop(e); }, [&](auto h) { c_->async_noop(h); });
  }
  std::error_code quit() {
    return call([&](std::error_code& e) { c_->quit(e); }, [&](auto h) { c_->async_quit(h); });
  }
  std::error_code fetch(pop3::fetch_options f, pop3::fetch_result& out) {
    return call([&](std::error_code& e) { out = c_->fetch(std::move(f), e); },
                [&](auto h) {
                  c_->async_fetch(std::move(f), [h, &out](std::error_code e, pop3::fetch_result r) {
                    out = std::move(r);
                    h(e);
                  });
                });
  }

 private:
  template <class S, class A>
  std::error_code call(S sync, A async) {
    std::error_code result;
    if (!async_) {
      sync(result);
      return result;
    }
    bool called = false;
    auto h = [&](std::error_code ec, auto&&...) {
      called = true;
      result = ec;
    };
    async(h);
    ctx_.restart();
    ctx_.run();
    REQUIRE(called);
    return result;
  }
  bool async_;
  asio::io_context ctx_;
  std::unique_ptr<pop3::client> c_;
};

pop3::client_options opts(testing::player& peer, net::tls_mode tls = net::tls_mode::none) {
  pop3::client_options o;
  o.net.host = "mail.example.test";
  o.net.port = 110;
  o.net.tls = tls;
  o.net.io_timeout = 2s;
  o.net.connect_timeout = 2s;
  o.net.transport = peer.transport();
  o.allow_plaintext_auth = true;
  return o;
}

// After a fatal error: the session is failed (or closed) and nothing more is sent.
void check_unusable(session& s, testing::player& p, std::error_code ec) {
  CHECK(mailproto::is_fatal(ec));
  const auto st = s.client().state();
  CHECK((st == pop3::state::failed || st == pop3::state::disconnected));
  const auto before = p.sent().size();
  const auto again = s.noop();
  CHECK((again == net::errc::connection_unusable || again == net::errc::not_connected));
  CHECK(p.sent().size() == before);
}

void play(const std::string& text, const std::function<void(session&, testing::player&)>& body,
          bool check_finished = false, bool whole_only = false) {
  const auto script = testing::transcript::parse(text, "hostile");
  std::vector<testing::delivery> ds{testing::delivery::whole_bursts()};
  // Big transcripts, and behaviour that depends on bytes arriving together: whole only.
  if (!whole_only && script.longest_burst() <= 64 * 1024) {
    ds.push_back(testing::delivery::byte_by_byte());
    ds.push_back(testing::delivery::split_at(3));
  }
  for (const auto& d : ds) {
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script, d);
      session s(mode);
      INFO(s.name() << " API, " << d.describe());
      body(s, peer);
      INFO(peer.report());
      if (check_finished)
        CHECK(peer.finished());
      else
        CHECK(peer.failure().empty());
    }
  }
}

// ------------------------------------------------------------------ sinks
// A sink that records whether finish() was called.
struct recording_sink final : byte_sink {
  std::string data;
  bool finished = false;
  int fail_on_write = 0;  // 1-based write that fails, 0 = never
  int writes = 0;
  void write(std::string_view b, std::error_code& ec) override {
    if (++writes == fail_on_write) {
      ec = std::make_error_code(std::errc::no_space_on_device);
      return;
    }
    data.append(b);
  }
  void finish(std::error_code&) override { finished = true; }
};

const std::string login_ok = "S: +OK hi\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK in\n";

}  // namespace

TEST_CASE("pop3 hostile: an endless line is cut at the limit", "[pop3][hostile]") {
  // 4 MiB without CRLF, then a stall: waiting for the end of the line would time out.
  play("S: +OK " + std::string(4 * 1024 * 1024, 'x') + "\\\n@stall\n",
       [](session& s, testing::player& p) {
         const auto t0 = std::chrono::steady_clock::now();
         auto ec = s.connect(opts(p));
         CHECK(ec == net::errc::line_too_long);
         CHECK(std::chrono::steady_clock::now() - t0 < 2s);
         check_unusable(s, p, ec);
       });
}

TEST_CASE("pop3 hostile: an endless line inside RETR is cut at the limit", "[pop3][hostile]") {
  play(login_ok + "C: RETR 1\nS: +OK\nS: " + std::string(1024 * 1024, 'x') + "\\\n@stall\n",
       [](session& s, testing::player& p) {
         auto o = opts(p);
         o.net.max_line = 16 * 1024;
         o.limits.max_line = 16 * 1024;
         REQUIRE(s.connect(o) == std::error_code{});
         REQUIRE(s.login("bob", "pw") == std::error_code{});
         recording_sink sink;
         auto ec = s.retr(1, sink);
         CHECK(ec == net::errc::line_too_long);
         CHECK_FALSE(sink.finished);
         check_unusable(s, p, ec);
       });
}

TEST_CASE("pop3 hostile: an endless multi-line reply is cut at the line count", "[pop3][hostile]") {
  std::string text = login_ok + "C: LIST\nS: +OK\n";
  for (int i = 1; i <= 5000; ++i) text += "S: " + std::to_string(i) + " 100\n";
  text += "@stall\n";
  play(text, [](session& s, testing::player& p) {
    auto o = opts(p);
    o.limits.max_lines = 1000;
    REQUIRE(s.connect(o) == std::error_code{});
    REQUIRE(s.login("bob", "pw") == std::error_code{});
    auto ec = s.list();
    CHECK(ec == pop3::errc::response_too_large);
    check_unusable(s, p, ec);
  });
}

TEST_CASE("pop3 hostile: malformed responses", "[pop3][hostile]") {
  SECTION("garbage status") {
    play("S: 220 mx.example.test ESMTP\n", [](session& s, testing::player& p) {
      auto ec = s.connect(opts(p));
      CHECK(ec == pop3::errc::bad_response);
      check_unusable(s, p, ec);
      CHECK(p.sent().empty());
    });
  }
  SECTION("garbage status to a command") {
    play(login_ok + "C: STAT\nS: OK 1 2\n", [](session& s, testing::player& p) {
      REQUIRE(s.connect(opts(p)) == std::error_code{});
      REQUIRE(s.login("bob", "pw") == std::error_code{});
      auto ec = s.stat();
      CHECK(ec == pop3::errc::bad_response);
      check_unusable(s, p, ec);
    });
  }
  SECTION("NUL byte in a status line") {
    play("S: +OK ready\\0 now\n", [](session& s, testing::player& p) {
      auto ec = s.connect(opts(p));
      CHECK(ec == pop3::errc::bad_response);
      check_unusable(s, p, ec);
    });
  }
  SECTION("invalid UTF-8 in the text is opaque, the session goes on") {
    play(
        "S: +OK \\xFF\\xFE\\xC0 ready\nC: QUIT\nS: +OK bye\n",
        [](session& s, testing::player& p) {
          REQUIRE(s.connect(opts(p)) == std::error_code{});
          CHECK(s.client().greeting().find("\xFF\xFE\xC0") != std::string::npos);
          CHECK(s.quit() == std::error_code{});
        },
        true);
  }
  SECTION("a continuation where none was asked for") {
    play(login_ok + "C: STAT\nS: + c2VjcmV0\n", [](session& s, testing::player& p) {
      REQUIRE(s.connect(opts(p)) == std::error_code{});
      REQUIRE(s.login("bob", "pw") == std::error_code{});
      auto ec = s.stat();
      CHECK(ec == pop3::errc::bad_response);
      check_unusable(s, p, ec);
    });
  }
  SECTION("a malformed STAT answer") {
    play(login_ok + "C: STAT\nS: +OK many 99999999999999999999999\n",
         [](session& s, testing::player& p) {
           REQUIRE(s.connect(opts(p)) == std::error_code{});
           REQUIRE(s.login("bob", "pw") == std::error_code{});
           auto ec = s.stat();
           CHECK(ec == pop3::errc::bad_response);
           check_unusable(s, p, ec);
         });
  }
}

TEST_CASE("pop3 hostile: responses before the greeting and pipelined garbage", "[pop3][hostile]") {
  SECTION("a second +OK queued behind the greeting") {
    // It would be taken for the answer to USER or PASS: a desynchronised session.
    play(
        "S: +OK hi\nS: +OK Logged in.\n",
        [](session& s, testing::player& p) {
          auto ec = s.connect(opts(p));
          CHECK(ec);
          CHECK(mailproto::is_fatal(ec));
          check_unusable(s, p, ec);
          CHECK(p.sent().empty());
        },
        false, true);
  }
  SECTION("garbage after a single-line answer") {
    play(
        login_ok + "C: NOOP\nS: +OK\nS: +OK extra\n",
        [](session& s, testing::player& p) {
          REQUIRE(s.connect(opts(p)) == std::error_code{});
          REQUIRE(s.login("bob", "pw") == std::error_code{});
          auto ec = s.noop();
          CHECK(ec);
          CHECK(mailproto::is_fatal(ec));
          check_unusable(s, p, ec);
        },
        false, true);
  }
}

TEST_CASE("pop3 hostile: STLS stripping, downgrade and injection", "[pop3][hostile]") {
  SECTION("STLS missing when TLS is required: nothing but CAPA is sent") {
    play(
        "S: +OK hi\nC: CAPA\nS: +OK\nS: USER\nS: SASL PLAIN\nS: .\n",
        [](session& s, testing::player& p) {
          auto ec = s.connect(opts(p, net::tls_mode::starttls));
          CHECK(ec == net::errc::starttls_not_offered);
          check_unusable(s, p, ec);
          CHECK(s.login("bob", "pw"));
          CHECK(p.sent() == "CAPA\r\n");
        },
        true);
  }
  SECTION("STLS vanishing after the handshake does not matter") {
    play(
        "S: +OK hi\nC: CAPA\nS: +OK\nS: STLS\nS: .\nC: STLS\nS: +OK go\n@tls\nC: CAPA\n"
        "S: +OK\nS: USER\nS: .\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK in\n",
        [](session& s, testing::player& p) {
          auto o = opts(p, net::tls_mode::starttls);
          o.allow_plaintext_auth = false;
          REQUIRE(s.connect(o) == std::error_code{});
          CHECK(s.client().tls_active());
          CHECK_FALSE(s.client().caps().stls);
          CHECK(s.login("bob", "pw") == std::error_code{});
        },
        true);
  }
  SECTION("data queued behind the STLS go-ahead (injection)") {
    const auto script = testing::transcript::parse(
        "S: +OK hi\nC: CAPA\nS: +OK\nS: STLS\nS: .\nC: STLS\n"
        "S: +OK go\\r\\n+OK\\r\\nUSER\\r\\n.\\r\\n\\\n",
        "inject");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      session s(mode);
      auto ec = s.connect(opts(peer, net::tls_mode::starttls));
      CHECK(ec == net::errc::data_before_tls_handshake);
      CHECK_FALSE(s.client().tls_active());
      check_unusable(s, peer, ec);
      CHECK(peer.sent() == "CAPA\r\nSTLS\r\n");
    }
  }
}

TEST_CASE("pop3 hostile: a close at every byte of a session", "[pop3][hostile]") {
  const auto items = load_items(transcript_path("hostile_session.txt"));
  const std::size_t total = server_bytes(items);
  REQUIRE(total > 300);
  const std::string body = "From: alice@example.test\r\nSubject: hi\r\n\r\n.dot line\r\n";
  for (std::size_t k = 0; k < total; ++k) {
    const auto script = testing::transcript::parse(cut_at(items, k, "@eof"), "cut");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      session s(mode);
      INFO("cut after " << k << " of " << total << " server bytes, " << s.name() << " API");
      recording_sink sink;
      int step = 0;
      std::error_code ec = s.connect(opts(peer, net::tls_mode::starttls));
      if (!ec) ++step, ec = s.login("bob", "pw");
      if (!ec) ++step, ec = s.list();
      if (!ec) ++step, ec = s.retr(1, sink);
      if (step >= 3) {
        // The message counts as complete only when its terminator arrived.
        CHECK(sink.finished == (!ec || step > 3));
        if (sink.finished) CHECK(sink.data == body);
      }
      if (!ec) ++step, ec = s.dele(1);
      if (!ec) ++step, ec = s.quit();
      if (ec) {
        CHECK(ec == net::errc::connection_closed);
        check_unusable(s, peer, ec);
      }
      INFO(peer.report());
      CHECK(peer.failure().empty());
      // Every cut before the end of the last reply fails some step.
      if (k + 2 < total) CHECK(ec);
    }
  }
}

TEST_CASE("pop3 hostile: a stall at every step ends in a timeout within its deadline",
          "[pop3][hostile]") {
  const auto items = load_items(transcript_path("hostile_session.txt"));
  const auto starts = burst_starts(items);
  REQUIRE(starts.size() >= 9);
  std::vector<std::size_t> cuts;
  for (auto st : starts) {
    cuts.push_back(st);
    cuts.push_back(st + 2);
  }
  for (auto k : cuts) {
    const auto script = testing::transcript::parse(cut_at(items, k, "@stall"), "stall");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      session s(mode);
      INFO("stall after " << k << " server bytes, " << s.name() << " API");
      auto o = opts(peer, net::tls_mode::starttls);
      o.net.io_timeout = 150ms;
      recording_sink sink;
      std::error_code ec;
      auto t0 = std::chrono::steady_clock::now();
      auto step = [&](auto f) {
        if (ec) return;
        t0 = std::chrono::steady_clock::now();
        ec = f();
      };
      step([&] { return s.connect(o); });
      step([&] { return s.login("bob", "pw"); });
      step([&] { return s.list(); });
      step([&] { return s.retr(1, sink); });
      step([&] { return s.dele(1); });
      step([&] { return s.quit(); });
      const auto elapsed = std::chrono::steady_clock::now() - t0;
      REQUIRE(ec == net::errc::timeout);
      CHECK(elapsed >= 140ms);
      CHECK(elapsed < 1500ms);
      check_unusable(s, peer, ec);
      INFO(peer.report());
      CHECK(peer.failure().empty());
    }
  }
}

TEST_CASE("pop3 client fault: the sink fails mid-RETR", "[pop3][hostile]") {
  // The sink's error is reported as is; the rest of the message is still on the wire.
  std::string text = login_ok + "C: RETR 1\nS: +OK\n";
  for (int i = 0; i < 2000; ++i) text += "S: line " + std::to_string(i) + " of a long message\n";
  text += "S: .\nC: NOOP\nS: +OK\n";
  play(text, [](session& s, testing::player& p) {
    REQUIRE(s.connect(opts(p)) == std::error_code{});
    REQUIRE(s.login("bob", "pw") == std::error_code{});
    recording_sink sink;
    sink.fail_on_write = 1;  // RETR may hand the sink the whole message in one write
    auto ec = s.retr(1, sink);
    CHECK(ec == std::errc::no_space_on_device);
    CHECK_FALSE(sink.finished);
    // The client reads past the rest of the message to its terminator: the session stays
    // consistent and the next command works.
    CHECK(s.client().state() == pop3::state::transaction);
    CHECK(s.noop() == std::error_code{});
    CHECK(p.finished());
  });
}
