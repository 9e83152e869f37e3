// Hostile and faulty IMAP servers (issue #9, "Hostile and faulty peers") and client-side
// faults (a body sink failing mid-FETCH). Every case ends in a clear error within bounded
// memory and time; after a fatal error the client reports the session failed and sends
// nothing more; no partial message is reported complete. The typical session
// tests/transcripts/imap/hostile_session.txt is cut by the server at every byte (@eof) and
// stalled at every step (@stall).
#include <mailproto/imap/client.hpp>
#include <mailproto/net/errc.hpp>
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
  return std::string(MAILPROTO_TESTS_DIR) + "/transcripts/imap/" + name;
}

// The client through the sync API (mode 0) or the async API with callbacks (mode 1).
class session {
 public:
  explicit session(int mode) : async_(mode == 1) {
    if (async_)
      c_ = std::make_unique<imap::client>(ctx_.get_executor());
    else
      c_ = std::make_unique<imap::client>();
  }
  const char* name() const { return async_ ? "async" : "sync"; }
  imap::client& client() { return *c_; }

  std::error_code connect(const imap::client_options& o) {
    return call([&](std::error_code& e) { c_->connect(o, e); },
                [&](auto h) { c_->async_connect(o, h); });
  }
  std::error_code login(const std::string& u, const std::string& p) {
    return call([&](std::error_code& e) { c_->login(u, p, e); },
                [&](auto h) { c_->async_login(u, p, h); });
  }
  std::error_code select(const std::string& m) {
    return call([&](std::error_code& e) { c_->select(m, e); },
                [&](auto h) { c_->async_select(m, h); });
  }
  std::error_code list() {
    return call([&](std::error_code& e) { c_->list("", "*", e); },
                [&](auto h) { c_->async_list("", "*", imap::list_options{}, h); });
  }
  std::error_code fetch(const imap::sequence_set& set, const imap::fetch_items& items,
                        imap::fetch_options o, std::vector<imap::fetch_message>& out) {
    return call([&](std::error_code& e) { out = c_->fetch(set, items, std::move(o), e); },
                [&](auto h) {
                  c_->async_fetch(set, items, std::move(o),
                                  [h, &out](std::error_code e, std::vector<imap::fetch_message> r) {
                                    out = std::move(r);
                                    h(e);
                                  });
                });
  }
  std::error_code move(const imap::sequence_set& set, const std::string& dest) {
    return call([&](std::error_code& e) { c_->move(set, dest, false, e); },
                [&](auto h) { c_->async_move(set, dest, false, h); });
  }
  std::error_code noop() {
    return call([&](std::error_code& e) { c_->noop(e); }, [&](auto h) { c_->async_noop(h); });
  }
  std::error_code logout() {
    return call([&](std::error_code& e) { c_->logout(e); }, [&](auto h) { c_->async_logout(h); });
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
  std::unique_ptr<imap::client> c_;
};

imap::client_options opts(testing::player& peer, net::tls_mode tls = net::tls_mode::none) {
  imap::client_options o;
  o.net.host = "mail.example.test";
  o.net.port = 143;
  o.net.tls = tls;
  o.net.io_timeout = 2s;
  o.net.connect_timeout = 2s;
  o.net.transport = peer.transport();
  o.allow_plaintext_auth = true;
  return o;
}

// After a fatal error: the session is failed and nothing more is sent.
void check_unusable(session& s, testing::player& p, std::error_code ec) {
  CHECK(mailproto::is_fatal(ec));
  CHECK(s.client().state() == imap::session_state::failed);
  const auto before = p.sent().size();
  CHECK(s.noop() == net::errc::connection_unusable);
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

const std::string greeting = "S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\n";
const std::string logged_in =
    greeting + "C: a1 LOGIN bob <redacted>\nS: a1 OK [CAPABILITY IMAP4rev1] Logged in\n";
const std::string selected = logged_in + "C: a2 SELECT INBOX\nS: * 3 EXISTS\nS: a2 OK done\n";

}  // namespace

TEST_CASE("imap hostile: an endless line is cut at the limit", "[imap][hostile]") {
  play("S: * OK " + std::string(4 * 1024 * 1024, 'x') + "\\\n@stall\n",
       [](session& s, testing::player& p) {
         const auto t0 = std::chrono::steady_clock::now();
         auto ec = s.connect(opts(p));
         CHECK((ec == net::errc::line_too_long || ec == imap::errc::response_too_large));
         CHECK(std::chrono::steady_clock::now() - t0 < 2s);
         check_unusable(s, p, ec);
       });
}

TEST_CASE("imap hostile: an endless response is cut at its limits", "[imap][hostile]") {
  SECTION("too many values") {
    std::string flags;
    for (int i = 0; i < 5000; ++i) flags += " \\\\F" + std::to_string(i);
    play(greeting + "C: a1 NOOP\nS: * 1 FETCH (FLAGS (" + flags + "))\n@stall\n",
         [](session& s, testing::player& p) {
           auto o = opts(p);
           o.limits.max_values = 1000;
           REQUIRE(s.connect(o) == std::error_code{});
           auto ec = s.noop();
           CHECK(ec == imap::errc::response_too_large);
           check_unusable(s, p, ec);
         });
  }
  SECTION("too many bytes in literals that never end the response") {
    std::string text = greeting + "C: a1 NOOP\nS: * 1 FETCH (X-A {1000}\n";
    const std::string chunk(1000, 'y');
    for (int i = 0; i < 300; ++i) text += "S: " + chunk + " X-B {1000}\n";
    text += "@stall\n";
    play(text, [](session& s, testing::player& p) {
      auto o = opts(p);
      o.limits.max_response_bytes = 64 * 1024;
      REQUIRE(s.connect(o) == std::error_code{});
      auto ec = s.noop();
      CHECK(ec == imap::errc::response_too_large);
      check_unusable(s, p, ec);
    });
  }
}

TEST_CASE("imap hostile: a literal of 2^63 bytes", "[imap][hostile]") {
  for (const std::string n : {"9223372036854775808", "18446744073709551615", "18446744073709551616",
                              "99999999999999999999999999"}) {
    INFO("{" << n << "}");
    play(greeting + "C: a1 NOOP\nS: * 1 FETCH (BODY[] {" + n + "}\n@stall\n",
         [](session& s, testing::player& p) {
           REQUIRE(s.connect(opts(p)) == std::error_code{});
           auto ec = s.noop();
           CHECK((ec == imap::errc::literal_too_large || ec == imap::errc::bad_response));
           check_unusable(s, p, ec);
         });
  }
  SECTION("also when a body sink would stream it") {
    play(selected +
             "C: a3 FETCH 1 BODY.PEEK[]\nS: * 1 FETCH (BODY[] {9223372036854775808}\n"
             "@stall\n",
         [](session& s, testing::player& p) {
           REQUIRE(s.connect(opts(p)) == std::error_code{});
           REQUIRE(s.login("bob", "pw") == std::error_code{});
           REQUIRE(s.select("INBOX") == std::error_code{});
           recording_sink sink;
           imap::fetch_options fo;
           fo.body_sink = &sink;
           std::vector<imap::fetch_message> out;
           auto ec =
               s.fetch(imap::sequence_set::of({1}), imap::fetch_items{}.body_section(), fo, out);
           CHECK(ec == imap::errc::literal_too_large);
           CHECK(sink.data.empty());
           CHECK(out.empty());
           check_unusable(s, p, ec);
         });
  }
}

TEST_CASE("imap hostile: nesting 10,000 deep", "[imap][hostile]") {
  play(greeting + "C: a1 NOOP\nS: * 1 FETCH (BODYSTRUCTURE " + std::string(10000, '(') +
           "\n@stall\n",
       [](session& s, testing::player& p) {
         REQUIRE(s.connect(opts(p)) == std::error_code{});
         auto ec = s.noop();
         CHECK(ec == imap::errc::nesting_too_deep);
         check_unusable(s, p, ec);
       });
}

TEST_CASE("imap hostile: malformed responses", "[imap][hostile]") {
  SECTION("garbage greeting") {
    play("S: 220 mx.example.test ESMTP\n", [](session& s, testing::player& p) {
      auto ec = s.connect(opts(p));
      CHECK((ec == imap::errc::bad_greeting || ec == imap::errc::bad_response));
      check_unusable(s, p, ec);
      CHECK(p.sent().empty());
    });
  }
  SECTION("garbage tagged status") {
    play(greeting + "C: a1 NOOP\nS: a1 MAYBE done\n", [](session& s, testing::player& p) {
      REQUIRE(s.connect(opts(p)) == std::error_code{});
      auto ec = s.noop();
      CHECK(ec == imap::errc::bad_response);
      check_unusable(s, p, ec);
    });
  }
  SECTION("a tag we never sent") {
    play(greeting + "C: a1 NOOP\nS: zz9 OK done\n", [](session& s, testing::player& p) {
      REQUIRE(s.connect(opts(p)) == std::error_code{});
      auto ec = s.noop();
      CHECK(ec == imap::errc::unexpected_tag);
      check_unusable(s, p, ec);
    });
  }
  SECTION("invalid UTF-8 in response text is opaque, the session goes on") {
    play(
        greeting +
            "C: a1 NOOP\nS: a1 OK \\xFF\\xFE\\xC0\\x80 done\nC: a2 LOGOUT\n"
            "S: * BYE bye\nS: a2 OK done\n",
        [](session& s, testing::player& p) {
          REQUIRE(s.connect(opts(p)) == std::error_code{});
          REQUIRE(s.noop() == std::error_code{});
          CHECK(s.client().last_reply().text().find("\xFF\xFE\xC0\x80") != std::string::npos);
          CHECK(s.logout() == std::error_code{});
        },
        true);
  }
  SECTION("a continuation where none was asked for") {
    play(greeting + "C: a1 NOOP\nS: + go on\n", [](session& s, testing::player& p) {
      REQUIRE(s.connect(opts(p)) == std::error_code{});
      auto ec = s.noop();
      CHECK(ec == imap::errc::unexpected_continuation);
      check_unusable(s, p, ec);
    });
  }
}

TEST_CASE("imap hostile: responses before the greeting and pipelined garbage", "[imap][hostile]") {
  SECTION("a tagged OK before the greeting") {
    play(
        "S: a1 OK LOGIN completed\nS: * OK ready\n",
        [](session& s, testing::player& p) {
          auto ec = s.connect(opts(p));
          CHECK(ec);
          CHECK(mailproto::is_fatal(ec));
          check_unusable(s, p, ec);
          CHECK(p.sent().empty());
        },
        false, true);
  }
}

TEST_CASE("imap hostile: STARTTLS stripping, downgrade and injection", "[imap][hostile]") {
  SECTION("STARTTLS missing when TLS is required: nothing but CAPABILITY is sent") {
    play(
        "S: * OK ready\nC: a1 CAPABILITY\nS: * CAPABILITY IMAP4rev1 AUTH=PLAIN\n"
        "S: a1 OK done\n",
        [](session& s, testing::player& p) {
          auto ec = s.connect(opts(p, net::tls_mode::starttls));
          CHECK(ec == net::errc::starttls_not_offered);
          check_unusable(s, p, ec);
          CHECK(s.login("bob", "pw"));
          CHECK(p.sent() == "a1 CAPABILITY\r\n");
        },
        true);
  }
  SECTION("STARTTLS in the greeting's capabilities but gone after the handshake: fine") {
    play(
        "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] ready\nC: a1 STARTTLS\nS: a1 OK go\n@tls\n"
        "C: a2 CAPABILITY\nS: * CAPABILITY IMAP4rev1 AUTH=PLAIN\nS: a2 OK done\n"
        "C: a3 LOGIN bob <redacted>\nS: a3 OK [CAPABILITY IMAP4rev1] in\n",
        [](session& s, testing::player& p) {
          auto o = opts(p, net::tls_mode::starttls);
          o.allow_plaintext_auth = false;
          REQUIRE(s.connect(o) == std::error_code{});
          CHECK(s.client().tls().active);
          CHECK_FALSE(s.client().caps().has("STARTTLS"));
          CHECK(s.login("bob", "pw") == std::error_code{});
        },
        true);
  }
  SECTION("data queued behind the STARTTLS go-ahead (injection)") {
    const auto script = testing::transcript::parse(
        "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] ready\nC: a1 STARTTLS\n"
        "S: a1 OK go\\r\\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\\r\\n\\\n",
        "inject");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      session s(mode);
      auto ec = s.connect(opts(peer, net::tls_mode::starttls));
      CHECK(ec == net::errc::data_before_tls_handshake);
      CHECK_FALSE(s.client().tls().active);
      check_unusable(s, peer, ec);
      CHECK(peer.sent() == "a1 STARTTLS\r\n");
    }
  }
}

