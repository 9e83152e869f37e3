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
