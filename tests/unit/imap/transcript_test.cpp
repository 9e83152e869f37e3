// Transcript tests: every file in tests/transcripts/imap/ played against the real client,
// with every delivery (whole, byte by byte, split at every position) through the sync API,
// and whole / bytewise / a few splits through the async driver (client on an executor run
// by another thread).
#include <mailproto/imap/client.hpp>

#include <mailproto/net/errc.hpp>
#include <mailproto/sasl/errc.hpp>
#include <mailproto/testing/player.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <catch2/catch.hpp>

#include <thread>

using namespace mailproto;
using namespace mailproto::imap;
using namespace std::chrono_literals;

namespace {

const std::string dir = std::string(MAILPROTO_TESTS_DIR) + "/transcripts/imap/";

std::error_code named_error(const std::string& n) {
  if (n == "net.data_before_tls_handshake") return net::errc::data_before_tls_handshake;
  if (n == "net.starttls_not_offered") return net::errc::starttls_not_offered;
  if (n == "imap.bye") return errc::bye;
  if (n == "imap.unexpected_continuation") return errc::unexpected_continuation;
  if (n == "imap.literal_too_large") return errc::literal_too_large;
  if (n == "imap.nesting_too_deep") return errc::nesting_too_deep;
  FAIL("unknown @error name " << n);
  return {};
}

client_options options_for(testing::player& peer, client_options o) {
  o.net.host = "mail.example.test";
  if (o.net.port == 0) o.net.port = 993;
  o.net.transport = peer.transport();
  o.net.io_timeout = 2s;
  o.net.connect_timeout = 2s;
  return o;
}

// Runs `body(client&, const client_options&)` for each delivery and both drivers.
template <class Body>
void play(const std::string& file, Body body, client_options base = {},
          std::size_t async_splits = 3) {
  const auto t = testing::transcript::load(dir + file);
  const auto deliveries = testing::all_deliveries(t);
  for (int mode = 0; mode < 2; ++mode) {
    std::size_t n = 0;
    for (const auto& d : deliveries) {
      if (mode == 1 && n++ >= 2 + async_splits) break;
      testing::player peer(t, d);
      const client_options o = options_for(peer, base);
      INFO(file << " — " << d.describe() << (mode ? " (async driver)" : " (sync)"));
      if (mode == 0) {
        client c;
        body(c, o);
      } else {
        asio::io_context io;
        auto work = asio::make_work_guard(io);
        std::thread th([&io] { io.run(); });
        {
          client c(io.get_executor());
          body(c, o);
        }
        work.reset();
        th.join();
      }
      INFO(peer.report());
      REQUIRE(peer.finished());
    }
  }
}

// Plays an error transcript: `steps` runs commands until one fails; the failure must be the
// transcript's @error, fatal, and every later operation must end at once.
void expect_error_transcript(const std::string& file, client_options base,
                             std::function<void(client&, std::error_code&)> steps,
                             bool whole_only = false) {
  const auto t = testing::transcript::load(dir + file);
  const auto want = named_error(t.expected_error());
  auto body = [&](client& c, const client_options& o) {
    std::error_code ec;
    c.connect(o, ec);
    if (!ec) steps(c, ec);
    CHECK(ec == want);
    CHECK(is_fatal(ec));
    std::error_code again;
    c.noop(again);
    CHECK(again);
  };
  if (!whole_only) return play(file, body, base);
  testing::player peer(t);
  client c;
  body(c, options_for(peer, base));
  INFO(peer.report());
  CHECK(peer.finished());
}

void noop_step(client& c, std::error_code& ec) {
  c.noop(ec);
}

}  // namespace

