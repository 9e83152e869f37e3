// IMAP against the sandbox's real Dovecot (scripts/sandbox), over STARTTLS and IMAPS.
// Every test cleans up what it creates.
#include <mailproto/imap/client.hpp>

#include <mailproto/net/errc.hpp>

#include <catch2/catch.hpp>

#include <asio/io_context.hpp>

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
