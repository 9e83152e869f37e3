// POP3 client against the sandbox's Dovecot (scripts/sandbox), over STLS and POP3S, with
// certificates verified against MAILPROTO_CAFILE. Each test starts from an empty mailbox
// (every message deleted over POP3 first) and delivers its own three messages into bob's
// Maildir new/ directly, so no test depends on another's state.
#include <mailproto/net/errc.hpp>
#include <mailproto/pop3/client.hpp>

#include <catch2/catch.hpp>

#include "support/sandbox.hpp"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace mailproto;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test_support::sandbox_env;

namespace {

pop3::client_options options(const sandbox_env& env, bool implicit) {
  pop3::client_options o;
  o.net.host = env.host;
  o.net.port = implicit ? env.pop3s_port : env.pop3_port;
  o.net.tls = implicit ? net::tls_mode::implicit : net::tls_mode::starttls;
  o.net.tls_opts.cafile = env.cafile;
  o.net.tls_opts.server_name = "localhost";
  o.net.io_timeout = 10s;
  o.net.connect_timeout = 10s;
  return o;
}

void login_bob(pop3::client& c, const sandbox_env& env, bool implicit = true) {
  c.connect(options(env, implicit));
  c.login(env.bob.user, env.bob.password);
}

// Empty bob's mailbox over POP3 (DELE everything, QUIT).
void empty_mailbox(const sandbox_env& env) {
  pop3::client c;
  login_bob(c, env);
  const auto st = c.stat();
  for (std::uint32_t n = 1; n <= st.count; ++n) c.dele(n);
  c.quit();
}

std::string crlf(const std::string& lf) {
  std::string out;
  for (char ch : lf) {
    if (ch == '\n') out += '\r';
    out += ch;
  }
  return out;
}

// Three messages with LF line endings as they are stored; the server counts and sends
// them with CRLF. One has a line beginning with "." and one that is only ".".
std::vector<std::string> messages() {
  std::vector<std::string> m;
  for (int i = 1; i <= 3; ++i) {
    std::string s = "From: alice@example.test\nTo: bob@example.test\nSubject: message " +
                    std::to_string(i) + "\nMessage-ID: <pop3-it-" + std::to_string(i) +
                    "@example.test>\n\nBody of message " + std::to_string(i) + ".\n";
    if (i == 2) s += ".leading dot\n.\n..\n";
    for (int k = 0; k < i * 50; ++k) s += "line " + std::to_string(k) + " of the body\n";
    m.push_back(s);
  }
  return m;
}

// Maildir delivery (tmp/ then rename into new/), owned by the mail user so that Dovecot
// can move and delete the files.
void deliver(const sandbox_env& env, const std::vector<std::string>& msgs) {
  const fs::path dir = env.bob_maildir;
  const passwd* pw = ::getpwnam("vmail");
  for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
    const fs::path p = dir.string() + sub;
    fs::create_directories(p);
    if (pw) REQUIRE(::chown(p.c_str(), pw->pw_uid, pw->pw_gid) == 0);
  }
  static int seq = 0;
  int i = 0;
  for (const auto& m : msgs) {
    const std::string name = std::to_string(::time(nullptr)) + ".P" + std::to_string(::getpid()) +
                             "Q" + std::to_string(++seq) + "_" + std::to_string(++i) + ".pop3it";
    const fs::path tmp = dir / "tmp" / name;
    {
      std::ofstream f(tmp, std::ios::binary);
      f << m;
    }
    if (pw) REQUIRE(::chown(tmp.c_str(), pw->pw_uid, pw->pw_gid) == 0);
    fs::rename(tmp, dir / "new" / name);
  }
}

std::vector<std::string> fresh_mailbox(const sandbox_env& env) {
  empty_mailbox(env);
  auto msgs = messages();
  deliver(env, msgs);
  return msgs;
}

std::uint32_t count(const sandbox_env& env) {
  pop3::client c;
  login_bob(c, env);
  const auto n = c.stat().count;
  c.quit();
  return n;
}

}  // namespace