TEST_CASE("imap hostile: a close at every byte of a session", "[imap][hostile]") {
  const auto items = load_items(transcript_path("hostile_session.txt"));
  const std::size_t total = server_bytes(items);
  const std::size_t fetch_done = end_of_line_with(items, "a6 OK");
  REQUIRE(total > 300);
  const std::string body = "From: alice@example.test\r\nSubject: hi\r\n";
  for (std::size_t k = 0; k < total; ++k) {
    const auto script = testing::transcript::parse(cut_at(items, k, "@eof"), "cut");
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script);
      session s(mode);
      INFO("cut after " << k << " of " << total << " server bytes, " << s.name() << " API");
      recording_sink sink;
      std::vector<imap::fetch_message> got;
      bool fetch_ran = false;
      std::error_code ec = s.connect(opts(peer, net::tls_mode::starttls));
      if (!ec) ec = s.login("bob", "pw");
      if (!ec) ec = s.select("INBOX");
      if (!ec) {
        fetch_ran = true;
        imap::fetch_options fo;
        fo.body_sink = &sink;
        ec =
            s.fetch(imap::sequence_set::of({1}), imap::fetch_items{}.uid().body_section(), fo, got);
      }
      if (fetch_ran) {
        // Reported complete only when the tagged OK arrived.
        CHECK(!ec == (k >= fetch_done));
        if (!ec) {
          CHECK(sink.data == body);
          REQUIRE(got.size() == 1);
          CHECK(got[0].uid == 7u);
        } else if (!got.empty()) {
          // The message's own FETCH response was complete (only the tagged OK is missing):
          // what is reported is the whole message, never a part of it.
          CHECK(sink.data == body);
          CHECK(got[0].uid == 7u);
        }
      }
      if (!ec) ec = s.logout();
      if (ec) {
        CHECK((ec == net::errc::connection_closed || ec == imap::errc::bye));
        check_unusable(s, peer, ec);
      }
      INFO(peer.report());
      CHECK(peer.failure().empty());
    }
  }
}

