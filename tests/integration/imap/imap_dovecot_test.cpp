// IMAP against the sandbox's real Dovecot (scripts/sandbox), over STARTTLS and IMAPS.
// Every test cleans up what it creates.
#include <mailproto/imap/client.hpp>

#include <mailproto/net/errc.hpp>

#include <catch2/catch.hpp>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "support/sandbox.hpp"

using namespace mailproto;
using namespace mailproto::imap;
using namespace std::chrono_literals;

namespace {

client_options opts(const test_support::sandbox_env& env, bool implicit) {
  client_options o;
  o.net.host = env.host;
  o.net.port = implicit ? env.imaps_port : env.imap_port;
  o.net.tls = implicit ? net::tls_mode::implicit : net::tls_mode::starttls;
  o.net.tls_opts.cafile = env.cafile;
  o.net.tls_opts.server_name = "localhost";
  o.net.io_timeout = 10s;
  o.net.connect_timeout = 10s;
  return o;
}

std::string unique(const std::string& base) {
  return base + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
}

const std::string message =
    "From: Alice <alice@example.test>\r\n"
    "To: Bob <bob@example.test>\r\n"
    "Subject: integration test\r\n"
    "Message-ID: <imap-int@example.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b1\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "hello bob\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream; name=a.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=a.bin\r\n"
    "\r\n"
    "AAECAw==\r\n"
    "--b1--\r\n";

// Delivers `msg` to `rcpt` through the sandbox's port-25-style smtpd (plain SMTP, RFC 5321
// §3: HELO, MAIL, RCPT, DATA, QUIT), with a raw loopback socket: this program does not link
// the SMTP module. Returns false if a reply is not what delivery needs.
bool smtp_deliver(const test_support::sandbox_env& env, const std::string& rcpt,
                  const std::string& msg) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  asio::ip::tcp::resolver res(io);
  asio::connect(sock, res.resolve(env.host, std::to_string(env.smtp_plain_port)));
  asio::streambuf buf;
  auto reply = [&](const char* code) {
    for (;;) {  // multi-line replies: "250-..." lines, then "250 ..."
      asio::read_until(sock, buf, "\r\n");
      std::istream is(&buf);
      std::string line;
      std::getline(is, line);
      if (line.size() < 4 || line.compare(0, 3, code) != 0) return false;
      if (line[3] == ' ') return true;
    }
  };
  auto say = [&](const std::string& s) { asio::write(sock, asio::buffer(s)); };
  if (!reply("220")) return false;
  say("HELO localhost\r\n");
  if (!reply("250")) return false;
  say("MAIL FROM:<" + env.alice.address + ">\r\n");
  if (!reply("250")) return false;
  say("RCPT TO:<" + rcpt + ">\r\n");
  if (!reply("250")) return false;
  say("DATA\r\n");
  if (!reply("354")) return false;
  say(msg + ".\r\n");  // msg ends in CRLF and has no line starting with "."
  if (!reply("250")) return false;
  say("QUIT\r\n");
  return true;
}

}  // namespace