TEST_CASE("pop3 dovecot: STLS, LIST sizes and RETR bytes", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const auto msgs = fresh_mailbox(env);
  pop3::client c;
  c.connect(options(env, false));
  CHECK(c.tls_active());
  CHECK(c.connection().tls().active);
  CHECK(c.caps().user);
  c.login(env.bob.user, env.bob.password);
  const auto list = c.list();
  REQUIRE(list.size() == 3);
  const auto st = c.stat();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(list[i].number == i + 1);
    CHECK(list[i].size == crlf(msgs[i]).size());
    total += list[i].size;
    std::string got;
    string_sink sink(got);
    const auto n = c.retr(list[i].number, sink);
    CHECK(got == crlf(msgs[i]));
    CHECK(n == got.size());
  }
  CHECK(st.size == total);
  const auto uids = c.uidl();
  CHECK(uids.size() == 3);
  std::string head;
  string_sink hs(head);
  c.top(2, 0, hs);
  CHECK(head == crlf(msgs[1].substr(0, msgs[1].find("\n\n") + 2)));
  c.quit();
}

TEST_CASE("pop3 dovecot: DELE + QUIT removes exactly those messages", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const auto msgs = fresh_mailbox(env);
  {
    pop3::client c;
    login_bob(c, env, true);
    c.dele(1);
    c.dele(3);
    const auto q = c.quit();
    CHECK(q.deleted == std::vector<std::uint32_t>{1, 3});
  }
  pop3::client c;
  login_bob(c, env);
  const auto list = c.list();
  REQUIRE(list.size() == 1);
  std::string got;
  string_sink sink(got);
  c.retr(1, sink);
  CHECK(got == crlf(msgs[1]));  // the survivor is message 2
  c.quit();
}

TEST_CASE("pop3 dovecot: RSET undoes DELE", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  fresh_mailbox(env);
  {
    pop3::client c;
    login_bob(c, env);
    c.dele(1);
    c.dele(2);
    c.rset();
    CHECK(c.stat().count == 3);
    CHECK(c.quit().deleted.empty());
  }
  CHECK(count(env) == 3);
}

TEST_CASE("pop3 dovecot: a failure before QUIT leaves the mailbox untouched",
          "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  fresh_mailbox(env);
  SECTION("DELE then close without QUIT") {
    pop3::client c;
    login_bob(c, env);
    c.dele(1);
    c.dele(2);
    c.close();
  }
  SECTION("download and delete, the sink fails on message 2") {
    class failing final : public byte_sink {
     public:
      explicit failing(bool fail) : fail_(fail) {}
      void write(std::string_view, std::error_code&) override {}
      void finish(std::error_code& ec) override {
        if (fail_) ec = std::make_error_code(std::errc::no_space_on_device);
      }

     private:
      bool fail_;
    };
    pop3::client c;
    login_bob(c, env);
    pop3::fetch_options f;
    f.mode = pop3::fetch_mode::remove;
    f.open_sink = [](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
      return std::make_unique<failing>(m.number == 2);
    };
    std::error_code ec;
    c.fetch(f, ec);
    CHECK(ec == std::errc::no_space_on_device);
  }
  CHECK(count(env) == 3);
}

TEST_CASE("pop3 dovecot: download and delete, then keep only new", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  const auto msgs = fresh_mailbox(env);
  std::set<std::string> seen;
  {
    // Keep mode: everything is new the first time, nothing the second time.
    pop3::client c;
    login_bob(c, env);
    c.capa();  // PIPELINING: the fetch pipelines its commands
    CHECK(c.caps().pipelining);
    std::map<std::uint32_t, std::string> store;
    pop3::fetch_options f;
    f.seen = [&](std::string_view uid) { return seen.count(std::string(uid)) > 0; };
    f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
      return std::make_unique<string_sink>(store[m.number]);
    };
    const auto r = c.fetch(f);
    REQUIRE(r.stored.size() == 3);
    for (const auto& m : r.stored) {
      CHECK(store[m.number] == crlf(msgs[m.number - 1]));
      seen.insert(m.uid);
    }
  }
  {
    pop3::client c;
    login_bob(c, env);
    pop3::fetch_options f;
    f.seen = [&](std::string_view uid) { return seen.count(std::string(uid)) > 0; };
    f.open_sink = [&](const pop3::fetched_message&) -> std::unique_ptr<byte_sink> {
      FAIL("nothing is new");
      return nullptr;
    };
    CHECK(c.fetch(f).stored.empty());
  }
  CHECK(count(env) == 3);
  {
    pop3::client c;
    login_bob(c, env);
    std::vector<std::string> got(3);
    pop3::fetch_options f;
    f.mode = pop3::fetch_mode::remove;
    f.open_sink = [&](const pop3::fetched_message& m) -> std::unique_ptr<byte_sink> {
      return std::make_unique<string_sink>(got[m.number - 1]);
    };
    const auto r = c.fetch(f);
    CHECK(r.deleted == std::vector<std::uint32_t>{1, 2, 3});
    for (int i = 0; i < 3; ++i) CHECK(got[i] == crlf(msgs[i]));
  }
  CHECK(count(env) == 0);
}