TEST_CASE("imap hostile: a stall at every step ends in a timeout within its deadline",
          "[imap][hostile]") {
  const auto items = load_items(transcript_path("hostile_session.txt"));
  const auto starts = burst_starts(items);
  REQUIRE(starts.size() >= 7);
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
      std::vector<imap::fetch_message> got;
      std::error_code ec;
      auto t0 = std::chrono::steady_clock::now();
      auto step = [&](auto f) {
        if (ec) return;
        t0 = std::chrono::steady_clock::now();
        ec = f();
      };
      step([&] { return s.connect(o); });
      step([&] { return s.login("bob", "pw"); });
      step([&] { return s.select("INBOX"); });
      step([&] {
        imap::fetch_options fo;
        fo.body_sink = &sink;
        return s.fetch(imap::sequence_set::of({1}), imap::fetch_items{}.uid().body_section(), fo,
                       got);
      });
      step([&] { return s.logout(); });
      const auto elapsed = std::chrono::steady_clock::now() - t0;
      REQUIRE(ec == net::errc::timeout);
      CHECK(elapsed >= 140ms);
      CHECK(elapsed < 1500ms);
      if (!got.empty()) CHECK(sink.data == "From: alice@example.test\r\nSubject: hi\r\n");
      check_unusable(s, peer, ec);
      INFO(peer.report());
      CHECK(peer.failure().empty());
    }
  }
}

