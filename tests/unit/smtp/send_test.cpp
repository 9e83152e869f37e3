// smtp/send.hpp: the envelope of a built message, and header injection refused before
// anything is sent.
#include <mailproto/smtp/send.hpp>

#include "harness.hpp"

using namespace smtp_test;
using namespace mailproto;
namespace smtp = mailproto::smtp;

TEST_CASE("smtp send: envelope from the builder, Bcc only in the envelope", "[smtp][send]") {
  mime::message_builder b;
  b.from("Alice <alice@example.test>")
      .to("Bob <bob@example.test>, carol@example.test")
      .cc("dave@example.test")
      .bcc("erin@example.test")
      .subject("hello")
      .text("hi");
  auto env = smtp::envelope_of(b);
  CHECK(env.from == "alice@example.test");
  std::vector<std::string> got;
  for (const auto& r : env.recipients) got.push_back(r.address);
  CHECK(got == std::vector<std::string>{"bob@example.test", "carol@example.test",
                                        "dave@example.test", "erin@example.test"});
  std::error_code ec;
  const std::string bytes = b.to_string(ec);
  REQUIRE_FALSE(ec);
  CHECK(bytes.find("erin@example.test") == std::string::npos);
  CHECK(bytes.find("Bcc:") == std::string::npos);
  // Sender, when set, is the envelope sender (RFC 5321 §3.3 / RFC 5322 §3.6.2).
  b.sender("list-owner@example.test");
  CHECK(smtp::envelope_of(b).from == "list-owner@example.test");
}

TEST_CASE("smtp send: a subject or address with CR/LF is refused before any byte is sent",
          "[smtp][send]") {
  for (int which = 0; which < 2; ++which) {
    auto peer = testing::player::open(transcript_path("envelope-injection.txt"));
    smtp::client c(test_options());
    c.connect(server(peer));
    const std::size_t before = peer.sent().size();
    mime::message_builder b;
    b.from("alice@example.test").text("hi");
    if (which == 0) {
      b.to("bob@example.test").subject("hello\r\nBcc: victim@example.test");
    } else {
      b.to("bob@example.test\r\nRCPT TO:<victim@example.test>").subject("hello");
    }
    std::error_code ec;
    auto r = smtp::send_message(c, b, ec);
    CHECK(ec);
    CHECK(r.recipients.empty());
    CHECK(peer.sent().size() == before);
    CHECK(c.usable());
    c.noop();
    c.quit();
    INFO(peer.report());
    CHECK(peer.finished());
  }
}

namespace {

// A transcript for one built message sent over PIPELINING: the C: lines are the builder's
// own bytes (ASCII, no line starting with "."), so the test checks what really went out.
std::string message_transcript(const std::string& bytes) {
  std::string t =
      "S: 220 mx.example.test ESMTP\n"
      "C: EHLO client.example.test\n"
      "S: 250-mx.example.test\n"
      "S: 250-PIPELINING\n"
      "S: 250 SIZE 100000\n";
  // RFC 1870 §3: the builder's output is CRLF throughout, so the exact size is its length.
  t += "C: MAIL FROM:<alice@example.test> SIZE=" + std::to_string(bytes.size()) + "\n";
  t += "C: RCPT TO:<bob@example.test>\n"
       "C: RCPT TO:<carol@example.test>\n"
       "C: DATA\n"
       "S: 250 ok\n"
       "S: 250 ok\n"
       "S: 250 ok\n"
       "S: 354 go ahead\n";
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t end = bytes.find("\r\n", pos);
    REQUIRE(end != std::string::npos);
    t += "C: " + bytes.substr(pos, end - pos) + "\n";
    pos = end + 2;
  }
  t += "C: .\n"
       "S: 250 2.0.0 queued as 42\n"
       "C: QUIT\n"
       "S: 221 bye\n";
  return t;
}

mime::message_builder built_message() {
  mime::message_builder b;
  b.from("alice@example.test")
      .to("bob@example.test")
      .bcc("carol@example.test")
      .subject("hello")
      .text("Hi Bob,\nsee you on Monday.\n")
      .date(std::chrono::system_clock::time_point(std::chrono::seconds(1764288000)),
            std::chrono::minutes(420))
      .message_id("<send-message-test@example.test>")
      .boundary_seed(7);
  return b;
}

}  // namespace

TEST_CASE("smtp send: send_message and async_send_message take a builder", "[smtp][send]") {
  const auto msg = built_message();
  std::error_code ec;
  const std::string bytes = msg.to_string(ec);
  REQUIRE_FALSE(ec);
  REQUIRE(bytes.find("carol") == std::string::npos);  // Bcc: envelope only
  const auto script = testing::transcript::parse(message_transcript(bytes), "send-message");
  for (int how = 0; how < 4; ++how) {
    CAPTURE(how);
    testing::player peer(script);
    smtp::send_result r;
    if (how < 2) {
      smtp::client c(test_options());
      c.connect(server(peer));
      if (how == 0) {
        r = smtp::send_message(c, msg, ec);
        CHECK_FALSE(ec);
      } else {
        r = smtp::send_message(c, msg);  // throwing overload
      }
      c.quit();
    } else {
      asio::io_context io;
      smtp::client c(io.get_executor(), test_options());
      bool done = false;
      c.async_connect(server(peer), [&](std::error_code e) {
        REQUIRE_FALSE(e);
        auto on_sent = [&](std::error_code e2, smtp::send_result res) {
          CHECK_FALSE(e2);
          r = std::move(res);
          c.async_quit([&](std::error_code) { done = true; });
        };
        if (how == 2) {
          smtp::async_send_message(c, msg, on_sent);
        } else {
          // The builder may go away right after the initiation: the operation owns a copy.
          auto temp = std::make_unique<mime::message_builder>(built_message());
          smtp::async_send_message(c, *temp, smtp::send_options{}, on_sent);
          temp.reset();
        }
      });
      io.run();
      CHECK(done);
    }
    INFO(peer.report());
    CHECK(peer.finished());
    CHECK(r.delivered);
    CHECK(r.accepted() == 2);
    CHECK(r.final_reply.text() == "2.0.0 queued as 42");
  }
}

TEST_CASE("smtp send: async_send_message reports a builder error, nothing sent", "[smtp][send]") {
  auto peer = testing::player::open(transcript_path("envelope-injection.txt"));
  asio::io_context io;
  smtp::client c(io.get_executor(), test_options());
  std::error_code connect_ec, send_ec = make_error_code(std::errc::io_error);
  std::size_t before = 0;
  smtp::send_result r;
  mime::message_builder b;
  b.from("alice@example.test").to("bob@example.test").subject("hi\r\nBcc: victim@example.test");
  b.text("x");
  c.async_connect(server(peer), [&](std::error_code e) {
    connect_ec = e;
    before = peer.sent().size();
    smtp::async_send_message(c, b, [&](std::error_code e2, smtp::send_result res) {
      send_ec = e2;
      r = std::move(res);
      c.async_noop([&](std::error_code) { c.async_quit([](std::error_code) {}); });
    });
  });
  io.run();
  REQUIRE_FALSE(connect_ec);
  CHECK(send_ec);
  CHECK(send_ec.category() == mime::mime_category());
  CHECK(r.recipients.empty());
  CHECK(c.usable() == false);  // after QUIT
  INFO(peer.report());
  CHECK(peer.finished());
  CHECK(peer.sent().size() > before);  // NOOP and QUIT, but no MAIL (the transcript says so)
}