TEST_CASE("imap transcript: STARTTLS, LOGIN, folder listing, LOGOUT", "[imap][transcript]") {
  client_options base;
  base.net.port = 143;
  base.net.tls = net::tls_mode::starttls;
  play(
      "connect-starttls-login.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        CHECK(c.caps().has("AUTH=PLAIN"));
        CHECK(!c.caps().has("LOGINDISABLED"));
        c.login("bob", "hunter2");
        CHECK(c.state() == session_state::authenticated);
        CHECK(c.caps().has("MOVE"));  // from the OK's CAPABILITY code
        auto folders = c.list("", "*");
        std::vector<std::string> names;
        for (auto& f : folders) names.push_back(f.name);
        CHECK(names ==
              std::vector<std::string>{"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"});
        CHECK(folders[2].has_attribute("\\Sent"));
        CHECK(folders[2].delimiter == "/");
        c.logout();
        CHECK(c.state() == session_state::logged_out);
      },
      base, 20);
}

TEST_CASE("imap transcript: the LOGIN password is redacted and pinned", "[imap][transcript]") {
  testing::player peer(testing::transcript::load(dir + "connect-starttls-login.txt"));
  peer.expect_secret("hunter2");
  client_options o = options_for(peer, {});
  o.net.tls = net::tls_mode::starttls;
  std::vector<std::string> trace;
  o.net.trace = [&trace](std::string_view l) { trace.emplace_back(l); };
  client c;
  c.connect(o);
  c.login("bob", "hunter2");
  c.list("", "*");
  c.logout();
  INFO(peer.report());
  REQUIRE(peer.finished());
  bool saw = false;
  for (auto& l : trace) {
    CHECK(l.find("hunter2") == std::string::npos);
    if (l == "C: a4 LOGIN bob <redacted>") saw = true;
  }
  CHECK(saw);
}

TEST_CASE("imap transcript: LIST with literal, escaped and UTF-7 names", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "list-odd-names.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        auto l = c.list("", "%");
        REQUIRE(l.size() == 4);
        CHECK(l[0].name == "Drafts 01");
        CHECK(l[1].name == "Say \"hi\" \\ there");
        CHECK(l[2].name ==
              "Th\xc6\xb0 \xc4\x91\xc3\xa3 g\xe1\xbb\xad"
              "i");
        CHECK(l[2].raw_name == "Th&AbA- &AREA4w- g&Hu0-i");
        CHECK(l[3].delimiter.empty());
        CHECK(l[3].has_attribute("\\noselect"));
      },
      base, 50);
}

TEST_CASE("imap transcript: SELECT and FETCH", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "select-fetch.txt",
      [](client& c, const client_options& o) {
        std::vector<event> events;
        c.set_event_handler([&events](const event& e) { events.push_back(e); });
        c.connect(o);
        c.login("bob", "pw");
        auto m = c.select("INBOX");
        CHECK(m.exists == 2);
        CHECK(m.uidvalidity == 1700000000u);
        CHECK(m.uidnext == 5u);
        CHECK(m.unseen == 2u);
        CHECK(m.highestmodseq == 77u);
        CHECK(!m.read_only);
        CHECK(m.flags.size() == 5);
        CHECK(m.permanent_flags.back() == "\\*");
        CHECK(events.empty());  // SELECT's own data raises no events
        std::vector<fetch_message> got;
        fetch_options fo;
        fo.on_message = [&got](fetch_message& fm) { got.push_back(std::move(fm)); };
        auto rest = c.fetch(
            sequence_set::range(1, 2),
            fetch_items{}.uid().flags().size().envelope().body_structure().body_section(), fo);
        CHECK(rest.empty());
        REQUIRE(got.size() == 2);
        CHECK(got[0].uid == 3u);
        CHECK(got[0].envelope->subject == "Hello");
        CHECK(got[0].envelope->from[0].email() == "alice@example.org");
        CHECK(got[0].section("BODY[]") == "Subject: Hello\r\n\r\nhi");
        CHECK(got[0].body->lines == 1u);
        const auto& b = *got[1].body;
        CHECK(b.is_multipart());
        REQUIRE(b.parts.size() == 2);
        CHECK(b.parts[1].envelope->subject == "inner");
        REQUIRE(b.parts[1].parts.size() == 1);
        CHECK(b.parts[1].parts[0].subtype == "RELATED");
        CHECK(b.parts[1].parts[0].parts[1].params[0].second == "a.png");
        CHECK(!got[1].envelope->subject);
        CHECK(got[1].sections.count("BODY[]") == 1);
        CHECK(!got[1].sections.at("BODY[]"));
        // the EXISTS that came in the middle is an event and updates the mailbox
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == event::kind::exists);
        CHECK(events[0].number == 3);
        CHECK(c.selected().exists == 3);
      },
      base, 5);
}

