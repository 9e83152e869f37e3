// Transcript tests of the POP3 client (tests/transcripts/pop3/*.txt): every transcript runs
// with every delivery of the server's bytes (whole, byte by byte, split at each position),
// through the synchronous API and the asynchronous API (asio::use_future).
#include <mailproto/net/errc.hpp>
#include <mailproto/pop3/client.hpp>
#include <mailproto/testing/player.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>
#include <thread>

using namespace mailproto;
using namespace std::chrono_literals;

namespace {

std::string transcript_path(const std::string& name) {
  return std::string(MAILPROTO_TESTS_DIR) + "/transcripts/pop3/" + name;
}

std::error_code named_error(const std::string& name) {
  static const std::map<std::string, std::error_code> m = {
      {"starttls_not_offered", net::errc::starttls_not_offered},
      {"data_before_tls_handshake", net::errc::data_before_tls_handshake},
      {"connection_closed", net::errc::connection_closed},
      {"temporarily_rejected", pop3::errc::temporarily_rejected},
      {"authentication_failed", pop3::errc::authentication_failed},
  };
  auto it = m.find(name);
  return it == m.end() ? std::error_code(999, std::generic_category()) : it->second;
}

// The client under test, driven either synchronously or through the async API with
// use_future (an io_context run by a second thread).
class session {
 public:
  session(testing::player& peer, bool async) : peer_(peer), async_(async) {
    if (async_) {
      c_ = std::make_unique<pop3::client>(ioc_.get_executor());
      thread_ = std::thread([this] { ioc_.run(); });
    } else {
      c_ = std::make_unique<pop3::client>();
    }
  }
  ~session() {
    c_.reset();
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

  pop3::client& client() { return *c_; }
  std::vector<std::string> trace;

  void connect(pop3::client_options o, std::error_code& ec) {
    o.net.host = "mail.example.test";
    o.net.port = o.net.tls == net::tls_mode::implicit ? 995 : 110;
    o.net.transport = peer_.transport();
    o.net.io_timeout = 2s;
    o.net.trace = [this](std::string_view l) { trace.emplace_back(l); };
    call(
        ec, [&](std::error_code& e) { c_->connect(o, e); },
        [&](auto t) { return c_->async_connect(o, t); });
  }
  pop3::capabilities capa(std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->capa(e); },
        [&](auto t) { return c_->async_capa(t); });
  }
  void login(const std::string& u, const std::string& p, std::error_code& ec) {
    call(
        ec, [&](std::error_code& e) { c_->login(u, p, e); },
        [&](auto t) { return c_->async_login(u, p, t); });
  }
  void apop(const std::string& u, const std::string& p, std::error_code& ec) {
    call(
        ec, [&](std::error_code& e) { c_->apop(u, p, e); },
        [&](auto t) { return c_->async_apop(u, p, t); });
  }
  void authenticate(const sasl::credentials& cr, const std::string& m, std::error_code& ec) {
    call(
        ec, [&](std::error_code& e) { c_->authenticate(cr, m, e); },
        [&](auto t) { return c_->async_authenticate(cr, m, t); });
  }
  pop3::mailbox_stat stat(std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->stat(e); },
        [&](auto t) { return c_->async_stat(t); });
  }
  std::vector<pop3::message_info> list(std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->list(e); },
        [&](auto t) { return c_->async_list(t); });
  }
  pop3::message_info list(std::uint32_t n, std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->list(n, e); },
        [&](auto t) { return c_->async_list(n, t); });
  }
  std::vector<pop3::message_uid> uidl(std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->uidl(e); },
        [&](auto t) { return c_->async_uidl(t); });
  }
  pop3::message_uid uidl(std::uint32_t n, std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->uidl(n, e); },
        [&](auto t) { return c_->async_uidl(n, t); });
  }
  std::uint64_t retr(std::uint32_t n, byte_sink& s, std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->retr(n, s, e); },
        [&](auto t) { return c_->async_retr(n, s, t); });
  }
  std::uint64_t top(std::uint32_t n, std::uint32_t l, byte_sink& s, std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->top(n, l, s, e); },
        [&](auto t) { return c_->async_top(n, l, s, t); });
  }
  void dele(std::uint32_t n, std::error_code& ec) {
    call(
        ec, [&](std::error_code& e) { c_->dele(n, e); },
        [&](auto t) { return c_->async_dele(n, t); });
  }
  void rset(std::error_code& ec) {
    call(
        ec, [&](std::error_code& e) { c_->rset(e); }, [&](auto t) { return c_->async_rset(t); });
  }
  void noop(std::error_code& ec) {
    call(
        ec, [&](std::error_code& e) { c_->noop(e); }, [&](auto t) { return c_->async_noop(t); });
  }
  pop3::quit_result quit(std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->quit(e); },
        [&](auto t) { return c_->async_quit(t); });
  }
  pop3::fetch_result fetch(pop3::fetch_options o, std::error_code& ec) {
    return call(
        ec, [&](std::error_code& e) { return c_->fetch(o, e); },
        [&](auto t) { return c_->async_fetch(o, t); });
  }

 private:
  template <class Sync, class Async>
  auto call(std::error_code& ec, Sync sync, Async async) -> decltype(sync(ec)) {
    using R = decltype(sync(ec));
    ec.clear();
    if (!async_) return sync(ec);
    auto fut = async(asio::use_future);
    try {
      if constexpr (std::is_void_v<R>)
        fut.get();
      else
        return fut.get();
    } catch (const std::system_error& e) {
      ec = e.code();
    }
    if constexpr (!std::is_void_v<R>) return R{};
  }

  testing::player& peer_;
  bool async_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      ioc_.get_executor()};
  std::thread thread_;
  std::unique_ptr<pop3::client> c_;
};

