// SMTP against the sandbox's Postfix (submission 587/STARTTLS and submissions 465/implicit
// TLS, certificates verified with the sandbox CA); messages are read back over IMAPS with
// Python's imaplib (tests/integration/smtp/imap_fetch.py), an independent client.
#include <mailproto/sasl/base64.hpp>
#include <mailproto/smtp/client.hpp>
#include <mailproto/smtp/send.hpp>

#include "integration/smtp/smtp_integration.hpp"
#include "support/sandbox.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <random>

using namespace mailproto;
using mailproto::test_support::sandbox_env;
using namespace smtp_integration;

namespace {

smtp::client_options client_opts() {
  smtp::client_options o;
  o.session.helo_name = "client.example.test";
  return o;
}

std::string wrap76(const std::string& b64) {
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

const std::string course_subject = "Tiêu đề: Lập trình mạng";
const std::string course_body = "Thân gửi An, ...";
// A small RAR 5 archive header followed by arbitrary bytes (binary, with NUL and 0xFF).
const std::string rar_bytes = std::string("Rar!\x1a\x07\x01\x00", 8) +
                              "\x33\x92\xb5\xe5\x0a\x01\x05\x06" +
                              std::string("\x00\xff\x10\x80 baitap", 11);

std::string headers(const std::string& id, const std::string& subject) {
  return "From: Alice <alice@example.test>\r\n"
         "To: Bob <bob@example.test>\r\n"
         "Subject: =?UTF-8?B?" +
         sasl::base64_encode(subject) +
         "?=\r\n"
         "Date: Sat, 28 Nov 2026 16:00:00 +0000\r\n"
         "Message-ID: <" +
         id +
         "@example.test>\r\n"
         "X-Test-Id: " +
         id + "\r\nMIME-Version: 1.0\r\n";
}

// The course's first message, built by hand: UTF-8 subject (RFC 2047) and body (base64).
std::string utf8_message(const std::string& id) {
  return headers(id, course_subject) +
         "Content-Type: text/plain; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrap76(sasl::base64_encode(course_body));
}

// The course's second message: text plus a small .rar attachment (multipart/mixed).
std::string rar_message(const std::string& id) {
  return headers(id, "Bài tập") +
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         "--b1\r\n"
         "Content-Type: text/plain; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrap76(sasl::base64_encode(course_body)) +
         "--b1\r\n"
         "Content-Type: application/vnd.rar; name=\"baitap.rar\"\r\n"
         "Content-Disposition: attachment; filename=\"baitap.rar\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrap76(sasl::base64_encode(rar_bytes)) + "--b1--\r\n";
}

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

TEST_CASE("smtp integration: UTF-8 mail over submission (STARTTLS), read back over IMAP",
          "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  for (auto mode : {smtp::transfer_mode::automatic, smtp::transfer_mode::data}) {
    const std::string id = unique_id();
    smtp::client c(client_opts());
    c.connect(submission(env));
    CHECK(c.tls().active);
    CHECK(c.tls().verified);
    CHECK(c.capabilities().starttls == false);  // asked again over TLS: no more STARTTLS
    c.login(env.alice.user, env.alice.password);
    CHECK(c.authenticated());
    string_source src(utf8_message(id));
    smtp::send_options so;
    so.transfer = mode;
    auto r = c.send(src, alice_to({env.bob.address}), so);
    CHECK(r.delivered);
    CHECK(r.accepted() == 1);
    CHECK(r.final_reply.code == 250);
    c.quit();
    std::string out;
    const int rc = read_back(
        id,
        "{\"subject\": " + json_str(course_subject) + ", \"body\": " + json_str(course_body) + "}",
        out);
    INFO(out);
    CHECK(rc == 0);
  }
}

TEST_CASE("smtp integration: .rar attachment over submissions (implicit TLS)",
          "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const std::string id = unique_id();
  smtp::client c(client_opts());
  c.connect(submission(env, true));
  CHECK(c.tls().verified);
  c.login(env.alice.user, env.alice.password);
  string_source src(rar_message(id));
  auto r = c.send(src, alice_to({env.bob.address}));
  CHECK(r.delivered);
  c.quit();
  std::string out;
  const int rc = read_back(id,
                           "{\"subject\": \"Bài tập\", \"body\": " + json_str(course_body) +
                               ", \"attachment_name\": \"baitap.rar\", \"attachment_hex\": \"" +
                               hex(rar_bytes) + "\"}",
                           out);
  INFO(out);
  CHECK(rc == 0);
}

TEST_CASE("smtp integration: three messages over one connection, dot lines intact",
          "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const std::string id = unique_id();
  smtp::client c(client_opts());
  c.connect(submission(env));
  c.login(env.alice.user, env.alice.password);
  const std::string body = ".\r\n..\r\n.x\r\nend";
  for (int i = 0; i < 3; ++i) {
    string_source src("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: n" +
                      std::to_string(i) + "\r\nX-Test-Id: " + id + "\r\n\r\n" + body);
    smtp::send_options so;
    so.transfer = i == 1 ? smtp::transfer_mode::bdat : smtp::transfer_mode::data;
    auto r = c.send(src, alice_to({env.bob.address}), so);
    CHECK(r.delivered);
  }
  c.noop();
  c.quit();
  std::string out;
  const int rc = read_back(id, "{\"count\": 3, \"body\": \".\\n..\\n.x\\nend\"}", out);
  INFO(out);
  CHECK(rc == 0);
}

TEST_CASE("smtp integration: a foreign recipient is refused at RCPT, bob still gets it",
          "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const std::string id = unique_id();
  smtp::client c(client_opts());
  c.connect(submission(env));
  c.login(env.alice.user, env.alice.password);
  string_source src(utf8_message(id));
  auto r = c.send(src, alice_to({"someone@foreign.test", env.bob.address}));
  REQUIRE(r.recipients.size() == 2);
  CHECK_FALSE(r.recipients[0].accepted);
  CHECK(r.recipients[0].reply.code == 550);
  CHECK(r.recipients[0].reply.enhanced == "5.1.1");
  CHECK(r.recipients[1].accepted);
  CHECK(r.delivered);
  // Only foreign recipients: the send fails, the session is still usable.
  string_source src2(utf8_message(id + "x"));
  std::error_code ec;
  auto r2 = c.send(src2, alice_to({"someone@foreign.test"}), ec);
  CHECK(ec == smtp::errc::all_recipients_rejected);
  CHECK(ec == condition::permanent);
  CHECK(r2.recipients.at(0).reply.code == 550);
  CHECK(c.usable());
  c.noop();
  c.quit();
  std::string out;
  CHECK(read_back(id, "{\"subject\": " + json_str(course_subject) + "}", out) == 0);
}

TEST_CASE("smtp integration: wrong password is auth_failed", "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  smtp::client c(client_opts());
  c.connect(submission(env));
  std::error_code ec;
  c.login(env.alice.user, "not-the-password", ec);
  CHECK(ec == smtp::errc::auth_failed);
  CHECK(ec == condition::auth_failed);
  CHECK(c.last_reply().code == 535);
  CHECK(c.usable());
  c.quit();
}

TEST_CASE("smtp integration: every password mechanism Postfix offers", "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  for (const char* mech : {"SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"}) {
    smtp::client c(client_opts());
    c.connect(submission(env));
    smtp::auth_options ao;
    ao.mechanism = mech;
    std::error_code ec;
    c.authenticate(sasl::credentials::with_password(env.carol.user, env.carol.password), ao, ec);
    INFO(mech << ": " << ec.message() << " " << c.last_reply().to_string());
    CHECK_FALSE(ec);
    c.quit();
  }
}

