// client::send_batch against the sandbox's Postfix (submission, STARTTLS, verified
// certificate): three messages in one batch arrive in bob's INBOX, read back over IMAPS with
// Python's imaplib (tests/integration/smtp/imap_fetch.py), an independent client; a batch
// whose middle message has only a refused recipient delivers the other two; the streamed
// form (callbacks) delivers five messages from two message slots.
#include <mailproto/smtp/client.hpp>

#include "integration/smtp/smtp_integration.hpp"
#include "support/sandbox.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <random>

using namespace mailproto;
using mailproto::test_support::sandbox_env;
using namespace smtp_integration;

namespace {

std::string message(const std::string& id, int n) {
  return "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: batch " + std::to_string(n) +
         "\r\nX-Test-Id: " + id + "\r\n\r\n.\r\n..\r\nend\r\n";
}

}  // namespace

TEST_CASE("smtp integration: three messages in one batch arrive", "[integration][smtp][batch]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  // DATA: the end of each message goes with the next one's MAIL/RCPT/DATA (RFC 2920 §3.1);
  // automatic: BDAT when Postfix offers CHUNKING.
  for (auto mode : {smtp::transfer_mode::data, smtp::transfer_mode::automatic}) {
    const std::string id = unique_id();
    smtp::client c;
    c.connect(submission(env));
    REQUIRE(c.tls().verified);
    CHECK(c.capabilities().pipelining);
    c.login(env.alice.user, env.alice.password);
    std::vector<string_source> sources;
    for (int i = 1; i <= 3; ++i) sources.push_back(string_source(message(id, i)));
    std::vector<smtp::batch_message> msgs;
    for (auto& s : sources) msgs.push_back({&s, alice_to({env.bob.address})});
    smtp::send_options so;
    so.transfer = mode;
    std::error_code ec;
    auto results = c.send_batch(msgs, so, ec);
    CHECK(ec == std::error_code{});
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
      CHECK(r.error == std::error_code{});
      CHECK(r.result.delivered);
      CHECK(r.result.final_reply.code == 250);
      CHECK(r.result.accepted() == 1);
    }
    CHECK(c.usable());
    c.noop();  // the session is in step after the batch
    c.quit();
    std::string out;
    const int rc = read_back(id, "{\"count\": 3, \"body\": \".\\n..\\nend\"}", out);
    INFO(out);
    CHECK(rc == 0);
  }
}

TEST_CASE("smtp integration: a batch whose middle message is refused delivers the others",
          "[integration][smtp][batch]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const std::string id = unique_id();
  smtp::client c;
  c.connect(submission(env));
  c.login(env.alice.user, env.alice.password);
  string_source s1(message(id, 1)), s2(message(id, 2)), s3(message(id, 3));
  std::vector<smtp::batch_message> msgs{{&s1, alice_to({env.bob.address})},
                                        {&s2, alice_to({"someone@foreign.test"})},
                                        {&s3, alice_to({env.bob.address})}};
  smtp::send_options so;
  so.transfer = smtp::transfer_mode::data;
  std::error_code ec;
  auto results = c.send_batch(msgs, so, ec);
  CHECK(ec == std::error_code{});
  REQUIRE(results.size() == 3);
  CHECK(results[0].result.delivered);
  CHECK(results[1].error == smtp::errc::all_recipients_rejected);
  CHECK_FALSE(results[1].result.delivered);
  CHECK(results[1].result.recipients.at(0).reply.code == 550);
  CHECK(results[2].result.delivered);
  c.quit();
  std::string out;
  const int rc = read_back(id, "{\"count\": 2, \"body\": \".\\n..\\nend\"}", out);
  INFO(out);
  CHECK(rc == 0);
}

TEST_CASE("smtp integration: a streamed batch of five from two message slots arrives",
          "[integration][smtp][batch][stream]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  // send_batch with batch_next / batch_report: the five messages come from two slots used in
  // turn (at most two are in flight), each result is handed over as it is known.
  for (auto mode : {smtp::transfer_mode::data, smtp::transfer_mode::automatic}) {
    const std::string id = unique_id();
    smtp::client c;
    c.connect(submission(env));
    REQUIRE(c.tls().verified);
    c.login(env.alice.user, env.alice.password);
    std::vector<std::string> bodies;
    for (int i = 1; i <= 5; ++i) bodies.push_back(message(id, i));
    std::optional<string_source> src[2];
    smtp::batch_message slot[2] = {{nullptr, alice_to({env.bob.address})},
                                   {nullptr, alice_to({env.bob.address})}};
    std::size_t taken = 0;
    std::vector<int> delivered(bodies.size(), 0);
    smtp::send_options so;
    so.transfer = mode;
    std::error_code ec;
    const std::size_t n = c.send_batch(
        [&]() -> const smtp::batch_message* {
          if (taken == bodies.size()) return nullptr;
          if (taken >= 2) CHECK(delivered[taken - 2] == 1);  // its slot's last user is done
          auto& m = slot[taken % 2];
          m.source = &src[taken % 2].emplace(string_source::view(bodies[taken]));
          ++taken;
          return &m;
        },
        [&](std::size_t i, smtp::batch_result& r) {
          CHECK(r.error == std::error_code{});
          CHECK(r.result.final_reply.code == 250);
          delivered.at(i) += r.result.delivered ? 1 : 100;
        },
        so, ec);
    CHECK(ec == std::error_code{});
    CHECK(n == 5);
    CHECK(delivered == std::vector<int>(5, 1));
    CHECK(c.usable());
    c.quit();
    std::string out;
    const int rc = read_back(id, "{\"count\": 5, \"body\": \".\\n..\\nend\"}", out);
    INFO(out);
    CHECK(rc == 0);
  }
}