using scenario = std::function<std::error_code(session&)>;

pop3::client_options plain() {
  pop3::client_options o;
  o.net.tls = net::tls_mode::none;
  o.allow_plaintext_auth = true;
  return o;
}

#define STEP(expr) \
  expr;            \
  if (ec) return ec

// Runs `name` with each delivery through both APIs; `deliveries` empty = all_deliveries().
void run_transcript(const std::string& name, const scenario& sc,
                    std::vector<testing::delivery> deliveries = {}) {
  const auto script = testing::transcript::load(transcript_path(name));
  if (deliveries.empty()) deliveries = testing::all_deliveries(script);
  const std::error_code expected =
      script.expected_error().empty() ? std::error_code{} : named_error(script.expected_error());
  for (bool async : {false, true}) {
    for (const auto& d : deliveries) {
      testing::player peer(script, d);
      std::error_code ec;
      {
        session s(peer, async);
        ec = sc(s);
      }
      INFO(name << ", " << d.describe() << (async ? ", async" : ", sync"));
      INFO(peer.report());
      REQUIRE(ec == expected);
      REQUIRE(peer.finished());
    }
  }
}

const std::string k_msg1 =
    "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: first\r\n\r\n"
    "Hello Bob.\r\nSee you at the lecture.\r\n";
const std::string k_msg2 =
    "From: carol@example.test\r\nTo: bob@example.test\r\nSubject: second\r\n\r\n"
    "Line one.\r\n\r\nBye.\r\n";

// A sink that records whether finish() was called, and can be told to fail.
class probe_sink final : public byte_sink {
 public:
  std::string data;
  bool finished = false;
  bool fail_finish = false;
  void write(std::string_view b, std::error_code&) override { data.append(b); }
  void finish(std::error_code& ec) override {
    if (fail_finish) {
      ec = std::make_error_code(std::errc::no_space_on_device);
      return;
    }
    finished = true;
  }
};

}  // namespace