TEST_CASE("imap transcript: FETCH bodies stream to a sink", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "select-fetch.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        c.select("INBOX");
        std::string sunk;
        string_sink sink(sunk);
        std::vector<std::string> starts;
        fetch_options fo;
        fo.body_sink = &sink;
        fo.on_body = [&starts](std::uint32_t seq, std::string_view item, std::uint64_t size) {
          starts.push_back(std::to_string(seq) + " " + std::string(item) + " " +
                           std::to_string(size));
        };
        auto msgs = c.fetch(
            sequence_set::range(1, 2),
            fetch_items{}.uid().flags().size().envelope().body_structure().body_section(), fo);
        REQUIRE(msgs.size() == 2);
        // the body literal went to the sink; ENVELOPE's literal subject stayed in the result
        CHECK(sunk == "Subject: Hello\r\n\r\nhi");
        CHECK(starts == std::vector<std::string>{"1 BODY[] 20"});
        CHECK(msgs[0].envelope->subject == "Hello");
        CHECK(msgs[0].streamed == std::vector<std::string>{"BODY[]"});
      },
      base, 0);
}

TEST_CASE("imap transcript: ESEARCH, STORE, events, NO with a code", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "search-store.txt",
      [](client& c, const client_options& o) {
        std::vector<event> events;
        c.set_event_handler([&events](const event& e) { events.push_back(e); });
        c.connect(o);
        c.login("bob", "pw");
        auto m = c.examine("Archive");
        CHECK(m.read_only);
        CHECK(m.exists == 4);
        search_options so;
        so.uid = true;
        auto r = c.search(search_key::from("alice").and_(search_key::unseen()), so);
        CHECK(r.uid);
        CHECK(r.ids == std::vector<std::uint32_t>{7, 10, 11});
        CHECK(r.count == 3u);
        auto f = c.store(sequence_set::range(1, 2), store_mode::add, {"\\Seen"});
        REQUIRE(f.size() == 2);
        CHECK(*f[1].flags == std::vector<std::string>{"\\Seen", "\\Flagged"});
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == event::kind::expunge);
        CHECK(events[0].number == 4);
        CHECK(c.selected().exists == 3);
        std::error_code ec;
        c.select("Missing", ec);
        CHECK(ec == errc::no);
        CHECK(ec == condition::permanent);
        CHECK(!is_fatal(ec));
        CHECK(c.last_reply().status == "NO");
        CHECK(c.last_reply().enhanced == "NONEXISTENT");
        CHECK(c.last_reply().text() == "Mailbox doesn't exist: Missing");
        CHECK(c.state() == session_state::authenticated);  // a failed SELECT deselects
        // the throwing overload carries the reply
        try {
          c.fetch(sequence_set::single(1), fetch_items{}.uid());
          FAIL("no exception");
        } catch (const mailproto::error& e) {
          CHECK(e.code() == errc::wrong_state);
        }
      },
      base);
}