TEST_CASE("imap dovecot: the folder listing over STARTTLS and IMAPS", "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  for (bool implicit : {false, true}) {
    INFO((implicit ? "IMAPS" : "STARTTLS"));
    client c;
    c.connect(opts(env, implicit));
    CHECK(c.tls().active);
    CHECK(c.tls().verified);
    c.login(env.bob.user, env.bob.password);
    auto folders = c.list("", "*");
    std::vector<std::string> names;
    for (auto& f : folders) names.push_back(f.name);
    INFO(Catch::Detail::stringify(names));
    for (const char* want : {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"})
      CHECK(std::count(names.begin(), names.end(), want) == 1);
    for (auto& f : folders)
      if (f.name == "Sent") CHECK(f.has_attribute("\\Sent"));
    c.logout();
  }
}

TEST_CASE("imap dovecot: AUTHENTICATE (SCRAM or PLAIN) and carol's odd password",
          "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  // Dovecot sends the SCRAM server-final as a "+ " continuation; the client verifies it and
  // answers with an empty line before the tagged OK.
  for (const char* mech : {"", "SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"}) {
    INFO(mech);
    auto o = opts(env, true);
    o.sasl_mechanism = mech;
    std::vector<std::string> trace;
    o.net.trace = [&trace](std::string_view l) { trace.emplace_back(l); };
    client c;
    c.connect(o);
    c.authenticate(sasl::credentials::with_password(env.bob.user, env.bob.password));
    CHECK(c.state() == session_state::authenticated);
    c.logout();
    for (auto& l : trace) CHECK(l.find(env.bob.password) == std::string::npos);
    if (std::string(mech) == "SCRAM-SHA-256" || *mech == 0)
      CHECK(std::count(trace.begin(), trace.end(), "C: ") == 1);  // the empty answer
  }
  client c2;
  c2.connect(opts(env, false));
  c2.login(env.carol.user, env.carol.password);  // space, quote, backslash, UTF-8
  c2.logout();
  client c3;
  c3.connect(opts(env, true));
  std::error_code ec;
  c3.login(env.bob.user, "wrong password", ec);
  CHECK(ec == errc::authentication_failed);
  CHECK(!is_fatal(ec));
}

TEST_CASE("imap dovecot: a non-ASCII folder name round trips", "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  client c;
  c.connect(opts(env, true));
  c.login(env.bob.user, env.bob.password);
  const std::string name = unique(
      "Th\xc6\xb0 \xc4\x91\xc3\xa3 g\xe1\xbb\xad"
      "i");
  c.create(name);
  auto l = c.list("", "*");
  bool found = false;
  for (auto& f : l)
    if (f.name == name) {
      found = true;
      CHECK(f.raw_name != name);  // sent in modified UTF-7
    }
  CHECK(found);
  auto st = c.status(name);
  CHECK(st.messages == 0u);
  const std::string renamed = name + " 2";
  c.rename(name, renamed);
  c.delete_mailbox(renamed);
  for (auto& f : c.list("", "*")) CHECK(f.name.find(name) == std::string::npos);
  c.logout();
}

TEST_CASE("imap dovecot: APPEND, SEARCH, FETCH, STORE, MOVE, EXPUNGE", "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  client c;
  c.connect(opts(env, false));
  c.login(env.bob.user, env.bob.password);
  const std::string box = unique("mailproto-test");
  const std::string dest = box + "-dest";
  c.create(box);
  c.create(dest);
  string_source src(message);
  auto ar = c.append(box, src, {"\\Flagged"}, std::string("05-Feb-2026 10:00:00 +0000"));
  CHECK(ar.uid);
  auto m = c.select(box);
  CHECK(m.exists == 1);
  CHECK(m.uidvalidity);

  search_options so;
  so.uid = true;
  auto found = c.search(search_key::subject("integration").and_(search_key::flagged()), so);
  REQUIRE(found.ids.size() == 1);
  CHECK(found.ids[0] == *ar.uid);

  fetch_options fo;
  fo.uid = true;
  auto msgs = c.fetch(
      sequence_set::of(found.ids),
      fetch_items{}.uid().flags().size().internal_date().envelope().body_structure().body_section(),
      fo);
  REQUIRE(msgs.size() == 1);
  const auto& f = msgs[0];
  CHECK(f.uid == ar.uid);
  CHECK(f.size == message.size());
  CHECK(f.envelope->subject == "integration test");
  CHECK(f.envelope->from.at(0).email() == "alice@example.test");
  CHECK(f.envelope->message_id == "<imap-int@example.test>");
  REQUIRE(f.body);
  CHECK(f.body->is_multipart());
  REQUIRE(f.body->parts.size() == 2);
  CHECK(f.body->parts[1].disposition == "attachment");
  CHECK(f.section("BODY[]") == message);
  CHECK(f.internal_date->find("Feb-2026") != std::string::npos);

  // a body streamed to a sink
  std::string sunk;
  string_sink sink(sunk);
  fetch_options so2;
  so2.uid = true;
  so2.body_sink = &sink;
  c.fetch(sequence_set::of(found.ids), fetch_items{}.body_section(), so2);
  CHECK(sunk == message);

  auto st = c.store(sequence_set::single(1), store_mode::add, {"\\Seen", "$Label1"});
  REQUIRE(st.size() == 1);
  CHECK(std::count(st[0].flags->begin(), st[0].flags->end(), "\\Seen") == 1);

  auto mv = c.move(sequence_set::of(found.ids), dest, true);
  CHECK(mv.dest_uids.ranges().size() == 1);
  CHECK(c.selected().exists == 0);

  auto dm = c.select(dest);
  CHECK(dm.exists == 1);
  c.store(sequence_set::single(1), store_mode::add, {"\\Deleted"});
  auto gone = c.expunge();
  CHECK(gone == std::vector<std::uint32_t>{1});
  c.unselect();
  c.delete_mailbox(box);
  c.delete_mailbox(dest);
  c.logout();
}

TEST_CASE("imap dovecot: IDLE sees a message APPENDed by a second connection",
          "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  client c;
  c.connect(opts(env, true));
  c.login(env.bob.user, env.bob.password);
  const std::string box = unique("mailproto-idle");
  c.create(box);
  c.select(box);
  std::atomic<bool> started{false};
  std::thread other([&] {
    while (!started) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(300ms);
    client d;
    d.connect(opts(env, true));
    d.login(env.bob.user, env.bob.password);
    string_source src(message);
    d.append(box, src);
    d.logout();
  });
  std::uint32_t exists = 0;
  idle_options io;
  io.interval = 8s;
  io.on_event = [&](const event& e) {
    if (e.type == event::kind::exists) exists = e.number;
    return e.type != event::kind::exists;
  };
  started = true;
  c.idle(io);
  other.join();
  CHECK(exists == 1);
  CHECK(c.selected().exists == 1);
  // an idle that ends by its interval
  idle_options quiet;
  quiet.interval = 300ms;
  c.idle(quiet);
  c.noop();
  c.close();
  c.delete_mailbox(box);
  c.logout();
}

// stop_idle() from another thread ends a synchronous idle() at once (the sync API waits in
// poll(2), which connection::wake() interrupts), and the session goes on.
TEST_CASE("imap dovecot: stop_idle from another thread ends a sync IDLE promptly",
          "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  client c;
  c.connect(opts(env, true));
  c.login(env.bob.user, env.bob.password);
  c.select("INBOX");
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> started{false};
    std::thread other([&] {
      while (!started) std::this_thread::sleep_for(1ms);
      std::this_thread::sleep_for(200ms);
      c.stop_idle();
    });
    idle_options io;
    io.interval = 60s;
    io.on_event = [](const event&) { return true; };
    started = true;
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    c.idle(io, ec);
    const auto took = std::chrono::steady_clock::now() - t0;
    other.join();
    INFO("round " << round << ": " << ec.message());
    CHECK_FALSE(ec);
    CHECK(took < 5s);
    c.noop();  // DONE was sent and the tagged OK read: the session is in step
  }
  c.logout();
}