TEST_CASE("pop3 transcript: the lecture's session", "[pop3][transcript]") {
  run_transcript("lecture.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.login("bob", "lecture-password", ec));
    STEP(auto l = s.list(ec));
    REQUIRE(l.size() == 2);
    CHECK((l[0].number == 1 && l[0].size == k_msg1.size()));
    CHECK((l[1].number == 2 && l[1].size == k_msg2.size()));
    std::string m1, m2;
    string_sink s1(m1), s2(m2);
    STEP(auto n1 = s.retr(1, s1, ec));
    CHECK(m1 == k_msg1);
    CHECK(n1 == k_msg1.size());
    STEP(s.dele(1, ec));
    STEP(s.retr(2, s2, ec));
    CHECK(m2 == k_msg2);
    STEP(s.dele(2, ec));
    STEP(auto q = s.quit(ec));
    CHECK(q.deleted == std::vector<std::uint32_t>{1, 2});
    CHECK(s.client().state() == pop3::state::disconnected);
    // The PASS argument never shows in the trace.
    bool redacted = false;
    for (const auto& line : s.trace) {
      CHECK(line.find("lecture-password") == std::string::npos);
      if (line == "C: PASS <redacted>") redacted = true;
    }
    CHECK(redacted);
    return ec;
  });
}

TEST_CASE("pop3 transcript: APOP (RFC 1939 §7 example)", "[pop3][transcript]") {
  run_transcript("apop.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    CHECK(s.client().greeting() == "POP3 server ready <1896.697170952@dbc.mtview.ca.us>");
    STEP(s.apop("mrose", "tanstaaf", ec));
    CHECK(s.client().state() == pop3::state::transaction);
    STEP(auto st = s.stat(ec));
    CHECK((st.count == 1 && st.size == 369));
    STEP(s.quit(ec));
    // The digest is not a secret: it is shown in the trace.
    bool shown = false;
    for (const auto& line : s.trace)
      if (line == "C: APOP mrose c4c9334bac560ecc979e58001b3e22fb") shown = true;
    CHECK(shown);
    return ec;
  });
}

TEST_CASE("pop3: APOP is refused when the greeting has no timestamp", "[pop3][transcript]") {
  // Only the greeting and QUIT: nothing else may be sent.
  const auto script =
      testing::transcript::parse("S: +OK POP3 server ready\nC: QUIT\nS: +OK bye\n", "apop-none");
  testing::player peer(script);
  session s(peer, false);
  std::error_code ec;
  s.connect(plain(), ec);
  REQUIRE_FALSE(ec);
  s.apop("mrose", "tanstaaf", ec);
  CHECK(ec == pop3::errc::apop_not_offered);
  CHECK(s.client().state() == pop3::state::authorization);
  s.quit(ec);
  CHECK_FALSE(ec);
  INFO(peer.report());
  CHECK(peer.finished());
}

TEST_CASE("pop3 transcript: old server without CAPA and STLS", "[pop3][transcript]") {
  run_transcript("capa_absent.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    auto o = plain();
    o.net.tls = net::tls_mode::starttls_if_available;
    STEP(s.connect(o, ec));
    CHECK_FALSE(s.client().caps().known);
    CHECK_FALSE(s.client().tls_active());
    STEP(s.login("bob", "pw", ec));
    STEP(auto st = s.stat(ec));
    CHECK(st.count == 2);
    STEP(s.quit(ec));
    return ec;
  });
}

TEST_CASE("pop3 transcript: STLS required but not offered", "[pop3][transcript]") {
  run_transcript("stls_missing.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    pop3::client_options o;  // default: tls_mode::starttls
    STEP(s.connect(o, ec));
    return ec;
  });
}

TEST_CASE("pop3 transcript: STLS then USER/PASS", "[pop3][transcript]") {
  run_transcript("stls.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    pop3::client_options o;  // starttls, no plaintext auth
    STEP(s.connect(o, ec));
    CHECK(s.client().tls_active());
    CHECK(s.client().caps().user);  // the capabilities asked again over TLS
    CHECK(s.client().caps().pipelining);
    STEP(s.login("bob", "pw", ec));
    STEP(s.stat(ec));
    STEP(s.quit(ec));
    return ec;
  });
}

