// Transcript tests: every path of the SMTP client against tests/transcripts/smtp/*.txt,
// through the sync and async APIs, with every delivery (whole, bytewise, splits).
#include "harness.hpp"

#include <mailproto/sasl/base64.hpp>
#include <mailproto/sasl/mechanism.hpp>

using namespace smtp_test;
using namespace mailproto;
namespace smtp = mailproto::smtp;

namespace {

const std::string simple_msg = "From: alice@example.test\r\nTo: bob@example.test\r\n\r\nHi Bob\r\n";

smtp::envelope env_to(std::vector<smtp::recipient> rcpts, std::string from = "alice@example.test") {
  smtp::envelope e;
  e.from = std::move(from);
  e.recipients = std::move(rcpts);
  return e;
}

void expect_error(std::error_code ec, testing::player& peer) {
  CHECK(error_name(ec) == peer.script().expected_error());
}

std::string plain_b64(const std::string& u, const std::string& p) {
  return sasl::base64_encode(sasl::plain_response("", u, p));
}

}  // namespace

TEST_CASE("smtp: submission with STARTTLS, AUTH PLAIN and one message", "[smtp][transcript]") {
  run_transcript(
      "submission-starttls-plain.txt",
      [](api& c, testing::player& p) {
        REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
        CHECK(c.client().tls().active);
        CHECK(c.client().capabilities().auth == std::vector<std::string>{"PLAIN", "LOGIN"});
        CHECK(c.client().capabilities().size == 10240000u);
        REQUIRE(c.login("alice", "hunter2") == std::error_code{});
        CHECK(c.client().authenticated());
        smtp::send_result r;
        REQUIRE(c.send(simple_msg, env_to({"bob@example.test"}), &r) == std::error_code{});
        CHECK(r.delivered);
        CHECK(r.accepted() == 1);
        CHECK(r.final_reply.code == 250);
        CHECK(r.final_reply.enhanced == "2.0.0");
        CHECK(r.final_reply.text() == "Ok: queued as 4F2B1");
        CHECK(c.quit() == std::error_code{});
        CHECK_FALSE(c.client().usable());
      },
      test_options(), {plain_b64("alice", "hunter2")});
}

