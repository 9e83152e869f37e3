// The packaging test's consumer: uses the installed (or add_subdirectory'd) mailproto with
// nothing but `target_link_libraries(... mailproto::mailproto)`, and needs no server.
//
// 1. mailproto::version() (compiled into the library) equals MAILPROTO_VERSION_STRING (the
//    generated header that was installed with it).
// 2. A transcript parses with mailproto::testing::transcript::parse.
// 3. net::probe runs an SMTP STARTTLS exchange against the transcript player: this
//    instantiates Asio templates in this program and links against the Asio compiled into
//    the library, so it fails to link if ASIO_SEPARATE_COMPILATION did not come through.
// Exit status 0 when all three hold; each check prints one line.
#include <mailproto/net/probe.hpp>
#include <mailproto/testing/player.hpp>
#include <mailproto/testing/transcript.hpp>
#include <mailproto/version.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <system_error>

namespace {

constexpr const char* script_text =
    "# SMTP: greeting, EHLO, STARTTLS, EHLO again, QUIT (RFC 3207 section 4)\n"
    "S: 220 mx.example.test ESMTP\n"
    "C: EHLO probe.invalid\n"
    "S: 250-mx.example.test\n"
    "S: 250-STARTTLS\n"
    "S: 250 8BITMIME\n"
    "C: STARTTLS\n"
    "S: 220 2.0.0 Ready to start TLS\n"
    "@tls\n"
    "C: EHLO probe.invalid\n"
    "S: 250-mx.example.test\n"
    "S: 250 AUTH PLAIN\n"
    "C: QUIT\n"
    "S: 221 2.0.0 Bye\n";

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  if (!ok) ++failures;
}

}  // namespace

int main() {
  using namespace mailproto;
  std::cout << "mailproto_consumer (" << MAILPROTO_CONSUMER_HOW << ")\n";

  check(version() == MAILPROTO_VERSION_STRING,
        "mailproto::version() = " + std::string(version()) +
            ", MAILPROTO_VERSION_STRING = " + MAILPROTO_VERSION_STRING);

  testing::transcript script;
  try {
    script = testing::transcript::parse(script_text, "consumer");
  } catch (const std::exception& e) {
    check(false, std::string("transcript::parse: ") + e.what());
    return 1;
  }
  // One step per S:/C: line and one for @tls; the comment is kept apart.
  std::size_t tls_steps = 0;
  for (const auto& st : script.steps())
    if (st.type == testing::step::kind::tls) ++tls_steps;
  check(script.steps().size() == 13 && tls_steps == 1 && script.comments().size() == 1,
        "transcript::parse: " + std::to_string(script.steps().size()) + " steps, " +
            std::to_string(tls_steps) + " @tls");

  testing::player peer(script, testing::delivery::byte_by_byte());
  net::connect_options o;
  o.host = "mx.example.test";
  o.port = 587;
  o.tls = net::tls_mode::starttls;
  o.io_timeout = std::chrono::seconds(5);
  o.transport = peer.transport();
  net::connection conn;
  std::error_code ec;
  const net::probe_result r = net::probe(conn, o, net::probe_protocol::smtp, ec);
  check(!ec, "net::probe over the player: " + (ec ? ec.message() : std::string("no error")));
  check(r.starttls_used && r.greeting == "220 mx.example.test ESMTP",
        "probe result: greeting \"" + r.greeting +
            "\", STARTTLS used: " + (r.starttls_used ? "yes" : "no"));
  check(peer.finished(), "player finished: " + (peer.finished() ? "yes" : peer.report()));

  std::cout << (failures ? "FAILED" : "PASSED") << '\n';
  return failures ? 1 : 0;
}
