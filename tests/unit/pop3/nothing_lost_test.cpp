// Nothing lost (issue #9): in download-and-delete mode DELE is sent for a message only
// after the caller's sink stored all of it (write + finish succeeded); any failure before
// QUIT closes the connection without QUIT, so the server never enters the update state
// (RFC 1939 §6) and the mailbox stays as it was. (Against Dovecot: tests/integration/pop3/
// pop3_dovecot_test.cpp, "a failure before QUIT leaves the mailbox untouched".)
#include <mailproto/net/errc.hpp>
#include <mailproto/pop3/client.hpp>
#include <mailproto/pop3/errc.hpp>
#include <mailproto/testing/player.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <map>

using namespace mailproto;
using namespace std::chrono_literals;

namespace {

pop3::client_options opts(testing::player& peer) {
  pop3::client_options o;
  o.net.host = "mail.example.test";
  o.net.port = 110;
  o.net.tls = net::tls_mode::none;
  o.net.io_timeout = 2s;
  o.net.transport = peer.transport();
  o.allow_plaintext_auth = true;
  return o;
}

// Fails on its n-th write or in finish(), as asked.
struct faulty_sink final : byte_sink {
  std::string* out;
  int fail_write = 0;
  bool fail_finish = false;
  int writes = 0;
  explicit faulty_sink(std::string* o) : out(o) {}
  void write(std::string_view b, std::error_code& ec) override {
    if (++writes == fail_write) {
      ec = std::make_error_code(std::errc::no_space_on_device);
      return;
    }
    out->append(b);
  }
  void finish(std::error_code& ec) override {
    if (fail_finish) ec = std::make_error_code(std::errc::io_error);
  }
};

const std::string session_head =
    "S: +OK ready\nC: USER bob\nS: +OK\nC: PASS <redacted>\nS: +OK in\n"
    "C: LIST\nS: +OK\nS: 1 20\nS: 2 20\nS: .\nC: UIDL\nS: +OK\nS: 1 u1\nS: 2 u2\nS: .\n"
    "C: RETR 1\nS: +OK\nS: Subject: 1\nS:\nS: body 1\nS: .\nC: DELE 1\nS: +OK\n"
    "C: RETR 2\nS: +OK\nS: Subject: 2\nS:\n";

void play(const std::string& text,
          const std::function<void(pop3::client&, testing::player&)>& body) {
  const auto script = testing::transcript::parse(text, "nothing-lost");
  for (const auto& d : {testing::delivery::whole_bursts(), testing::delivery::byte_by_byte(),
                        testing::delivery::split_at(7)}) {
    testing::player peer(script, d);
    pop3::client c;
    INFO(d.describe());
    c.connect(opts(peer));
    c.login("bob", "pw");
    body(c, peer);
    INFO(peer.report());
    CHECK(peer.failure().empty());
  }
}

}  // namespace

TEST_CASE("pop3 nothing lost: a sink failing on message 2 — no DELE 2, no QUIT",
          "[pop3][nothing-lost]") {
  for (int how = 0; how < 2; ++how) {
    INFO((how == 0 ? "write fails" : "finish fails"));
    play(session_head + "S: body 2\nS: .\n", [how](pop3::client& c, testing::player& p) {
      std::map<std::uint32_t, std::string> store;
      pop3::fetch_options f;
      f.mode = pop3::fetch_mode::remove;
      f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
        auto s = std::make_unique<faulty_sink>(&store[m.number]);
        if (m.number == 2) {
          if (how == 0) s->fail_write = 1;
          if (how == 1) s->fail_finish = true;
        }
        return s;
      };
      std::error_code ec;
      auto r = c.fetch(f, ec);
      CHECK(ec == (how == 0 ? std::errc::no_space_on_device : std::errc::io_error));
      CHECK(r.deleted.empty());
      CHECK(store[1] == "Subject: 1\r\n\r\nbody 1\r\n");
      CHECK(p.sent().find("DELE 2") == std::string::npos);
      CHECK(p.sent().find("QUIT") == std::string::npos);
      CHECK(c.state() == pop3::state::disconnected);
    });
  }
}

TEST_CASE("pop3 nothing lost: a drop in the middle of message 2 — no DELE 2, no QUIT",
          "[pop3][nothing-lost]") {
  play(session_head + "S: half of bo\\\n@eof\n", [](pop3::client& c, testing::player& p) {
    std::map<std::uint32_t, std::string> store;
    std::map<std::uint32_t, bool> finished;
    pop3::fetch_options f;
    f.mode = pop3::fetch_mode::remove;
    struct sink final : byte_sink {
      std::string* s;
      bool* done;
      void write(std::string_view b, std::error_code&) override { s->append(b); }
      void finish(std::error_code&) override { *done = true; }
    };
    f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
      auto s = std::make_unique<sink>();
      s->s = &store[m.number];
      s->done = &finished[m.number];
      return s;
    };
    std::error_code ec;
    auto r = c.fetch(f, ec);
    CHECK(ec == net::errc::connection_closed);
    CHECK(finished[1]);
    CHECK_FALSE(finished[2]);  // the partial message is never reported complete
    CHECK(r.deleted.empty());
    CHECK(p.sent().find("DELE 2") == std::string::npos);
    CHECK(p.sent().find("QUIT") == std::string::npos);
  });
}

TEST_CASE("pop3 nothing lost: DELE follows the stored message, QUIT commits",
          "[pop3][nothing-lost]") {
  play(session_head + "S: body 2\nS: .\nC: DELE 2\nS: +OK\nC: QUIT\nS: +OK 2 removed\n",
       [](pop3::client& c, testing::player& p) {
         std::map<std::uint32_t, std::string> store;
         pop3::fetch_options f;
         f.mode = pop3::fetch_mode::remove;
         f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
           return std::make_unique<string_sink>(store[m.number]);
         };
         std::error_code ec;
         auto r = c.fetch(f, ec);
         REQUIRE_FALSE(ec);
         CHECK(r.deleted == std::vector<std::uint32_t>{1, 2});
         CHECK(r.stored.size() == 2);
         // Each DELE was sent only after its message's terminator had been read.
         const auto& s = p.sent();
         CHECK(s.find("RETR 1") < s.find("DELE 1"));
         CHECK(s.find("DELE 1") < s.find("RETR 2"));
         CHECK(s.find("RETR 2") < s.find("DELE 2"));
         CHECK(p.finished());
       });
}

TEST_CASE("pop3 nothing lost: -ERR to QUIT reports that nothing was removed",
          "[pop3][nothing-lost]") {
  play(session_head + "S: body 2\nS: .\nC: DELE 2\nS: +OK\nC: QUIT\nS: -ERR update failed\n",
       [](pop3::client& c, testing::player&) {
         std::map<std::uint32_t, std::string> store;
         pop3::fetch_options f;
         f.mode = pop3::fetch_mode::remove;
         f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
           return std::make_unique<string_sink>(store[m.number]);
         };
         std::error_code ec;
         auto r = c.fetch(f, ec);
         CHECK(ec == pop3::errc::update_failed);
         CHECK(r.deleted.empty());
       });
}