TEST_CASE("smtp: HELO fallback on 502", "[smtp][transcript]") {
  run_transcript("helo-fallback.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    CHECK_FALSE(c.client().capabilities().esmtp);
    CHECK(c.client().capabilities().server_name == "old.example.test");
    REQUIRE(c.send("Subject: hi\n\nbody\n", env_to({"bob@example.test"})) == std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: STARTTLS required but not offered sends nothing more", "[smtp][transcript]") {
  run_transcript("starttls-not-offered.txt", [](api& c, testing::player& p) {
    auto ec = c.connect(server(p, net::tls_mode::starttls));
    expect_error(ec, p);
    CHECK(ec == condition::tls_failed);
    CHECK_FALSE(c.client().usable());
    // Nothing may be sent after that, not even a login attempt.
    CHECK(c.login("alice", "pw") == net::errc::connection_unusable);
    CHECK(p.sent().find("AUTH") == std::string::npos);
  });
}

TEST_CASE("smtp: response injection before the TLS handshake", "[smtp][transcript]") {
  // The check can only see bytes that arrived with (or before) the 220: deliveries that cut
  // the burst inside the 220 line (17 bytes) still bring the injected line in the same read.
  run_transcript(
      "starttls-injection.txt",
      [](api& c, testing::player& p) {
        auto ec = c.connect(server(p, net::tls_mode::starttls));
        expect_error(ec, p);
        CHECK(mailproto::is_fatal(ec));
        CHECK_FALSE(c.client().tls().active);
        CHECK(p.sent().find("STARTTLS\r\n") + 10 == p.sent().size());  // nothing after it
      },
      test_options(), {}, 0, true, 17);
}

TEST_CASE("smtp: STARTTLS refused with 454", "[smtp][transcript]") {
  run_transcript("starttls-refused.txt", [](api& c, testing::player& p) {
    auto ec = c.connect(server(p, net::tls_mode::starttls));
    expect_error(ec, p);
    CHECK(ec == condition::transient);
    CHECK(c.client().last_reply().code == 454);
  });
}

TEST_CASE("smtp: greeting errors", "[smtp][transcript]") {
  for (const char* name : {"greeting-554.txt", "greeting-tls-record.txt", "greeting-garbage.txt",
                           "inconsistent-reply.txt"}) {
    // A TLS record is recognised from its first bytes; the rest is never read.
    const bool all_read = std::string(name) != "greeting-tls-record.txt";
    run_transcript(
        name,
        [](api& c, testing::player& p) {
          auto ec = c.connect(server(p, net::tls_mode::starttls));
          expect_error(ec, p);
          CHECK(mailproto::is_fatal(ec));
          CHECK(c.client().state() == smtp::session_state::failed);
          CHECK(c.noop() == net::errc::connection_unusable);
        },
        test_options(), {}, 0, all_read);
  }
}

TEST_CASE("smtp: a silent server times out", "[smtp][transcript]") {
  run_transcript(
      "greeting-stall.txt",
      [](api& c, testing::player& p) {
        auto o = server(p);
        o.io_timeout = std::chrono::milliseconds(200);
        auto ec = c.connect(o);
        expect_error(ec, p);
        CHECK(ec == condition::timeout);
        CHECK(p.sent().empty());
      },
      test_options(), {}, 1, false);
  // The per-step deadline of the session (timeouts.command), not the connection's default.
  auto quick = test_options();
  quick.session.timeouts.command = std::chrono::milliseconds(200);
  run_transcript(
      "noop-stall.txt",
      [](api& c, testing::player& p) {
        auto o = server(p);
        o.io_timeout = std::chrono::seconds(30);
        REQUIRE(c.connect(o) == std::error_code{});
        const auto t0 = std::chrono::steady_clock::now();
        auto ec = c.noop();
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
        expect_error(ec, p);
        CHECK(mailproto::is_fatal(ec));
        CHECK_FALSE(c.client().usable());
      },
      quick, {}, 1, false);
}

TEST_CASE("smtp: AUTH mechanisms", "[smtp][transcript]") {
  SECTION("LOGIN") {
    run_transcript("auth-login.txt",
                   [](api& c, testing::player& p) {
                     REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
                     REQUIRE(c.login("alice", "hunter2") == std::error_code{});
                     CHECK(c.quit() == std::error_code{});
                   },
                   test_options(), {sasl::base64_encode("alice"), sasl::base64_encode("hunter2")});
  }
  SECTION("CRAM-MD5 is preferred over PLAIN and LOGIN") {
    // RFC 2195 §2: tim / tanstaaftanstaaf -> "tim b913a602c7eda7a495b4e6e7334d3890"
    run_transcript("auth-cram-md5.txt",
                   [](api& c, testing::player& p) {
                     REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
                     REQUIRE(c.login("tim", "tanstaaftanstaaf") == std::error_code{});
                     CHECK(c.quit() == std::error_code{});
                   },
                   test_options(), {sasl::base64_encode("tim b913a602c7eda7a495b4e6e7334d3890")});
  }
  SECTION("SCRAM-SHA-256 (RFC 7677 vector)") {
    run_transcript(
        "auth-scram-sha-256.txt",
        [](api& c, testing::player& p) {
          REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
          smtp::auth_options ao;
          ao.mechanism_options.client_nonce = "rOprNGfwEbeRWgbNEkqO";
          REQUIRE(c.authenticate(sasl::credentials::with_password("user", "pencil"), ao) ==
                  std::error_code{});
          CHECK(c.client().authenticated());
          CHECK(c.quit() == std::error_code{});
        },
        test_options(),
        {sasl::base64_encode("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"),
         sasl::base64_encode("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="
                             "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")});
  }
  SECTION("SCRAM-SHA-256 with a wrong server signature") {
    run_transcript("auth-scram-bad-signature.txt", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
      smtp::auth_options ao;
      ao.mechanism_options.client_nonce = "rOprNGfwEbeRWgbNEkqO";
      auto ec = c.authenticate(sasl::credentials::with_password("user", "pencil"), ao);
      expect_error(ec, p);
      CHECK_FALSE(c.client().authenticated());
      CHECK_FALSE(c.client().usable());
    });
  }
  SECTION("OAUTHBEARER") {
    run_transcript("auth-oauthbearer.txt", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
      REQUIRE(c.authenticate(sasl::credentials::with_token("alice@example.test", "ya29.tok"), {}) ==
              std::error_code{});
      CHECK(c.quit() == std::error_code{});
    });
  }
  SECTION("535, 534 and 454 are auth_failed, the session goes on") {
    for (const char* name : {"auth-535.txt", "auth-534.txt", "auth-454.txt"}) {
      run_transcript(name,
                     [name](api& c, testing::player& p) {
                       REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
                       auto ec = c.login("alice", "wrong");
                       expect_error(ec, p);
                       CHECK(ec == condition::auth_failed);
                       CHECK_FALSE(mailproto::is_fatal(ec));
                       CHECK_FALSE(c.client().authenticated());
                       CHECK(c.client().usable());
                       if (std::string(name) == "auth-535.txt") {
                         CHECK(c.client().last_reply().enhanced == "5.7.8");
                         CHECK(c.noop() == std::error_code{});
                       }
                       CHECK(c.quit() == std::error_code{});
                     },
                     test_options(), {plain_b64("alice", "wrong")});
    }
  }
  SECTION("XOAUTH2 failure: the JSON error is in the reply text") {
    run_transcript("auth-xoauth2-failure.txt", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
      auto ec = c.authenticate(sasl::credentials::with_token("alice@example.test", "expired"), {});
      expect_error(ec, p);
      const auto text = c.client().last_reply().text();
      CHECK(text.find("Username and Password not accepted") != std::string::npos);
      CHECK(text.find("\"status\":\"401\"") != std::string::npos);
      CHECK(c.quit() == std::error_code{});
    });
  }
  SECTION("a malformed challenge is cancelled with *") {
    run_transcript("auth-bad-challenge.txt", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p, net::tls_mode::starttls)) == std::error_code{});
      expect_error(c.login("alice", "pw"), p);
      CHECK(c.client().usable());
      CHECK(c.quit() == std::error_code{});
    });
  }
  SECTION("no credentials over a plain connection") {
    run_transcript("auth-plaintext-refused.txt", [](api& c, testing::player& p) {
      REQUIRE(c.connect(server(p, net::tls_mode::none)) == std::error_code{});
      auto ec = c.login("alice", "pw");
      expect_error(ec, p);
      CHECK(c.client().usable());
      CHECK(c.quit() == std::error_code{});
    });
  }
}