TEST_CASE("imap transcript: AUTHENTICATE PLAIN with SASL-IR, ENABLE, UTF-8 names",
          "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  base.enable = {"UTF8=ACCEPT", "CONDSTORE", "QRESYNC"};
  play(
      "authenticate-plain.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.authenticate(sasl::credentials::with_password("bob", "pw"));
        CHECK(c.session().is_enabled("UTF8=ACCEPT"));
        CHECK(c.session().is_enabled("CONDSTORE"));
        CHECK(c.session().utf8());
        c.create("Th\xc6\xb0");
      },
      base);
  // the initial response is the RFC 4616 message, base64
  testing::player peer(testing::transcript::load(dir + "authenticate-plain.txt"));
  peer.expect_secret(sasl::base64_encode(sasl::plain_response("", "bob", "pw")));
  client c;
  c.connect(options_for(peer, base));
  c.authenticate(sasl::credentials::with_password("bob", "pw"));
  c.create("Th\xc6\xb0");
  INFO(peer.report());
  CHECK(peer.finished());
}

TEST_CASE("imap transcript: AUTHENTICATE after an empty challenge, refused", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "authenticate-continuation.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        std::error_code ec;
        c.authenticate(sasl::credentials::with_password("bob", "wrong"), ec);
        CHECK(ec == errc::authentication_failed);
        CHECK(ec == condition::auth_failed);
        CHECK(c.last_reply().enhanced == "AUTHENTICATIONFAILED");
        CHECK(c.state() == session_state::not_authenticated);
      },
      base);
}

TEST_CASE("imap transcript: credentials never go over plaintext", "[imap][transcript]") {
  testing::player peer(
      testing::transcript::parse("S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\n", "plaintext"));
  client_options o = options_for(peer, {});
  o.net.tls = net::tls_mode::none;
  client c;
  c.connect(o);
  std::error_code ec;
  c.login("bob", "pw", ec);
  CHECK(ec == net::errc::plaintext_auth_refused);
  c.authenticate(sasl::credentials::with_password("bob", "pw"), ec);
  CHECK(ec == sasl::errc::plaintext_refused);
  CHECK(peer.finished());
  CHECK(peer.sent().empty());
}

TEST_CASE("imap transcript: STARTTLS response injection", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::starttls;
  // Only a burst that holds the OK and the injected bytes together can be detected: when
  // the injection arrives in a later read the client has already started TLS (and the
  // bytes then fail the TLS record layer instead).
  expect_error_transcript("starttls-injection.txt", base, noop_step, true);
}

TEST_CASE("imap transcript: STARTTLS required but not offered", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::starttls;
  expect_error_transcript("starttls-not-offered.txt", base, noop_step);
}

TEST_CASE("imap transcript: hostile or odd input is fatal", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  for (const char* f : {"unexpected-continuation.txt", "literal-too-large.txt",
                        "nesting-too-deep.txt", "greeting-bye.txt"}) {
    SECTION(f) {
      expect_error_transcript(f, base, noop_step);
    }
  }
  SECTION("bye-mid-command.txt") {
    expect_error_transcript("bye-mid-command.txt", base, [](client& c, std::error_code& ec) {
      c.login("bob", "pw", ec);  // LOGIN, then CAPABILITY (the OK had no code)
      REQUIRE(!ec);
      c.status("INBOX", ec);
      CHECK(c.last_reply().status == "BYE");
      CHECK(c.last_reply().text() == "Server shutting down");
    });
  }
}

TEST_CASE("imap transcript: APPEND with a synchronising literal", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "append-sync.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        string_source msg("Subject: x\r\n\r\nbody\r\n");
        auto r = c.append("Drafts", msg, {"\\Seen", "\\Draft"},
                          std::string("05-Feb-2026 10:00:00 +0000"));
        CHECK(r.uidvalidity == 1700000001u);
        CHECK(r.uid == 9u);
        string_source msg2("Subject: x\r\n\r\nbody\r\n");
        std::error_code ec;
        c.append("Drafts", msg2, ec);
        CHECK(ec == errc::no);
        CHECK(c.last_reply().enhanced == "TRYCREATE");
        // unsafe values: refused before anything is sent
        string_source msg3("x");
        c.append("Bad\r\nName", msg3, ec);
        CHECK(ec == net::errc::unsafe_argument);
        c.append("Drafts", msg3, {"bad flag"}, std::nullopt, ec);
        CHECK(ec == errc::invalid_argument);
      },
      base);
}

