// Nothing lost (issue #9): the MOVE fallback without the MOVE extension (COPY, STORE
// \Deleted, EXPUNGE; RFC 6851 §3.3) never flags or expunges a message whose COPY failed or
// whose outcome is unknown; APPEND reports APPENDUID (RFC 4315 §3) when the server gives
// one and is never reported done without the tagged OK.
#include <mailproto/imap/client.hpp>
#include <mailproto/net/errc.hpp>
#include <mailproto/testing/player.hpp>

#include <catch2/catch.hpp>

#include <functional>

using namespace mailproto;
using namespace std::chrono_literals;

namespace {

imap::client_options opts(testing::player& peer) {
  imap::client_options o;
  o.net.host = "mail.example.test";
  o.net.port = 993;
  o.net.tls = net::tls_mode::implicit;
  o.net.io_timeout = 2s;
  o.net.transport = peer.transport();
  return o;
}

std::string selected(const std::string& caps) {
  const std::string list = caps.empty() ? "IMAP4rev1" : "IMAP4rev1 " + caps;
  return "S: * OK [CAPABILITY " + list + " AUTH=PLAIN] ready\nC: a1 LOGIN bob <redacted>\n" +
         "S: a1 OK [CAPABILITY " + list + "] Logged in\nC: a2 SELECT INBOX\nS: * 3 EXISTS\n" +
         "S: a2 OK [READ-WRITE] done\n";
}

void play(const std::string& text, const std::function<void(imap::client&, testing::player&)>& body,
          bool check_finished = true) {
  const auto script = testing::transcript::parse(text, "nothing-lost");
  for (const auto& d : {testing::delivery::whole_bursts(), testing::delivery::byte_by_byte(),
                        testing::delivery::split_at(9)}) {
    testing::player peer(script, d);
    imap::client c;
    INFO(d.describe());
    c.connect(opts(peer));
    c.login("bob", "pw");
    body(c, peer);
    INFO(peer.report());
    if (check_finished)
      CHECK(peer.finished());
    else
      CHECK(peer.failure().empty());
  }
}

}  // namespace

TEST_CASE("imap nothing lost: MOVE fallback stops when COPY fails", "[imap][nothing-lost]") {
  for (const std::string caps : {"UIDPLUS", ""}) {
    INFO("capabilities: " << caps);
    // NO and BAD to COPY: nothing is flagged, nothing expunged; the next command is NOOP.
    for (const std::string answer :
         {"NO [TRYCREATE] no such mailbox", "NO [OVERQUOTA] full", "BAD syntax"}) {
      play(selected(caps) + "C: a3 COPY 2:3 Archive\nS: a3 " + answer +
               "\nC: a4 NOOP\nS: a4 OK done\n",
           [](imap::client& c, testing::player& p) {
             c.select("INBOX");
             std::error_code ec;
             c.move(imap::sequence_set::of({2, 3}), "Archive", false, ec);
             CHECK(ec);
             CHECK_FALSE(mailproto::is_fatal(ec));
             CHECK(p.sent().find("STORE") == std::string::npos);
             CHECK(p.sent().find("EXPUNGE") == std::string::npos);
             c.noop();
           });
    }
  }
}

TEST_CASE("imap nothing lost: MOVE fallback stops when the COPY outcome is unknown",
          "[imap][nothing-lost]") {
  play(
      selected("UIDPLUS") + "C: a3 COPY 2:3 Archive\nS: * 2 FETCH (FLAGS ())\n@eof\n",
      [](imap::client& c, testing::player& p) {
        c.select("INBOX");
        std::error_code ec;
        c.move(imap::sequence_set::of({2, 3}), "Archive", false, ec);
        CHECK(ec == net::errc::connection_closed);
        CHECK(p.sent().find("STORE") == std::string::npos);
        CHECK(p.sent().find("EXPUNGE") == std::string::npos);
      },
      false);
}

TEST_CASE("imap nothing lost: MOVE fallback stops when STORE \\Deleted fails",
          "[imap][nothing-lost]") {
  play(selected("UIDPLUS") +
           "C: a3 COPY 2:3 Archive\nS: a3 OK [COPYUID 1700000002 7:8 100:101] copied\n"
           "C: a4 STORE 2:3 +FLAGS.SILENT (\\Deleted)\nS: a4 NO read-only\n"
           "C: a5 NOOP\nS: a5 OK done\n",
       [](imap::client& c, testing::player& p) {
         c.select("INBOX");
         std::error_code ec;
         c.move(imap::sequence_set::of({2, 3}), "Archive", false, ec);
         CHECK(ec);
         CHECK(p.sent().find("EXPUNGE") == std::string::npos);
         c.noop();
       });
}

TEST_CASE("imap nothing lost: MOVE fallback with UIDPLUS but no COPYUID expunges nothing",
          "[imap][nothing-lost]") {
  // Without COPYUID the client cannot name the copied messages by UID: a plain EXPUNGE could
  // remove other messages already marked \Deleted, so none is sent.
  play(selected("UIDPLUS") +
           "C: a3 COPY 2:3 Archive\nS: a3 OK copied\n"
           "C: a4 STORE 2:3 +FLAGS.SILENT (\\Deleted)\nS: a4 OK stored\n"
           "C: a5 NOOP\nS: a5 OK done\n",
       [](imap::client& c, testing::player& p) {
         c.select("INBOX");
         std::error_code ec;
         c.move(imap::sequence_set::of({2, 3}), "Archive", false, ec);
         CHECK_FALSE(ec);
         CHECK(p.sent().find("EXPUNGE") == std::string::npos);
         c.noop();
       });
}

TEST_CASE("imap nothing lost: APPEND reports APPENDUID, or nothing when absent",
          "[imap][nothing-lost]") {
  const std::string head =
      "S: * OK [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+ AUTH=PLAIN] ready\n"
      "C: a1 LOGIN bob <redacted>\nS: a1 OK [CAPABILITY IMAP4rev1 UIDPLUS LITERAL+] in\n"
      "C: a2 APPEND Sent {20+}\nC: Subject: x\nC: \nC: body\nC: \n";
  play(head + "S: a2 OK [APPENDUID 1700000001 42] done\n", [](imap::client& c, testing::player&) {
    string_source m("Subject: x\r\n\r\nbody\r\n");
    auto r = c.append("Sent", m);
    CHECK(r.uidvalidity == 1700000001u);
    CHECK(r.uid == 42u);
  });
  play(head + "S: a2 OK done\n", [](imap::client& c, testing::player&) {
    string_source m("Subject: x\r\n\r\nbody\r\n");
    auto r = c.append("Sent", m);
    CHECK_FALSE(r.uidvalidity.has_value());
    CHECK_FALSE(r.uid.has_value());
  });
  // Dropped before the tagged OK: not reported appended.
  play(
      head + "S: a2 OK [APPENDUID 17\\\n@eof\n",
      [](imap::client& c, testing::player&) {
        string_source m("Subject: x\r\n\r\nbody\r\n");
        std::error_code ec;
        auto r = c.append("Sent", m, ec);
        CHECK(ec == net::errc::connection_closed);
        CHECK_FALSE(r.uid.has_value());
        CHECK(c.state() == imap::session_state::failed);
      },
      false);
}