TEST_CASE("imap client fault: the body sink fails mid-FETCH BODY[]", "[imap][hostile]") {
  const std::string big(200 * 1024, 'z');
  play(selected + "C: a3 FETCH 1 BODY.PEEK[]\nS: * 1 FETCH (BODY[] {" + std::to_string(big.size()) +
           "}\nS: " + big + ")\nS: a3 OK done\nC: a4 NOOP\n" + "S: a4 OK done\n",
       [](session& s, testing::player& p) {
         REQUIRE(s.connect(opts(p)) == std::error_code{});
         REQUIRE(s.login("bob", "pw") == std::error_code{});
         REQUIRE(s.select("INBOX") == std::error_code{});
         recording_sink sink;
         sink.fail_on_write = 2;
         imap::fetch_options fo;
         fo.body_sink = &sink;
         std::vector<imap::fetch_message> out;
         auto ec =
             s.fetch(imap::sequence_set::of({1}), imap::fetch_items{}.body_section(), fo, out);
         CHECK(ec == std::errc::no_space_on_device);
         for (const auto& m : out) CHECK(m.section("BODY[]").empty());  // no body reported
         // The client reads past the rest of the literal and the tagged OK: the session
         // stays consistent and the next command works.
         CHECK(s.client().state() == imap::session_state::selected);
         CHECK(s.noop() == std::error_code{});
         CHECK(p.finished());
       });
}

