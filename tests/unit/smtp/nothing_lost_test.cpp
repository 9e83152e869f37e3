// Nothing lost (issue #9): once the server's final 250 to the data arrived, the message is
// the server's responsibility (RFC 5321 §4.1.1.4, §6.1) and the send is never reported as
// failed, whatever happens after; a send interrupted before that reply is never reported
// as sent; the result says which recipients were accepted.
#include "harness.hpp"

#include <mailproto/smtp/errc.hpp>

using namespace smtp_test;
using namespace mailproto;
using namespace std::chrono_literals;
namespace smtp = mailproto::smtp;

namespace {

const std::string msg = "Subject: x\r\n\r\nbody\r\n";

smtp::envelope env(std::vector<smtp::recipient> r) {
  smtp::envelope e;
  e.from = "alice@example.test";
  e.recipients = std::move(r);
  return e;
}

const std::string greet =
    "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mx.example.test\n"
    "S: 250 PIPELINING\n";
const std::string envelope_two =
    "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\n"
    "C: RCPT TO:<nobody@example.test>\nC: DATA\nS: 250 2.1.0 ok\nS: 250 2.1.5 ok\n"
    "S: 550 5.1.1 no such user\nS: 354 go\nC: Subject: x\nC: \nC: body\nC: .\n";

void play(const std::string& text, const std::function<void(api&, testing::player&)>& body,
          smtp::client_options o = test_options()) {
  const auto script = testing::transcript::parse(text, "nothing-lost");
  for (const auto& d : {testing::delivery::whole_bursts(), testing::delivery::byte_by_byte(),
                        testing::delivery::split_at(5)}) {
    for (int mode = 0; mode < 2; ++mode) {
      testing::player peer(script, d);
      std::unique_ptr<api> c;
      if (mode == 0)
        c = std::make_unique<sync_api>(o);
      else
        c = std::make_unique<async_api>(o);
      INFO(c->name() << " API, " << d.describe());
      body(*c, peer);
      INFO(peer.report());
      CHECK(peer.failure().empty());
    }
  }
}

void check_recipients(const smtp::send_result& r) {
  REQUIRE(r.recipients.size() == 2);
  CHECK(r.recipients[0].address == "bob@example.test");
  CHECK(r.recipients[0].accepted);
  CHECK(r.recipients[0].reply.code == 250);
  CHECK(r.recipients[1].address == "nobody@example.test");
  CHECK_FALSE(r.recipients[1].accepted);
  CHECK(r.recipients[1].reply.code == 550);
  CHECK(r.accepted() == 1);
  CHECK(r.rejected() == 1);
}

}  // namespace

TEST_CASE("smtp nothing lost: a drop during QUIT after the final 250 is still sent",
          "[smtp][nothing-lost]") {
  play(greet + envelope_two + "S: 250 2.0.0 queued as A1\nC: QUIT\n@eof\n", [](api& c,
                                                                               testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    REQUIRE(c.send(msg, env({"bob@example.test", "nobody@example.test"}), &r) == std::error_code{});
    CHECK(r.delivered);
    CHECK(r.final_reply.code == 250);
    CHECK(r.final_reply.text() == "2.0.0 queued as A1");
    check_recipients(r);
    c.quit();  // its outcome does not change the send's
    CHECK_FALSE(c.client().usable());
  });
}

TEST_CASE("smtp nothing lost: a stall during QUIT after the final 250 is still sent",
          "[smtp][nothing-lost]") {
  auto o = test_options();
  o.session.timeouts.command = 150ms;
  play(
      greet + envelope_two + "S: 250 2.0.0 queued as A1\nC: QUIT\n@stall\n",
      [](api& c, testing::player& p) {
        REQUIRE(c.connect(server(p)) == std::error_code{});
        smtp::send_result r;
        REQUIRE(c.send(msg, env({"bob@example.test", "nobody@example.test"}), &r) ==
                std::error_code{});
        CHECK(r.delivered);
        // QUIT is best effort: its deadline passes (reported or not), the send stays done.
        const auto t0 = std::chrono::steady_clock::now();
        c.quit();
        CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
        CHECK(r.delivered);
        CHECK_FALSE(c.client().usable());
      },
      o);
}

