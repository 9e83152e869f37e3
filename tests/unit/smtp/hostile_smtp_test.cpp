// Hostile and faulty SMTP servers (issue #9, "Hostile and faulty peers"): every case must
// end in a clear error within bounded memory and time, the client must report the
// connection unusable after a fatal error, and no message may be reported as sent unless
// the server's final 250 arrived. The big cases are generated in code: a typical session
// (tests/transcripts/smtp/submission-starttls-plain.txt) cut by the server at every byte
// (@eof) and stalled at every step (@stall).
#include "harness.hpp"
#include "support/session_cuts.hpp"

#include <mailproto/smtp/errc.hpp>
#include <mailproto/testing/transcript.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

using namespace smtp_test;
using namespace mailproto;
using namespace mailproto::test_support;
using namespace std::chrono_literals;
namespace smtp = mailproto::smtp;

namespace {

const std::string simple_msg = "From: alice@example.test\r\nTo: bob@example.test\r\n\r\nHi Bob\r\n";

smtp::envelope to_bob() {
  smtp::envelope e;
  e.from = "alice@example.test";
  e.recipients = {"bob@example.test"};
  return e;
}

// The session generator (load_items, cut_at, burst_starts, ...) is shared by the three
// protocols: tests/support/session_cuts.hpp.

std::unique_ptr<api> make_api(int mode, smtp::client_options o = test_options()) {
  if (mode == 0) return std::make_unique<sync_api>(std::move(o));
  return std::make_unique<async_api>(std::move(o));
}

// After a fatal error: the client says so, and refuses further commands without sending.
void check_unusable(api& c, testing::player& p, std::error_code ec) {
  CHECK(mailproto::is_fatal(ec));
  CHECK_FALSE(c.client().usable());
  CHECK(c.client().state() == smtp::session_state::failed);
  const auto before = p.sent().size();
  CHECK(c.noop() == net::errc::connection_unusable);
  CHECK(p.sent().size() == before);
}

// A short inline transcript, through both APIs, whole and byte by byte (and a few splits).
void play(const std::string& text, const std::function<void(api&, testing::player&)>& body,
          bool check_finished = false, smtp::client_options o = test_options(),
          bool whole_only = false) {
  const auto script = testing::transcript::parse(text, "hostile");
  std::vector<testing::delivery> ds{testing::delivery::whole_bursts(),
                                    testing::delivery::byte_by_byte(),
                                    testing::delivery::split_at(3)};
  // Big transcripts, and behaviour that depends on bytes arriving together: whole only.
  if (whole_only || script.longest_burst() > 64 * 1024) ds.resize(1);
  for (const auto& d : ds) {
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script, d);
      auto c = make_api(mode, o);
      INFO(c->name() << " API, " << d.describe());
      body(*c, peer);
      INFO(peer.report());
      if (check_finished)
        CHECK(peer.finished());
      else
        CHECK(peer.failure().empty());
    }
  }
}

const std::string ehlo_ok =
    "S: 220 mx.example.test ESMTP\n"
    "C: EHLO client.example.test\n"
    "S: 250-mx.example.test\n"
    "S: 250 8BITMIME\n";

}  // namespace

TEST_CASE("smtp hostile: an endless line is cut at the limit", "[smtp][hostile]") {
  // 4 MiB without CRLF and then a stall: a client that waited for the end of the line would
  // time out (net.timeout) instead of stopping at the 8 KiB reply limit.
  const std::string text = "S: 220 " + std::string(4 * 1024 * 1024, 'x') + "\\\n@stall\n";
  play(text, [](api& c, testing::player& p) {
    auto o = server(p);
    const auto t0 = std::chrono::steady_clock::now();
    auto ec = c.connect(o);
    CHECK((ec == smtp::errc::reply_too_long || ec == net::errc::line_too_long));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    check_unusable(c, p, ec);
  });
}

TEST_CASE("smtp hostile: an endless multi-line reply is cut at the line count", "[smtp][hostile]") {
  std::string text = "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\n";
  for (int i = 0; i < 20000; ++i) text += "S: 250-X-FILLER-" + std::to_string(i) + "\n";
  text += "@stall\n";
  play(text, [](api& c, testing::player& p) {
    auto ec = c.connect(server(p));
    CHECK(ec == smtp::errc::reply_too_long);
    check_unusable(c, p, ec);
  });
}