TEST_CASE("imap transcript: APPEND with LITERAL+ from a file", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  const std::string path = std::string(MAILPROTO_BINARY_DIR) + "/imap-append-test.eml";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("Subject: x\r\n\r\nbody\r\n", f);
    std::fclose(f);
  }
  play(
      "append-literal-plus.txt",
      [&path](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        file_source msg(path);
        c.append("INBOX", msg);
      },
      base);
  std::remove(path.c_str());
}

TEST_CASE("imap transcript: MOVE falls back to COPY + STORE + UID EXPUNGE", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "move-fallback.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        c.select("INBOX");
        auto r = c.move(sequence_set::range(2, 3), "Archive", false);
        CHECK(r.source_uids.to_string() == "7:8");
        CHECK(r.dest_uids.to_string() == "100:101");
        CHECK(c.selected().exists == 1);
        // a COPY that fails stops the move: nothing is flagged or expunged
        std::error_code ec;
        c.move(sequence_set::single(1), "Nowhere", false, ec);
        CHECK(ec == errc::no);
        CHECK(c.last_reply().enhanced == "TRYCREATE");
      },
      base);
}

TEST_CASE("imap transcript: UID MOVE, UID EXPUNGE, EXPUNGE, CLOSE", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "move-native.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        c.select("INBOX");
        auto r = c.move(sequence_set::single(42), "Trash", true);
        CHECK(r.uidvalidity == 432432u);
        CHECK(r.dest_uids.to_string() == "2");
        CHECK(c.selected().exists == 2);
        auto gone = c.uid_expunge(sequence_set::range(1, 5));
        CHECK(gone == std::vector<std::uint32_t>{1, 2, 3});
        auto e = c.expunge();
        CHECK(e == std::vector<std::uint32_t>{1});
        c.close();
        CHECK(c.state() == session_state::authenticated);
      },
      base);
}

TEST_CASE("imap transcript: IDLE until the caller has seen enough", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "idle.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        c.select("INBOX");
        std::vector<event::kind> seen;
        idle_options io;
        io.interval = std::chrono::hours(1);  // clamped below 29 minutes
        io.on_event = [&seen](const event& e) {
          seen.push_back(e.type);
          return e.type != event::kind::exists;
        };
        c.idle(io);
        CHECK(seen == std::vector<event::kind>{event::kind::fetch, event::kind::exists});
        CHECK(c.selected().exists == 2);
      },
      base);
}

TEST_CASE("imap transcript: an event before \"+ idling\" still ends the IDLE",
          "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "idle-event-before-continuation.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        c.login("bob", "pw");
        c.select("INBOX");
        std::vector<event::kind> seen;
        idle_options io;
        io.interval = std::chrono::hours(1);
        io.on_event = [&seen](const event& e) {
          seen.push_back(e.type);
          return e.type != event::kind::exists;
        };
        c.idle(io);
        CHECK(seen == std::vector<event::kind>{event::kind::exists});
        CHECK(c.selected().exists == 2);
      },
      base);
}

TEST_CASE("imap transcript: PREAUTH, ID, NAMESPACE, mailbox commands, events",
          "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "preauth-misc.txt",
      [](client& c, const client_options& o) {
        std::vector<event> events;
        c.set_event_handler([&events](const event& e) { events.push_back(e); });
        c.connect(o);
        CHECK(c.state() == session_state::authenticated);
        auto id = c.id({{"name", std::string("mailproto")}});
        REQUIRE(id.size() == 2);
        CHECK(c.session().quirks().sasl_final_as_continuation);  // named from ID
        auto ns = c.get_namespace();
        CHECK(ns.shared.at(0).prefix == "Shared/");
        auto st = c.status("Sent");
        CHECK(st.messages == 3u);
        CHECK(st.unseen == 1u);
        c.create("Projects/2026");
        c.rename("Projects/2026", "Projects/Old");
        c.subscribe("Projects/Old");
        c.delete_mailbox("Projects/Old");
        c.select("INBOX");
        c.noop();
        REQUIRE(events.size() == 3);
        CHECK(events[0].type == event::kind::exists);
        CHECK(events[1].type == event::kind::alert);
        CHECK(events[1].text == "Mailbox almost full");
        CHECK(events[2].type == event::kind::expunge);
        CHECK(c.selected().exists == 5);
        c.unselect();
        c.logout();
      },
      base);
}