TEST_CASE("imap dovecot: certificate verification fails against the wrong CA",
          "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  auto o = opts(env, true);
  o.net.tls_opts.cafile = "/etc/ssl/certs/ca-certificates.crt";
  client c;
  std::error_code ec;
  c.connect(o, ec);
  CHECK(ec == condition::tls_failed);
}

TEST_CASE("imap dovecot: IDLE sees a message delivered over SMTP while idling",
          "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  if (env.smtp_plain_port == 0) {
    WARN("no MAILPROTO_SMTP_PLAIN_PORT: skipped");
    return;
  }
  client c;
  c.connect(opts(env, true));
  c.login(env.bob.user, env.bob.password);
  const auto before = c.select("INBOX").exists;
  const std::string id = "<" + unique("imap-idle-smtp") + "@example.test>";
  const std::string msg = "From: Alice <" + env.alice.address + ">\r\nTo: Bob <" + env.bob.address +
                          ">\r\nSubject: idle over smtp\r\nMessage-ID: " + id +
                          "\r\n\r\nhello while idling\r\n";
  std::atomic<bool> started{false};
  std::atomic<bool> delivered{false};
  std::thread other([&] {
    while (!started) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(300ms);
    delivered = smtp_deliver(env, env.bob.address, msg);
  });
  std::uint32_t exists = 0;
  idle_options io;
  io.interval = 20s;  // Postfix → Dovecot LMTP takes a moment
  io.on_event = [&](const event& e) {
    if (e.type == event::kind::exists) exists = e.number;
    return e.type != event::kind::exists;
  };
  started = true;
  c.idle(io);
  other.join();
  REQUIRE(delivered);
  CHECK(exists == before + 1);
  // clean up: the delivered message, found by its Message-ID
  search_options so;
  so.uid = true;
  auto found = c.search(search_key::header("Message-ID", id), so);
  REQUIRE(found.ids.size() == 1);
  store_options st;
  st.uid = true;
  st.silent = true;
  c.store(sequence_set::of(found.ids), store_mode::add, {"\\Deleted"}, st);
  c.uid_expunge(sequence_set::of(found.ids));
  c.logout();
}