TEST_CASE("smtp hostile: malformed replies", "[smtp][hostile]") {
  SECTION("reply code 2x0") {
    play("S: 2x0 mx.example.test ESMTP\n", [](api& c, testing::player& p) {
      auto ec = c.connect(server(p));
      CHECK(ec == smtp::errc::bad_reply);
      check_unusable(c, p, ec);
      CHECK(p.sent().empty());
    });
  }
  SECTION("reply code 2x0 to a command") {
    play(ehlo_ok + "C: NOOP\nS: 2x0 ok\n", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p)) == std::error_code{});
      auto ec = c.noop();
      CHECK(ec == smtp::errc::bad_reply);
      check_unusable(c, p, ec);
    });
  }
  SECTION("NUL byte in a reply") {
    play("S: 220 mx.example.test\\0 ESMTP\n", [](api& c, testing::player& p) {
      auto ec = c.connect(server(p));
      CHECK(ec == smtp::errc::bad_reply);
      check_unusable(c, p, ec);
    });
  }
  SECTION("a bare LF inside a reply line") {
    play("S: 250\\n220 mx.example.test\n", [](api& c, testing::player& p) {
      auto ec = c.connect(server(p));
      CHECK(mailproto::is_fatal(ec));
      check_unusable(c, p, ec);
    });
  }
  SECTION("invalid UTF-8 in reply text is kept as opaque bytes, not trusted") {
    // RFC 5321 §4.2: the text is for humans; the client acts on the code only. Invalid
    // UTF-8 must neither crash nor change what the code means.
    play(
        ehlo_ok + "C: NOOP\nS: 250 \\xFF\\xFE\\xC0\\x80 ok\nC: QUIT\nS: 221 bye\n",
        [](api& c, testing::player& p) {
          REQUIRE(c.connect(server(p)) == std::error_code{});
          REQUIRE(c.noop() == std::error_code{});
          CHECK(c.client().last_reply().code == 250);
          CHECK(c.client().last_reply().text() == "\xFF\xFE\xC0\x80 ok");
          CHECK(c.quit() == std::error_code{});
        },
        true);
  }
  SECTION("a continuation (334) where none was asked for") {
    play(ehlo_ok + "C: MAIL FROM:<alice@example.test>\nS: 334 VXNlcm5hbWU6\n",
         [](api& c, testing::player& p) {
           REQUIRE(c.connect(server(p)) == std::error_code{});
           smtp::send_result r;
           auto ec = c.send(simple_msg, to_bob(), &r);
           CHECK(ec == smtp::errc::unexpected_reply);
           CHECK_FALSE(r.delivered);
           check_unusable(c, p, ec);
         });
  }
  SECTION("a 354 go-ahead to NOOP") {
    play(ehlo_ok + "C: NOOP\nS: 354 go ahead\n", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p)) == std::error_code{});
      auto ec = c.noop();
      CHECK(ec == smtp::errc::unexpected_reply);
      check_unusable(c, p, ec);
    });
  }
  SECTION("a multi-line reply whose codes differ") {
    play("S: 220-mx.example.test\nS: 250 ESMTP\n", [](api& c, testing::player& p) {
      auto ec = c.connect(server(p));
      CHECK(ec == smtp::errc::inconsistent_reply);
      check_unusable(c, p, ec);
    });
  }
}

TEST_CASE("smtp hostile: replies before the greeting and pipelined garbage", "[smtp][hostile]") {
  SECTION("a reply queued behind the greeting, before anything was sent") {
    // RFC 5321 §4.3.1: the server speaks once, then waits. Extra replies would be taken for
    // the answers to our next commands (a desynchronised, spoofable session).
    play(
        "S: 220 mx.example.test ESMTP\nS: 250 2.0.0 fake\n",
        [](api& c, testing::player& p) {
          auto ec = c.connect(server(p));
          CHECK(ec);
          CHECK(mailproto::is_fatal(ec));
          check_unusable(c, p, ec);
        },
        false, test_options(), true);
  }
  SECTION("garbage after the EHLO reply") {
    play(
        ehlo_ok + "S: 250 2.1.0 unsolicited\n",
        [](api& c, testing::player& p) {
          auto ec = c.connect(server(p));
          CHECK(ec);
          CHECK(mailproto::is_fatal(ec));
          check_unusable(c, p, ec);
        },
        false, test_options(), true);
  }
}

TEST_CASE("smtp hostile: STARTTLS stripping and downgrade", "[smtp][hostile]") {
  SECTION("STARTTLS missing before the handshake when TLS is required: nothing more sent") {
    play(
        "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\n"
        "S: 250-mx.example.test\nS: 250-AUTH PLAIN\nS: 250 8BITMIME\n",
        [](api& c, testing::player& p) {
          auto ec = c.connect(server(p, net::tls_mode::starttls));
          CHECK(ec == net::errc::starttls_not_offered);
          check_unusable(c, p, ec);
          CHECK(c.login("alice", "secret") == net::errc::connection_unusable);
          CHECK(p.sent() == "EHLO client.example.test\r\n");
        },
        true);
  }
  SECTION("STARTTLS vanishing after the handshake does not matter: we are on TLS") {
    play(
        "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\n"
        "S: 250-mx.example.test\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go ahead\n@tls\n"
        "C: EHLO client.example.test\nS: 250-mx.example.test\nS: 250 AUTH PLAIN\n"
        "C: QUIT\nS: 221 bye\n",
        [](api& c, testing::player& p) {
          REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
          CHECK(c.client().tls().active);
          CHECK_FALSE(c.client().capabilities().starttls);
          CHECK(c.quit() == std::error_code{});
        },
        true);
  }
  SECTION("a second STARTTLS offer after the handshake is not taken") {
    play(
        "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\n"
        "S: 250-mx.example.test\nS: 250 STARTTLS\nC: STARTTLS\nS: 220 go ahead\n@tls\n"
        "C: EHLO client.example.test\nS: 250-mx.example.test\nS: 250 STARTTLS\n"
        "C: QUIT\nS: 221 bye\n",
        [](api& c, testing::player& p) {
          REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
          CHECK(c.client().tls().active);
          CHECK(c.quit() == std::error_code{});
        },
        true);
  }
  SECTION("data queued behind the STARTTLS go-ahead (injection, CVE-2011-0411)") {
    const auto script = testing::transcript::parse(
        "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\n"
        "S: 250-mx.example.test\nS: 250 STARTTLS\nC: STARTTLS\n"
        "S: 220 go ahead\\r\\n250-mx.example.test\\r\\n250 AUTH PLAIN\\r\\n\\\n",
        "inject");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      auto c = make_api(mode);
      auto ec = c->connect(server(peer, net::tls_mode::starttls));
      CHECK(ec == net::errc::data_before_tls_handshake);
      CHECK_FALSE(c->client().tls().active);
      check_unusable(*c, peer, ec);
      CHECK(peer.sent().size() == peer.sent().find("STARTTLS\r\n") + 10);
    }
  }
}