TEST_CASE("pop3 dovecot: carol's password with space, quote, backslash, UTF-8",
          "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  std::vector<std::string> trace;
  pop3::client c;
  auto o = options(env, true);
  o.net.trace = [&](std::string_view l) { trace.emplace_back(l); };
  c.connect(o);
  c.login(env.carol.user, env.carol.password);
  CHECK(c.state() == pop3::state::transaction);
  c.stat();
  c.quit();
  for (const auto& l : trace) CHECK(l.find(env.carol.password) == std::string::npos);
}

TEST_CASE("pop3 dovecot: AUTH with SASL (SCRAM-SHA-256, PLAIN)", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  for (const std::string mech : {"SCRAM-SHA-256", "PLAIN", ""}) {
    INFO(mech);
    pop3::client c;
    c.connect(options(env, false));
    std::error_code ec;
    c.authenticate(sasl::credentials::with_password(env.carol.user, env.carol.password), mech, ec);
    if (mech == "SCRAM-SHA-256" && ec == condition::auth_failed) {
      WARN("dovecot refused SCRAM-SHA-256 (password scheme without SCRAM data?): "
           << c.last_reply().to_string());
      continue;
    }
    REQUIRE_FALSE(ec);
    CHECK(c.state() == pop3::state::transaction);
    c.quit();
  }
}

TEST_CASE("pop3 dovecot: wrong password and untrusted certificate", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  {
    pop3::client c;
    c.connect(options(env, true));
    std::error_code ec;
    c.login(env.bob.user, "not-the-password", ec);
    CHECK(ec == condition::auth_failed);
    CHECK(c.last_reply().status == "-ERR");
  }
  {
    // Without the sandbox CA the chain does not verify (system store only).
    pop3::client c;
    auto o = options(env, true);
    o.net.tls_opts.cafile.clear();
    std::error_code ec;
    c.connect(o, ec);
    CHECK(ec == condition::tls_failed);
  }
}

TEST_CASE("pop3 dovecot: APOP over STLS and POP3S", "[integration][pop3]") {
  MAILPROTO_REQUIRE_SANDBOX(env);
  // The sandbox stores {PLAIN} passwords and lists "apop" in auth_mechanisms, so Dovecot's
  // greeting carries an RFC 1939 §7 timestamp and it can check the MD5 digest.
  for (const bool implicit : {false, true}) {
    INFO((implicit ? "POP3S" : "STLS"));
    std::vector<std::string> trace;
    pop3::client c;
    auto o = options(env, implicit);
    o.net.trace = [&](std::string_view l) { trace.emplace_back(l); };
    c.connect(o);
    const std::string ts = pop3::apop_timestamp(c.greeting());
    REQUIRE_FALSE(ts.empty());
    CHECK(ts.front() == '<');
    c.apop(env.bob.user, env.bob.password);
    CHECK(c.state() == pop3::state::transaction);
    c.stat();
    c.quit();
    // The digest went out (RFC 1939 §7: "APOP name digest"), never the password.
    const std::string digest = pop3::apop_digest(ts, env.bob.password);
    bool saw_apop = false;
    for (const auto& l : trace) {
      CHECK(l.find(env.bob.password) == std::string::npos);
      if (l.find("APOP " + env.bob.user) != std::string::npos) saw_apop = true;
    }
    CHECK(saw_apop);
    CHECK(digest.size() == 32);
  }
  {
    pop3::client c;
    c.connect(options(env, true));
    std::error_code ec;
    c.apop(env.bob.user, "not-the-password", ec);
    CHECK(ec == condition::auth_failed);
    CHECK(c.last_reply().status == "-ERR");
    CHECK(c.state() == pop3::state::authorization);
  }
}