TEST_CASE("pop3 transcript: response injection after STLS +OK", "[pop3][transcript]") {
  // The injected line must arrive with the go-ahead (same read) to be detectable; the
  // splits inside the "+OK Begin TLS" line all deliver it so.
  std::vector<testing::delivery> ds{testing::delivery::whole_bursts()};
  for (std::size_t k = 1; k < 31; ++k) ds.push_back(testing::delivery::split_at(k));
  run_transcript(
      "stls_injection.txt",
      [](session& s) -> std::error_code {
        std::error_code ec;
        STEP(s.connect(pop3::client_options{}, ec));
        return ec;
      },
      ds);
}

TEST_CASE("pop3 transcript: -ERR [IN-USE] is transient", "[pop3][transcript]") {
  run_transcript("in_use.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    s.login("bob", "pw", ec);
    CHECK(ec == condition::transient);
    CHECK(s.client().last_reply().status == "-ERR");
    CHECK(s.client().last_reply().enhanced == "IN-USE");
    CHECK(s.client().last_reply().lines.at(0) == "Do you have another POP session running?");
    CHECK_FALSE(is_fatal(ec));
    return ec;
  });
}

TEST_CASE("pop3 transcript: -ERR [AUTH] is an authentication failure", "[pop3][transcript]") {
  run_transcript("auth_rejected.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    s.login("bob", "wrong", ec);
    CHECK(ec == condition::auth_failed);
    CHECK(s.client().state() == pop3::state::authorization);
    return ec;
  });
}

TEST_CASE("pop3 transcript: dot-unstuffing in RETR", "[pop3][transcript]") {
  run_transcript("dot_stuffing.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.login("bob", "pw", ec));
    probe_sink sink;
    STEP(s.retr(1, sink, ec));
    CHECK(sink.data == "Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nlast line\r\n");
    CHECK(sink.finished);
    STEP(s.quit(ec));
    return ec;
  });
}

TEST_CASE("pop3 transcript: connection dropped mid-RETR", "[pop3][transcript]") {
  run_transcript("drop_mid_retr.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.login("bob", "pw", ec));
    probe_sink sink;
    s.retr(1, sink, ec);
    CHECK(ec == net::errc::connection_closed);
    CHECK_FALSE(sink.finished);  // no partial message reported as whole
    CHECK(s.client().state() == pop3::state::failed);
    // Every later operation ends at once.
    std::error_code ec2;
    s.noop(ec2);
    CHECK(ec2 == net::errc::connection_unusable);
    return ec;
  });
}

TEST_CASE("pop3 transcript: transaction commands", "[pop3][transcript]") {
  run_transcript("commands.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.login("bob", "pw", ec));
    STEP(auto st = s.stat(ec));
    CHECK((st.count == 2 && st.size == 320));
    STEP(auto one = s.list(2, ec));
    CHECK((one.number == 2 && one.size == 200));
    STEP(auto uids = s.uidl(ec));
    REQUIRE(uids.size() == 2);
    CHECK(uids[1].uid == "QhdPYR:00WBw1Ph7x7");
    STEP(auto u1 = s.uidl(1, ec));
    CHECK(u1.uid == "whqtswO00WBw418f9t5JxYwZ");
    std::string head;
    string_sink hs(head);
    STEP(s.top(1, 0, hs, ec));
    CHECK(head == "Subject: hello\r\nFrom: alice@example.test\r\n\r\n");
    STEP(s.noop(ec));
    STEP(s.dele(1, ec));
    STEP(s.rset(ec));
    STEP(auto q = s.quit(ec));
    CHECK(q.deleted.empty());  // RSET undid the DELE
    return ec;
  });
}