TEST_CASE("imap async: callback, use_future and use_awaitable", "[imap][async]") {
  const auto t = testing::transcript::load(dir + "connect-starttls-login.txt");
  client_options base;
  base.net.tls = net::tls_mode::starttls;

  SECTION("callbacks") {
    testing::player peer(t);
    asio::io_context io;
    client c(io.get_executor());
    std::vector<std::string> names;
    std::error_code last;
    c.async_connect(options_for(peer, base), [&](std::error_code ec) {
      REQUIRE(!ec);
      c.async_login("bob", "pw", [&](std::error_code ec2) {
        REQUIRE(!ec2);
        c.async_list("", "*", list_options{}, [&](std::error_code ec3, std::vector<list_entry> l) {
          REQUIRE(!ec3);
          for (auto& e : l) names.push_back(e.name);
          c.async_logout([&](std::error_code ec4) { last = ec4; });
        });
      });
    });
    io.run();
    CHECK(!last);
    CHECK(names.size() == 6);
    INFO(peer.report());
    CHECK(peer.finished());
  }
  SECTION("use_future") {
    testing::player peer(t);
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread th([&io] { io.run(); });
    {
      client c(io.get_executor());
      c.async_connect(options_for(peer, base), asio::use_future).get();
      c.async_login("bob", "pw", asio::use_future).get();
      auto l = c.async_list("", "*", list_options{}, asio::use_future).get();
      CHECK(l.size() == 6);
      c.async_logout(asio::use_future).get();
    }
    work.reset();
    th.join();
    INFO(peer.report());
    CHECK(peer.finished());
  }
#if defined(ASIO_HAS_CO_AWAIT)  // Asio 1.22 sees no coroutines with clang + libstdc++
  SECTION("use_awaitable") {
    testing::player peer(t);
    asio::io_context io;
    client c(io.get_executor());
    std::size_t count = 0;
    const auto o = options_for(peer, base);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await c.async_connect(o, asio::use_awaitable);
          co_await c.async_login("bob", "pw", asio::use_awaitable);
          auto l = co_await c.async_list("", "*", list_options{}, asio::use_awaitable);
          count = l.size();
          co_await c.async_logout(asio::use_awaitable);
        },
        asio::detached);
    io.run();
    CHECK(count == 6);
    INFO(peer.report());
    CHECK(peer.finished());
  }
#endif
}

TEST_CASE("imap: operations need the right state", "[imap][transcript]") {
  client c;
  std::error_code ec;
  c.noop(ec);
  CHECK(ec == net::errc::not_connected);
  c.login("a", "b", ec);
  CHECK(ec == net::errc::not_connected);
  c.select("INBOX", ec);
  CHECK(ec == errc::wrong_state);
}

TEST_CASE("imap transcript: pipelined STATUS", "[imap][transcript]") {
  client_options base;
  base.net.tls = net::tls_mode::implicit;
  play(
      "status-pipelined.txt",
      [](client& c, const client_options& o) {
        c.connect(o);
        auto r = c.status_many({"INBOX", "Missing", "Sent Items"}, status_messages | status_unseen);
        REQUIRE(r.size() == 3);
        CHECK(!r[0].error);
        CHECK(r[0].status.messages == 12u);
        CHECK(r[1].error == errc::no);
        CHECK(r[1].reply.enhanced == "NONEXISTENT");
        CHECK(!r[2].error);
        CHECK(r[2].status.mailbox == "Sent Items");
        CHECK(r[2].status.messages == 40u);
        c.noop();
      },
      base);
}