TEST_CASE("imap dovecot: pipelined batch, QRESYNC, fetch_mime, APPEND UTF8",
          "[integration][imap]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  client c;
  client_options o = opts(env, true);
  o.enable = {"QRESYNC", "UTF8=ACCEPT"};
  c.connect(o);
  c.login(env.bob.user, env.bob.password);
  const std::string box = unique("mailproto-pipe");
  c.create(box);
  for (int i = 0; i < 3; ++i) {
    string_source src(message);
    c.append(box, src);  // UTF8 (~{n}) when UTF8=ACCEPT was enabled (RFC 6855 §4)
  }
  auto m = c.select(box);
  REQUIRE(m.exists == 3);
  REQUIRE(m.uidvalidity);
  REQUIRE(m.highestmodseq);
  const std::uint64_t modseq = *m.highestmodseq;

  command_batch b;
  b.fetch(sequence_set::range(1, 3), fetch_items{}.uid().flags().envelope())
      .store(sequence_set::single(2), store_mode::add, {"\\Flagged"})
      .search(search_key::flagged())
      .status("INBOX", status_messages)
      .status(box + "-missing", status_messages);
  auto r = c.pipeline(std::move(b));
  REQUIRE(r.size() == 5);
  CHECK(!r[0].error);
  CHECK(r[0].messages.size() == 3);
  CHECK(r[0].messages[0].envelope->subject == "integration test");
  CHECK(r[1].messages.size() == 1);
  REQUIRE(r[2].search);
  CHECK(r[2].search->ids == std::vector<std::uint32_t>{2});
  REQUIRE(r[3].status);
  CHECK(r[3].status->messages);
  CHECK(r[4].error == errc::no);

  // expunge message 3, then QRESYNC from the old modseq sees it vanish and 2 changed
  auto uids = c.fetch(sequence_set::range(1, 3), fetch_items{}.uid());
  REQUIRE(uids.size() == 3);
  c.store(sequence_set::single(3), store_mode::add, {"\\Deleted"});
  c.expunge();
  c.unselect();
  select_options so;
  so.qresync = select_options::qresync_params{*m.uidvalidity, modseq, {}, {}, {}};
  so.qresync->known_uids = sequence_set::of({*uids[0].uid, *uids[1].uid, *uids[2].uid});
  auto q = c.select(box, so);
  CHECK(q.exists == 2);
  CHECK(q.vanished.contains(*uids[2].uid));
  REQUIRE(!q.changed.empty());
  CHECK(q.changed[0].uid == uids[1].uid);

  // the message parsed locally (BODYSTRUCTURE replacement)
  mime::message mm = c.fetch_mime(*uids[0].uid, true, mime::parser_limits{});
  CHECK(mm.root().is_multipart());
  REQUIRE(mm.root().parts.size() == 2);
  CHECK(mm.root().parts[1].filename == "a.bin");
  CHECK(mm.root().parts[1].body == std::string("\x00\x01\x02\x03", 4));
  c.close();
  c.delete_mailbox(box);
  c.logout();
}
