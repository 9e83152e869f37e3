// The `mailproto` tool against the sandbox (real Postfix + Dovecot on 127.0.0.1): the hints
// for the common mistakes, the JSON output of the data commands, and the progress bar on
// transfers over 1 MiB (send, pop3 retr, imap fetch, imap append).
#include "cli_runner.hpp"
#include "support/sandbox.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using cli_test::run;
using mailproto::test_support::sandbox_env;

namespace {

// The common options for the sandbox: server and CA from the environment the test got.
cli_test::env_changes env_for(const sandbox_env& sb, const sandbox_env::user& u) {
  auto e = cli_test::clean_env();
  e["MAILPROTO_SERVER"] = sb.host;
  e["MAILPROTO_CAFILE"] = sb.cafile;
  e["MAILPROTO_USER"] = u.user;
  e["MAILPROTO_PASSWORD"] = u.password;
  return e;
}

std::string port(std::uint16_t p) {
  return std::to_string(p);
}

// A CRLF message of about `size` bytes, with a unique subject.
std::string big_message(const sandbox_env& sb, const std::string& subject, std::size_t size) {
  std::string m = "From: Alice <" + sb.alice.address + ">\r\nTo: Bob <" + sb.bob.address +
                  ">\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject +
                  "@example.test>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  for (std::size_t i = 0; m.size() < size; ++i)
    m += "line " + std::to_string(i) + " of a large message for the progress bar test .......\r\n";
  return m;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

void check_one_line_hint(const cli_test::run_result& r, const std::vector<std::string>& words) {
  INFO("stderr: " << r.err);
  CHECK(r.status == 1);
  CHECK(cli_test::lines(r.err) == 1);
  CHECK(r.err.rfind("mailproto: ", 0) == 0);
  CHECK(r.err.find("(hint: ") != std::string::npos);
  for (const auto& w : words) {
    INFO(w);
    CHECK(r.err.find(w) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("cli hint: implicit TLS against a STARTTLS port", "[cli][integration][hint]") {
  MAILPROTO_REQUIRE_SANDBOX(sb);
  const auto env = env_for(sb, sb.bob);
  check_one_line_hint(run({"pop3", "stat", "--tls", "implicit", "--port", port(sb.pop3_port)}, env),
                      {"does not speak implicit TLS", "--tls starttls"});
  check_one_line_hint(
      run({"imap", "folders", "--tls", "implicit", "--port", port(sb.imap_port)}, env),
      {"does not speak implicit TLS", "--tls starttls"});
  check_one_line_hint(
      run({"send", "--tls", "implicit", "--port", port(sb.smtp_port), "--from", sb.alice.address,
           "--to", sb.bob.address, "--subject", "never sent", "--text", "-"},
          env),
      {"does not speak implicit TLS", "--tls starttls"});
  check_one_line_hint(
      run({"probe", "--protocol", "smtp", "--tls", "implicit", "--port", port(sb.smtp_port)}, env),
      {"--tls starttls"});
}

TEST_CASE("cli hint: STARTTLS against an implicit-TLS port (no greeting comes)",
          "[cli][integration][hint]") {
  MAILPROTO_REQUIRE_SANDBOX(sb);
  const auto env = env_for(sb, sb.alice);
  const auto t0 = std::chrono::steady_clock::now();
  check_one_line_hint(
      run({"send", "--tls", "starttls", "--port", port(sb.smtps_port), "--timeout", "2", "--from",
           sb.alice.address, "--to", sb.bob.address, "--subject", "never sent", "--text", "-"},
          env),
      {"no greeting", "--tls implicit", "submissions 465"});
  check_one_line_hint(
      run({"imap", "folders", "--port", port(sb.imaps_port), "--timeout", "2"}, env),
      {"no greeting", "--tls implicit"});
  check_one_line_hint(run({"pop3", "list", "--port", port(sb.pop3s_port), "--timeout", "2"}, env),
                      {"no greeting", "--tls implicit"});
  // Each gives up after its --timeout, not the default 30 s.
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
}

TEST_CASE("cli hint: the sandbox's certificate without --cafile is not trusted",
          "[cli][integration][hint]") {
  MAILPROTO_REQUIRE_SANDBOX(sb);
  auto env = env_for(sb, sb.bob);
  env["MAILPROTO_CAFILE"] = std::nullopt;
  check_one_line_hint(
      run({"pop3", "stat", "--port", port(sb.pop3s_port), "--tls", "implicit"}, env),
      {"not trusted", "--cafile"});
  check_one_line_hint(run({"imap", "folders", "--port", port(sb.imap_port)}, env),
                      {"not trusted", "--cafile"});
  check_one_line_hint(run({"probe", "--protocol", "smtp", "--port", port(sb.smtp_port)}, env),
                      {"not trusted", "--cafile"});
}

TEST_CASE("cli hint: a wrong password, with the server's own text", "[cli][integration][hint]") {
  MAILPROTO_REQUIRE_SANDBOX(sb);
  auto env = env_for(sb, sb.bob);
  env["MAILPROTO_PASSWORD"] = "not-bobs-password";
  {
    const auto r = run({"pop3", "stat", "--port", port(sb.pop3_port)}, env);
    check_one_line_hint(r, {"authentication failed", "refused the login", "MAILPROTO_PASSWORD"});
    CHECK(r.err.find("[AUTH]") != std::string::npos);  // Dovecot's -ERR [AUTH] ... (RFC 3206)
    CHECK(r.err.find("not-bobs-password") == std::string::npos);
  }
  {
    const auto r =
        run({"imap", "status", "INBOX", "--port", port(sb.imaps_port), "--tls", "implicit"}, env);
    check_one_line_hint(r, {"authentication failed", "refused the login", "MAILPROTO_PASSWORD"});
    CHECK(r.err.find("AUTHENTICATIONFAILED") != std::string::npos);  // RFC 5530 response code
  }
  {
    const auto r = run({"send", "--port", port(sb.smtp_port), "--from", sb.alice.address, "--to",
                        sb.bob.address, "--subject", "never sent", "--text", "-"},
                       env);
    check_one_line_hint(r, {"authentication failed", "refused the login", "MAILPROTO_PASSWORD"});
    CHECK(r.err.find("535") != std::string::npos);  // RFC 4954 §6
  }
}

TEST_CASE("cli json: pop3 and imap data commands print the documented shapes",
          "[cli][integration][json]") {
  MAILPROTO_REQUIRE_SANDBOX(sb);
  const auto env = env_for(sb, sb.bob);
  {
    const auto r = run({"pop3", "list", "--json", "--port", port(sb.pop3_port)}, env);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(std::regex_match(
        r.out, std::regex(R"(\[(\{"number": [0-9]+, "size": [0-9]+\}(, \{"number": [0-9]+, )"
                          R"("size": [0-9]+\})*)?\]\n)")));
  }
  {
    const auto r = run({"pop3", "stat", "--json", "--port", port(sb.pop3_port)}, env);
    REQUIRE(r.status == 0);
    CHECK(std::regex_match(r.out, std::regex(R"(\{"count": [0-9]+, "size": [0-9]+\}\n)")));
  }
  {
    const auto r = run({"imap", "folders", "--json", "--port", port(sb.imap_port)}, env);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.front() == '[');
    CHECK(std::regex_search(
        r.out, std::regex(R"(\{"name": "INBOX", "delimiter": ("[^"]+"|null), "attributes": \[)")));
  }
  {
    const auto r = run({"imap", "status", "INBOX", "--json", "--port", port(sb.imap_port)}, env);
    REQUIRE(r.status == 0);
    CHECK(std::regex_match(r.out, std::regex(R"(\{"mailbox": "INBOX", "messages": [0-9]+, )"
                                             R"("unseen": [0-9]+, "uidnext": [0-9]+, )"
                                             R"("uidvalidity": [0-9]+\}\n)")));
  }
  {
    const auto r = run({"config", "--json"}, env);
    CHECK(r.out.find("\"server\": {\"value\": \"" + sb.host +
                     "\", \"from\": \"MAILPROTO_SERVER\"}") != std::string::npos);
  }
}

TEST_CASE(
    "cli progress: a bar for send, pop3 retr, imap fetch and append over 1 MiB, none "
    "with --json",
    "[cli][integration][progress]") {
  MAILPROTO_REQUIRE_SANDBOX(sb);
  const std::string dir = cli_test::scratch_dir("progress");
  REQUIRE_FALSE(dir.empty());
  const std::string subject =
      "progress-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  const std::string msg = big_message(sb, subject, 1536 * 1024);
  write_file(dir + "/big.eml", msg);

  // send: Alice submits it; the bar shows the known size.
  auto alice = env_for(sb, sb.alice);
  alice["MAILPROTO_PROGRESS"] = "always";
  {
    const auto r =
        run({"send", "--port", port(sb.smtp_port), "--message", dir + "/big.eml"}, alice);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("\rsend  [") != std::string::npos);
    CHECK(r.err.find("100%") != std::string::npos);
    CHECK(r.err.back() == '\n');
  }
  // --json: the same transfer, no bar even when forced.
  {
    const auto r = run({"send", "--json", "--port", port(sb.smtp_port), "--rcpt", sb.alice.address,
                        "--message", dir + "/big.eml"},
                       alice);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.rfind("{\"delivered\": true", 0) == 0);
  }
  // Not a terminal and not forced: no bar.
  {
    auto quiet = alice;
    quiet["MAILPROTO_PROGRESS"] = std::nullopt;
    const auto r = run({"send", "--port", port(sb.smtp_port), "--rcpt", sb.alice.address,
                        "--message", dir + "/big.eml"},
                       quiet);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
  }

  // pop3 retr: wait until Bob's copy arrived (the newest message of about its size whose
  // Subject is ours: earlier runs may have left similar ones), with a bar each time.
  auto bob = env_for(sb, sb.bob);
  bob["MAILPROTO_PROGRESS"] = "always";
  std::string number;
  for (int i = 0; i < 100 && number.empty(); ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto r = run({"pop3", "list", "--json", "--port", port(sb.pop3_port)}, bob);
    REQUIRE(r.status == 0);
    std::string candidate;
    std::regex item(R"re(\{"number": ([0-9]+), "size": ([0-9]+)\})re");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), item), end; it != end; ++it) {
      const auto size = std::stoull((*it)[2].str());
      if (size >= msg.size() && size < msg.size() + 16 * 1024) candidate = (*it)[1].str();
    }
    if (candidate.empty()) continue;
    const auto retr = run(
        {"pop3", "retr", candidate, "--out", dir + "/retr.eml", "--port", port(sb.pop3_port)}, bob);
    INFO(retr.err);
    REQUIRE(retr.status == 0);
    CHECK(retr.err.find("\rretr " + candidate + "  [") != std::string::npos);
    CHECK(retr.err.find("100%") != std::string::npos);
    if (cli_test::slurp(dir + "/retr.eml").find("Subject: " + subject + "\r\n") !=
        std::string::npos)
      number = candidate;
  }
  REQUIRE_FALSE(number.empty());

  // imap fetch --raw: the same message found by SEARCH, to a file, with a bar (no total).
  std::string uid;
  {
    const auto r =
        run({"imap", "search", "INBOX", "SUBJECT", subject, "--json", "--port", port(sb.imap_port)},
            bob);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::smatch m;
    REQUIRE(std::regex_match(r.out, m, std::regex(R"(\[([0-9]+)\]\n)")));
    uid = m[1].str();
  }
  {
    const auto r = run({"imap", "fetch", "INBOX", "--uid", uid, "--raw", "--out",
                        dir + "/fetch.eml", "--port", port(sb.imap_port)},
                       bob);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("\rfetch " + uid + "  ") != std::string::npos);
    CHECK(r.err.find("MiB") != std::string::npos);
    CHECK(cli_test::slurp(dir + "/fetch.eml") == cli_test::slurp(dir + "/retr.eml"));
  }
  {
    // fetch --json lists the message (uid, size, subject) and draws nothing.
    const auto r =
        run({"imap", "fetch", "INBOX", "--uid", uid, "--json", "--port", port(sb.imap_port)}, bob);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("\"uid\": " + uid + ", \"size\": ") != std::string::npos);
    CHECK(r.out.find("\"subject\": \"" + subject + "\"") != std::string::npos);
  }

  // imap append: into Carol's INBOX (not Bob's), then fetched back byte for byte.
  auto carol = env_for(sb, sb.carol);
  carol["MAILPROTO_PROGRESS"] = "always";
  {
    const auto r =
        run({"imap", "append", "INBOX", dir + "/big.eml", "--port", port(sb.imap_port)}, carol);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.find("\rappend " + dir + "/big.eml  [") != std::string::npos);
    CHECK(r.err.find("100%") != std::string::npos);
    CHECK(r.out.find("appended to INBOX") != std::string::npos);
  }
  {
    const auto r =
        run({"imap", "append", "INBOX", dir + "/big.eml", "--json", "--port", port(sb.imap_port)},
            carol);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    std::smatch m;
    REQUIRE(std::regex_match(
        r.out, m,
        std::regex(R"(\{"mailbox": "INBOX", "uidvalidity": [0-9]+, "uid": ([0-9]+)\}\n)")));
    const auto f =
        run({"imap", "fetch", "INBOX", "--uid", m[1].str(), "--raw", "--port", port(sb.imap_port)},
            carol);
    REQUIRE(f.status == 0);
    CHECK(f.out == msg);
  }
}