TEST_CASE("smtp: AUTH secrets are redacted in the trace", "[smtp][transcript]") {
  auto peer = testing::player::open(transcript_path("submission-starttls-plain.txt"));
  std::vector<std::string> lines;
  auto o = server(peer, net::tls_mode::starttls);
  o.trace = [&](std::string_view l) { lines.emplace_back(l); };
  smtp::client c(test_options());
  c.connect(o);
  c.login("alice", "hunter2");
  string_source src(simple_msg);
  c.send(src, env_to({"bob@example.test"}));
  c.quit();
  CHECK(peer.finished());
  bool saw = false;
  for (const auto& l : lines) {
    CHECK(l.find(plain_b64("alice", "hunter2")) == std::string::npos);
    if (l == "C: AUTH PLAIN <redacted>") saw = true;
  }
  CHECK(saw);
}

TEST_CASE("smtp: SIZE limit is checked before MAIL FROM", "[smtp][transcript]") {
  run_transcript("size-too-large.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    CHECK(c.client().capabilities().size == 1000u);
    smtp::send_result r;
    auto ec = c.send(std::string(2000, 'x'), env_to({"bob@example.test"}), &r);
    expect_error(ec, p);
    CHECK(ec == condition::permanent);
    CHECK(c.client().usable());
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: pipelined replies with a rejected recipient", "[smtp][transcript]") {
  run_transcript(
      "pipelining-rejected-rcpt.txt",
      [](api& c, testing::player& p) {
        REQUIRE(c.connect(server(p)) == std::error_code{});
        smtp::send_result r;
        REQUIRE(c.send("Subject: pipelined\r\n\r\nbody\r\n",
                       env_to({"bob@example.test", "nobody@elsewhere.test", "carol@example.test"}),
                       &r) == std::error_code{});
        REQUIRE(r.recipients.size() == 3);
        CHECK(r.recipients[0].accepted);
        CHECK_FALSE(r.recipients[1].accepted);
        CHECK(r.recipients[1].address == "nobody@elsewhere.test");
        CHECK(r.recipients[1].reply.code == 550);
        CHECK(r.recipients[1].reply.enhanced == "5.1.1");
        CHECK(r.recipients[2].accepted);
        CHECK(r.accepted() == 2);
        CHECK(r.rejected() == 1);
        CHECK(r.delivered);
        CHECK(c.quit() == std::error_code{});
      },
      test_options(), {}, 12);
}

TEST_CASE("smtp: all recipients rejected", "[smtp][transcript]") {
  for (const char* name :
       {"pipelining-all-rejected.txt", "pipelining-all-rejected-354.txt", "all-rejected.txt"}) {
    run_transcript(
        name,
        [](api& c, testing::player& p) {
          REQUIRE(c.connect(server(p)) == std::error_code{});
          smtp::send_result r;
          std::vector<smtp::recipient> rc = {"x@elsewhere.test"};
          if (p.script().name().find("354") == std::string::npos) rc.push_back("y@elsewhere.test");
          auto ec = c.send("Subject: x\r\n\r\ny\r\n", env_to(rc), &r);
          expect_error(ec, p);
          CHECK(ec == condition::permanent);
          CHECK(r.accepted() == 0);
          CHECK(r.recipients.size() == rc.size());
          CHECK_FALSE(r.delivered);
          CHECK(c.client().usable());
          CHECK(c.quit() == std::error_code{});
        },
        test_options(), {}, 8);
  }
}

TEST_CASE("smtp: 4xx and 5xx map to transient and permanent", "[smtp][transcript]") {
  run_transcript("recipients-deferred.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    auto ec = c.send("x\r\n", env_to({"x@example.test", "y@elsewhere.test"}), &r);
    expect_error(ec, p);
    CHECK(ec == condition::transient);
    CHECK(r.recipients[0].reply.code == 450);
    CHECK(c.quit() == std::error_code{});
  });
  run_transcript("mail-from-451.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    auto ec = c.send("x\r\n", env_to({"bob@example.test"}), &r);
    expect_error(ec, p);
    CHECK(ec == condition::transient);
    CHECK_FALSE(mailproto::is_fatal(ec));
    CHECK(r.mail_reply.enhanced == "4.3.0");
    CHECK(c.noop() == std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
  run_transcript("mail-from-550.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    auto ec = c.send("x\r\n", env_to({"bob@example.test"}));
    expect_error(ec, p);
    CHECK(ec == condition::permanent);
    CHECK(c.client().last_reply().text() == "Sender rejected");
    CHECK(c.quit() == std::error_code{});
  });
  run_transcript("data-refused.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    expect_error(c.send("x\r\n", env_to({"bob@example.test"})), p);
    CHECK(c.quit() == std::error_code{});
  });
  run_transcript("data-end-552.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    auto ec = c.send("Subject: big\r\n\r\nbody\r\n", env_to({"bob@example.test"}), &r);
    expect_error(ec, p);
    CHECK(ec == condition::permanent);
    CHECK(r.final_reply.code == 552);
    CHECK_FALSE(r.delivered);
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: all-or-nothing", "[smtp][transcript]") {
  run_transcript("all-or-nothing.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    smtp::send_options so;
    so.all_or_nothing = true;
    auto ec = c.send("x\r\n", env_to({"bob@example.test", "x@elsewhere.test"}), &r, so);
    expect_error(ec, p);
    CHECK(r.accepted() == 1);
    CHECK_FALSE(r.delivered);
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: 421 ends the session", "[smtp][transcript]") {
  run_transcript("service-closing-421.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    auto ec = c.send("x\r\n", env_to({"bob@example.test"}));
    expect_error(ec, p);
    CHECK(ec == condition::transient);
    CHECK(mailproto::is_fatal(ec));
    CHECK_FALSE(c.client().usable());
    CHECK(c.client().last_reply().code == 421);
    CHECK(c.quit() == std::error_code{});  // closes quietly
  });
}

TEST_CASE("smtp: dot-stuffing while streaming", "[smtp][transcript]") {
  // ".", "..", ".x" at line starts; bare LF; a final line without CRLF.
  const std::string body = "Subject: dots\n\n.\r\n..\n.x\na.b\nlast line";
  run_transcript("dot-stuffing.txt", [&](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    REQUIRE(c.send(body, env_to({"bob@example.test"})) == std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
  // The same with a source that hands out one byte at a time and a tiny chunk size.
  class drip final : public byte_source {
   public:
    explicit drip(std::string s) : s_(std::move(s)) {}
    std::size_t read(std::span<char> b, std::error_code&) override {
      if (pos_ == s_.size() || b.empty()) return 0;
      b[0] = s_[pos_++];
      return 1;
    }

   private:
    std::string s_;
    std::size_t pos_ = 0;
  };
  run_transcript("dot-stuffing.txt", [&](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    drip src(body);
    smtp::send_result r;
    smtp::send_options so;
    so.chunk_size = 3;
    REQUIRE(c.send(src, env_to({"bob@example.test"}), so, r) == std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: server closes in the middle of DATA", "[smtp][transcript]") {
  run_transcript("eof-mid-data.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    auto ec = c.send("Subject: cut\r\n\r\nbody\r\n", env_to({"bob@example.test"}), &r);
    expect_error(ec, p);
    CHECK(ec == condition::connection_lost);
    CHECK_FALSE(r.delivered);
    CHECK_FALSE(c.client().usable());
  });
}

TEST_CASE("smtp: BDAT when CHUNKING is offered", "[smtp][transcript]") {
  run_transcript("bdat.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    REQUIRE(c.send("Subject: x\n\n.dot", env_to({"bob@example.test"}), &r) == std::error_code{});
    CHECK(r.delivered);
    CHECK(r.bytes_sent == 20);
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: UTF-8 addresses need SMTPUTF8", "[smtp][transcript]") {
  run_transcript("utf8-without-smtputf8.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    auto ec = c.send("x\r\n", env_to({"bob@example.test"}, "an@ví-dụ.test"));
    expect_error(ec, p);
    CHECK(ec == condition::bad_argument);
    CHECK(c.quit() == std::error_code{});
  });
  run_transcript("utf8-smtputf8.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    REQUIRE(c.send("Subject: x\r\n\r\ny\r\n", env_to({"bob@example.test"}, "an@ví-dụ.test")) ==
            std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: three messages over one connection", "[smtp][transcript]") {
  run_transcript(
      "three-messages.txt",
      [](api& c, testing::player& p) {
        REQUIRE(c.connect(server(p)) == std::error_code{});
        for (int i = 1; i <= 3; ++i) {
          smtp::send_result r;
          const std::string n = std::to_string(i);
          REQUIRE(c.send("Subject: message " + n + "\r\n\r\nbody " + n + "\r\n",
                         env_to({"bob@example.test"}), &r) == std::error_code{});
          CHECK(r.final_reply.text() == "queued as Q" + n);
        }
        CHECK(c.noop() == std::error_code{});
        CHECK(c.reset() == std::error_code{});
        CHECK(c.quit() == std::error_code{});
      },
      test_options(), {}, 4);
}

TEST_CASE("smtp: DSN parameters", "[smtp][transcript]") {
  run_transcript("dsn-parameters.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::envelope e = env_to({"bob@example.test"});
    e.body = smtp::body_type::eight_bit;
    e.ret = smtp::dsn_return::headers;
    e.envid = "id+1=2";
    e.recipients[0].notify_on = smtp::notify::success | smtp::notify::failure;
    e.recipients[0].original_recipient = "bob@example.test";
    REQUIRE(c.send("Subject: x\r\n", e) == std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: CR/LF/NUL in envelope values is refused before sending", "[smtp][transcript]") {
  run_transcript("envelope-injection.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    const std::size_t before = p.sent().size();
    CHECK(c.send("x\r\n", env_to({"bob@example.test>\r\nRCPT TO:<evil@x.test"})) ==
          smtp::errc::bad_address);
    CHECK(c.send("x\r\n", env_to({"bob@example.test"}, "a@b\r\nRSET")) == smtp::errc::bad_address);
    CHECK(c.send("x\r\n", env_to({std::string("bob@ex\0ample.test", 17)})) ==
          smtp::errc::bad_address);
    smtp::envelope e = env_to({"bob@example.test"});
    e.envid = "id\r\nQUIT";
    CHECK(c.send("x\r\n", e) == net::errc::unsafe_argument);
    e = env_to({"bob@example.test"});
    e.recipients[0].original_recipient = "x\ny";
    CHECK(c.send("x\r\n", e) == net::errc::unsafe_argument);
    CHECK(c.send("x\r\n", env_to({})) == smtp::errc::no_recipients);
    // Extensions the server lacks are refused, not silently dropped.
    e = env_to({"bob@example.test"});
    e.body = smtp::body_type::eight_bit;
    CHECK(c.send("x\r\n", e) == smtp::errc::extension_not_supported);
    CHECK(p.sent().size() == before);  // not one byte went out
    CHECK(c.client().usable());
    CHECK(c.noop() == std::error_code{});
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: a bad EHLO name is refused before connecting", "[smtp]") {
  auto peer = testing::player::open(transcript_path("greeting-554.txt"));
  auto o = test_options();
  o.session.helo_name = "x\r\nMAIL FROM:<a@b>";
  smtp::client c(o);
  std::error_code ec;
  c.connect(server(peer), ec);
  CHECK(ec == net::errc::unsafe_argument);
  CHECK(peer.sent().empty());
}

TEST_CASE("smtp: commands before connect", "[smtp]") {
  smtp::client c;
  std::error_code ec;
  c.noop(ec);
  CHECK(ec == smtp::errc::not_ready);
  string_source s("x");
  c.send(s, env_to({"a@b.test"}), ec);
  CHECK(ec == smtp::errc::not_ready);
  CHECK_THROWS_AS(c.noop(), mailproto::error);
  c.quit(ec);  // nothing to quit: fine
  CHECK_FALSE(ec);
}

TEST_CASE("smtp: throwing overloads carry the server's reply", "[smtp][transcript]") {
  auto peer = testing::player::open(transcript_path("mail-from-550.txt"));
  smtp::client c(test_options());
  c.connect(server(peer));
  string_source s("x\r\n");
  try {
    c.send(s, env_to({"bob@example.test"}));
    FAIL("no exception");
  } catch (const mailproto::error& e) {
    CHECK(e.code() == smtp::make_reply_error(550));
    CHECK(e.reply().code == 550);
    CHECK(std::string(e.what()).find("Sender rejected") != std::string::npos);
  }
  c.quit();
  CHECK(peer.finished());
}

TEST_CASE("smtp: BDAT in several chunks, a refused chunk", "[smtp][transcript]") {
  run_transcript("bdat-chunks.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_options so;
    so.chunk_size = 16;
    const std::string body = "Subject: chunked\r\n\r\n0123456789\r\n";
    smtp::send_result r;
    REQUIRE(c.send(body, env_to({"bob@example.test"}), &r, so) == std::error_code{});
    CHECK(r.delivered);
    CHECK(r.final_reply.text() == "Message OK, 32 octets received");
    auto ec = c.send(body, env_to({"bob@example.test"}), &r, so);
    expect_error(ec, p);
    CHECK_FALSE(r.delivered);
    CHECK(c.client().usable());
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: pipelined BDAT chunks, a refused chunk", "[smtp][transcript]") {
  run_transcript("bdat-pipelined.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_options so;
    so.chunk_size = 16;
    const std::string body = "Subject: chunked\r\n\r\n0123456789\r\n";
    smtp::send_result r;
    REQUIRE(c.send(body, env_to({"bob@example.test"}), &r, so) == std::error_code{});
    CHECK(r.delivered);
    CHECK(r.bytes_sent == 32);
    CHECK(r.final_reply.text() == "Message OK, 32 octets received");
    REQUIRE(r.recipients.size() == 1);
    CHECK(r.recipients[0].accepted);
    auto ec = c.send(body, env_to({"bob@example.test"}), &r, so);
    expect_error(ec, p);
    CHECK(ec == smtp::make_reply_error(552));
    CHECK_FALSE(r.delivered);
    CHECK(c.client().usable());
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: pipelined BDAT, every recipient refused", "[smtp][transcript]") {
  run_transcript("bdat-pipelined-all-rejected.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    auto ec = c.send("Subject: x", env_to({"nobody@elsewhere.test"}), &r);
    expect_error(ec, p);
    CHECK(ec == condition::permanent);
    CHECK(r.accepted() == 0);
    CHECK_FALSE(r.delivered);
    CHECK(c.client().usable());
    CHECK(c.quit() == std::error_code{});
  });
}

TEST_CASE("smtp: SIZE= is the transmitted size of a small body", "[smtp][transcript]") {
  run_transcript("size-exact.txt", [](api& c, testing::player& p) {
    REQUIRE(c.connect(server(p)) == std::error_code{});
    smtp::send_result r;
    REQUIRE(c.send("Subject: x\n\n.dot", env_to({"bob@example.test"}), &r) == std::error_code{});
    CHECK(r.delivered);
    CHECK(c.quit() == std::error_code{});
  });
}