TEST_CASE("smtp integration: wrong CA is a certificate error", "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  for (bool implicit : {false, true}) {
    auto o = submission(env, implicit);
    o.tls_opts.cafile = "/etc/ssl/certs/ca-certificates.crt";  // the system CAs, not ours
    smtp::client c(client_opts());
    std::error_code ec;
    c.connect(o, ec);
    CHECK(ec == net::errc::certificate_verify_failed);
    CHECK(ec == condition::tls_failed);
    CHECK_FALSE(c.usable());
  }
}

TEST_CASE("smtp integration: implicit TLS against the STARTTLS port", "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  auto o = submission(env);
  o.tls = net::tls_mode::implicit;
  smtp::client c(client_opts());
  std::error_code ec;
  c.connect(o, ec);
  CHECK(ec == smtp::errc::tls_mode_mismatch);
  CHECK(ec == condition::tls_failed);
}

TEST_CASE("smtp integration: one-call smtp::send with the MIME builder (Bcc stays out)",
          "[integration][smtp]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const std::string id = unique_id();
  mime::message_builder msg;
  msg.from("Alice <alice@example.test>")
      .to("Bob <bob@example.test>")
      .bcc("carol@example.test")
      .subject(course_subject)
      .header("X-Test-Id", id)
      .text(course_body)
      .attach(rar_bytes, "baitap.rar");
  std::error_code ec;
  auto r = smtp::send(submission(env), env.alice.user, env.alice.password, msg, ec);
  INFO(ec.message() << " / " << msg.error_message());
  REQUIRE_FALSE(ec);
  REQUIRE(r.recipients.size() == 2);  // bob and carol (Bcc)
  CHECK(r.accepted() == 2);
  std::string out;
  const int rc = read_back(id,
                           "{\"subject\": " + json_str(course_subject) +
                               ", \"body\": " + json_str(course_body) +
                               ", \"attachment_name\": \"baitap.rar\", \"attachment_hex\": \"" +
                               hex(rar_bytes) + "\", \"absent\": [\"Bcc\"]}",
                           out);
  INFO(out);
  CHECK(rc == 0);
}