// Two findings of the hostile matrix, fixed since:
// 1. RFC 9051 §4 forbids NUL outside literal8: a response line carrying one is refused.
TEST_CASE("imap hostile: NUL in a response line", "[imap][hostile]") {
  SECTION("NUL byte in a response line") {
    play(greeting + "C: a1 NOOP\nS: * 1 EXISTS\\0\nS: a1 OK done\n",
         [](session& s, testing::player& p) {
           REQUIRE(s.connect(opts(p)) == std::error_code{});
           auto ec = s.noop();
           CHECK(ec == imap::errc::bad_response);
           check_unusable(s, p, ec);
         });
  }
}

// 2. A tagged OK queued right behind the greeting must not be taken as the answer to the
//    next command (a LOGIN with a wrong password would "succeed"): responses that arrive
//    before a command is sent may only be untagged (RFC 9051 §2.2.2).
TEST_CASE("imap hostile: a tagged OK before its command is sent", "[imap][hostile]") {
  SECTION("a tagged OK queued behind the greeting, for a command not sent yet") {
    // Taken for the answer to the next command, it would fake a successful LOGIN.
    play(
        greeting + "S: a1 OK LOGIN completed\n",
        [](session& s, testing::player& p) {
          auto ec = s.connect(opts(p));
          if (!ec) ec = s.login("bob", "wrong");
          CHECK(ec);
          CHECK(mailproto::is_fatal(ec));
          CHECK(s.client().state() != imap::session_state::authenticated);
          check_unusable(s, p, ec);
        },
        false, true);
  }
}