TEST_CASE("smtp nothing lost: a drop between the final dot and the 250 is not sent",
          "[smtp][nothing-lost]") {
  for (const std::string cut : {"", "S: 25\\\n", "S: 250 2.0.0 queued\\\n"}) {
    INFO("server sent '" << cut << "' of the final reply");
    play(greet + envelope_two + cut + "@eof\n", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p)) == std::error_code{});
      smtp::send_result r;
      auto ec = c.send(msg, env({"bob@example.test", "nobody@example.test"}), &r);
      CHECK(ec == net::errc::connection_closed);
      CHECK(mailproto::is_fatal(ec));
      CHECK_FALSE(r.delivered);
      check_recipients(r);  // which recipients the server had accepted is still reported
      CHECK_FALSE(c.client().usable());
    });
  }
}

TEST_CASE("smtp nothing lost: no final reply within the deadline is not sent",
          "[smtp][nothing-lost]") {
  auto o = test_options();
  o.session.timeouts.data_end = 150ms;
  play(
      greet + envelope_two + "@stall\n",
      [](api& c, testing::player& p) {
        REQUIRE(c.connect(server(p)) == std::error_code{});
        smtp::send_result r;
        const auto t0 = std::chrono::steady_clock::now();
        auto ec = c.send(msg, env({"bob@example.test", "nobody@example.test"}), &r);
        CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
        CHECK(ec == net::errc::timeout);
        CHECK_FALSE(r.delivered);
        check_recipients(r);
        CHECK_FALSE(c.client().usable());
      },
      o);
}

TEST_CASE("smtp nothing lost: a drop before DATA's 354 is not sent", "[smtp][nothing-lost]") {
  play(greet +
           "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\n"
           "C: RCPT TO:<nobody@example.test>\nC: DATA\nS: 250 2.1.0 ok\nS: 250 2.1.5 ok\n"
           "S: 550 5.1.1 no such user\n@eof\n",
       [](api& c, testing::player& p) {
         REQUIRE(c.connect(server(p)) == std::error_code{});
         smtp::send_result r;
         auto ec = c.send(msg, env({"bob@example.test", "nobody@example.test"}), &r);
         CHECK(ec == net::errc::connection_closed);
         CHECK_FALSE(r.delivered);
         check_recipients(r);
         CHECK(r.bytes_sent == 0);
         CHECK(p.sent().find("Subject") == std::string::npos);
       });
}

TEST_CASE("smtp nothing lost: a refusal after the data is not sent, the session goes on",
          "[smtp][nothing-lost]") {
  play(greet + envelope_two + "S: 452 4.3.1 insufficient storage\nC: NOOP\nS: 250 ok\n",
       [](api& c, testing::player& p) {
         REQUIRE(c.connect(server(p)) == std::error_code{});
         smtp::send_result r;
         auto ec = c.send(msg, env({"bob@example.test", "nobody@example.test"}), &r);
         CHECK(ec == condition::transient);
         CHECK_FALSE(mailproto::is_fatal(ec));
         CHECK_FALSE(r.delivered);
         CHECK(r.final_reply.code == 452);
         check_recipients(r);
         CHECK(c.noop() == std::error_code{});
       });
}

TEST_CASE("smtp nothing lost: BDAT LAST interrupted before its 250 is not sent",
          "[smtp][nothing-lost]") {
  const std::string bdat_greet =
      "S: 220 mx.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mx.example.test\n"
      "S: 250 CHUNKING\n"
      "C: MAIL FROM:<alice@example.test>\nS: 250 ok\nC: RCPT TO:<bob@example.test>\n"
      "S: 250 ok\nC: BDAT 20 LAST\nC: Subject: x\nC: \nC: body\n";
  play(bdat_greet + "@eof\n", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    auto ec = c.send(msg, env({"bob@example.test"}), &r);
    CHECK(ec == net::errc::connection_closed);
    CHECK_FALSE(r.delivered);
    REQUIRE(r.recipients.size() == 1);
    CHECK(r.recipients[0].accepted);
  });
  play(bdat_greet + "S: 250 2.0.0 queued as B7\nC: QUIT\n@eof\n", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    REQUIRE(c.send(msg, env({"bob@example.test"}), &r) == std::error_code{});
    CHECK(r.delivered);
    c.quit();
    CHECK(r.delivered);
  });
}