TEST_CASE("smtp hostile: a close at every byte of a session", "[smtp][hostile]") {
  const auto items = load_items(transcript_path("submission-starttls-plain.txt"));
  const std::size_t total = server_bytes(items);
  const std::size_t final_250 = end_of_line_with(items, "queued as");
  const std::size_t rcpt_250 = end_of_line_with(items, "2.1.5 Ok");
  REQUIRE(total > 300);
  for (std::size_t k = 0; k < total; ++k) {
    const auto script = testing::transcript::parse(cut_at(items, k, "@eof"), "cut");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      auto c = make_api(mode);
      INFO("cut after " << k << " of " << total << " server bytes, " << c->name() << " API");
      std::error_code ec = c->connect(server(peer, net::tls_mode::starttls));
      if (!ec) ec = c->login("alice", "hunter2");
      smtp::send_result r;
      bool send_ran = false;
      if (!ec) {
        send_ran = true;
        ec = c->send(simple_msg, to_bob(), &r);
      }
      if (k >= final_250) {
        // The final 250 arrived: the message is the server's now, whatever happens next.
        REQUIRE_FALSE(ec);
        CHECK(r.delivered);
        CHECK(r.accepted() == 1);
        c->quit();  // may fail (the close) — the send is not affected
        CHECK_FALSE(c->client().usable());
      } else {
        // Never reported as sent; the error is fatal and the client says so.
        REQUIRE(ec);
        CHECK(ec == net::errc::connection_closed);
        CHECK_FALSE(r.delivered);
        if (send_ran && k >= rcpt_250) {
          REQUIRE(r.recipients.size() == 1);
          CHECK(r.recipients[0].accepted);
        }
        check_unusable(*c, peer, ec);
      }
      INFO(peer.report());
      CHECK(peer.failure().empty());
    }
  }
}

TEST_CASE("smtp hostile: a stall at every step ends in a timeout within its deadline",
          "[smtp][hostile]") {
  const auto items = load_items(transcript_path("submission-starttls-plain.txt"));
  const auto starts = burst_starts(items);
  REQUIRE(starts.size() >= 9);
  std::vector<std::size_t> cuts;
  for (auto s : starts) {
    cuts.push_back(s);      // before the reply
    cuts.push_back(s + 2);  // inside its first line
  }
  auto o = test_options();
  o.session.timeouts = {150ms, 150ms, 150ms, 150ms};
  for (auto k : cuts) {
    const auto script = testing::transcript::parse(cut_at(items, k, "@stall"), "stall");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      auto c = make_api(mode, o);
      INFO("stall after " << k << " server bytes, " << c->name() << " API");
      auto opts = server(peer, net::tls_mode::starttls);
      opts.io_timeout = 150ms;
      std::error_code ec;
      auto t0 = std::chrono::steady_clock::now();
      auto step = [&](auto f) {
        if (ec) return;
        t0 = std::chrono::steady_clock::now();
        ec = f();
      };
      step([&] { return c->connect(opts); });
      step([&] { return c->login("alice", "hunter2"); });
      smtp::send_result r;
      step([&] { return c->send(simple_msg, to_bob(), &r); });
      const bool in_quit = !ec;
      step([&] { return c->quit(); });
      const auto elapsed = std::chrono::steady_clock::now() - t0;
      if (in_quit) {
        // A stall in the reply to QUIT: QUIT is best effort and may end without an error,
        // but within its deadline, with the message delivered and the client done.
        CHECK(k >= starts.back());
        CHECK(r.delivered);
        CHECK(elapsed < 1500ms);
        CHECK_FALSE(c->client().usable());
        continue;
      }
      REQUIRE(ec == net::errc::timeout);
      CHECK(ec == condition::timeout);
      CHECK(elapsed >= 140ms);
      CHECK(elapsed < 1500ms);
      CHECK_FALSE(r.delivered);
      check_unusable(*c, peer, ec);
      INFO(peer.report());
      CHECK(peer.failure().empty());
    }
  }
}