TEST_CASE("pop3 transcript: AUTH PLAIN with initial response", "[pop3][transcript]") {
  run_transcript("auth_plain.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    pop3::client_options o;
    o.net.tls = net::tls_mode::implicit;
    STEP(s.connect(o, ec));
    STEP(s.authenticate(sasl::credentials::with_password("bob", "pw"), "PLAIN", ec));
    CHECK(s.client().state() == pop3::state::transaction);
    STEP(s.quit(ec));
    return ec;
  });
  // The secret is the RFC 4616 message, base64.
  testing::player peer = testing::player::open(transcript_path("auth_plain.txt"));
  peer.expect_secret(sasl::base64_encode(std::string("\0bob\0pw", 7)));
  session s(peer, false);
  std::error_code ec;
  pop3::client_options o;
  o.net.tls = net::tls_mode::implicit;
  s.connect(o, ec);
  s.authenticate(sasl::credentials::with_password("bob", "pw"), "", ec);
  CHECK_FALSE(ec);
  s.quit(ec);
  INFO(peer.report());
  CHECK(peer.finished());
}

TEST_CASE("pop3 transcript: AUTH LOGIN challenges", "[pop3][transcript]") {
  run_transcript("auth_login.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    pop3::client_options o;
    o.net.tls = net::tls_mode::implicit;
    STEP(s.connect(o, ec));
    STEP(s.authenticate(sasl::credentials::with_password("bob", "pw"), "LOGIN", ec));
    STEP(s.quit(ec));
    for (const auto& line : s.trace)
      CHECK(line.find(sasl::base64_encode("pw")) == std::string::npos);
    return ec;
  });
}

TEST_CASE("pop3 transcript: download and delete, pipelined", "[pop3][transcript]") {
  run_transcript("fetch_delete.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.capa(ec));
    STEP(s.login("bob", "pw", ec));
    std::map<std::uint32_t, std::string> store;
    pop3::fetch_options f;
    f.mode = pop3::fetch_mode::remove;
    f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
      return std::make_unique<string_sink>(store[m.number]);
    };
    STEP(auto r = s.fetch(f, ec));
    REQUIRE(r.stored.size() == 2);
    CHECK(r.stored[0].uid == "uid-one");
    CHECK(r.deleted == std::vector<std::uint32_t>{1, 2});
    CHECK(store[1] == "Subject: one\r\n\r\nbody1\r\n");
    CHECK(store[2] == "Subject: two\r\n\r\nbody2!\r\n");
    CHECK(store[1].size() == r.stored[0].size);
    return ec;
  });
}

TEST_CASE("pop3 transcript: download and keep, only new messages", "[pop3][transcript]") {
  run_transcript("fetch_keep_new.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.login("bob", "pw", ec));
    std::set<std::string> seen{"uid-one"};
    std::string got;
    pop3::fetch_options f;
    f.seen = [&](std::string_view uid) { return seen.count(std::string(uid)) > 0; };
    f.open_sink = [&](const pop3::fetched_message&) -> std::unique_ptr<byte_sink> {
      return std::make_unique<string_sink>(got);
    };
    STEP(auto r = s.fetch(f, ec));
    REQUIRE(r.stored.size() == 1);
    CHECK(r.stored[0].uid == "uid-two");
    CHECK(r.deleted.empty());
    CHECK(got == "Subject: two\r\n\r\nbody2!\r\n");
    return ec;
  });
}

TEST_CASE("pop3 transcript: a sink failure before QUIT leaves the mailbox untouched",
          "[pop3][transcript]") {
  run_transcript("fetch_sink_fails.txt", [](session& s) -> std::error_code {
    std::error_code ec;
    STEP(s.connect(plain(), ec));
    STEP(s.login("bob", "pw", ec));
    pop3::fetch_options f;
    f.mode = pop3::fetch_mode::remove;
    f.open_sink = [](const pop3::fetched_message&) -> std::unique_ptr<byte_sink> {
      auto p = std::make_unique<probe_sink>();
      p->fail_finish = true;
      return p;
    };
    s.fetch(f, ec);
    CHECK(ec == std::errc::no_space_on_device);
    // No DELE, no QUIT: the connection was closed, the server skips the update state.
    CHECK(s.client().state() == pop3::state::disconnected);
    return {};
  });
}
