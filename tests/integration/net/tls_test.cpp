// Integration: the transport against the sandbox's real servers (Postfix, Dovecot) on
// 127.0.0.1, and against tiny hostile peers in this process. Verification stays on.
#include <mailproto/net/probe.hpp>
#include "support/loopback_peer.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

using namespace mailproto;
using net::probe_protocol;
using net::tls_mode;

namespace {

struct sandbox {
  std::string host, cafile;
  std::uint16_t smtp, smtps, imap, imaps, pop3, pop3s;
};

std::optional<sandbox> get_sandbox() {
  auto env = [](const char* n) -> std::string {
    const char* v = std::getenv(n);
    return v ? v : "";
  };
  if (env("MAILPROTO_HOST").empty()) {
    if (env("MAILPROTO_REQUIRE_SANDBOX") == "1")
      FAIL("sandbox env missing: run scripts/sandbox start and eval $(scripts/sandbox env)");
    WARN("no sandbox (MAILPROTO_HOST unset): skipping");
    return std::nullopt;
  }
  auto port = [&](const char* n) { return static_cast<std::uint16_t>(std::stoi(env(n))); };
  return sandbox{env("MAILPROTO_HOST"),       env("MAILPROTO_CAFILE"),
                 port("MAILPROTO_SMTP_PORT"), port("MAILPROTO_SMTPS_PORT"),
                 port("MAILPROTO_IMAP_PORT"), port("MAILPROTO_IMAPS_PORT"),
                 port("MAILPROTO_POP3_PORT"), port("MAILPROTO_POP3S_PORT")};
}

net::connect_options opts(const sandbox& s, std::uint16_t port, tls_mode mode) {
  net::connect_options o;
  o.host = s.host;
  o.port = port;
  o.tls = mode;
  o.tls_opts.cafile = s.cafile;
  o.connect_timeout = std::chrono::seconds(10);
  o.io_timeout = std::chrono::seconds(10);
  return o;
}

}  // namespace

TEST_CASE("verified TLS to every sandbox server, implicit and STARTTLS",
          "[integration][net][tls]") {
  auto s = get_sandbox();
  if (!s) return;
  struct row {
    const char* name;
    std::uint16_t port;
    tls_mode mode;
    probe_protocol proto;
  } rows[] = {
      {"submission STARTTLS", s->smtp, tls_mode::starttls, probe_protocol::smtp},
      {"submissions implicit", s->smtps, tls_mode::implicit, probe_protocol::smtp},
      {"IMAP STARTTLS", s->imap, tls_mode::starttls, probe_protocol::imap},
      {"IMAPS implicit", s->imaps, tls_mode::implicit, probe_protocol::imap},
      {"POP3 STLS", s->pop3, tls_mode::starttls, probe_protocol::pop3},
      {"POP3S implicit", s->pop3s, tls_mode::implicit, probe_protocol::pop3},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::vector<std::string> trace;
    auto o = opts(*s, r.port, r.mode);
    o.trace = [&](std::string_view l) { trace.emplace_back(l); };
    net::connection conn;
    std::error_code ec;
    auto res = net::probe(conn, o, r.proto, ec);
    CHECK_FALSE(ec);
    CHECK(conn.tls().active);
    CHECK(conn.tls().verified);
    CHECK(conn.tls().verify_result == "ok");
    CHECK((conn.tls().protocol == "TLSv1.3" || conn.tls().protocol == "TLSv1.2"));
    CHECK(res.starttls_used == (r.mode == tls_mode::starttls));
    CHECK_FALSE(res.greeting.empty());
    bool traced_verified = false;
    for (const auto& l : trace)
      if (l.rfind("# certificate: verified", 0) == 0) traced_verified = true;
    CHECK(traced_verified);
  }
}

TEST_CASE("a CA that did not sign the server's certificate fails verification",
          "[integration][net][tls][security]") {
  auto s = get_sandbox();
  if (!s) return;
  // A throw-away CA of our own, unrelated to the sandbox's.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "mailproto-wrong-ca";
  fs::create_directories(dir);
  const std::string key = (dir / "ca.key").string(), crt = (dir / "ca.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=wrong-ca -keyout " + key +
      " -out " + crt + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  for (auto [port, mode, proto] : {std::tuple{s->imaps, tls_mode::implicit, probe_protocol::imap},
                                   std::tuple{s->smtp, tls_mode::starttls, probe_protocol::smtp}}) {
    auto o = opts(*s, port, mode);
    o.tls_opts.cafile = crt;
    net::connection conn;
    std::error_code ec;
    net::probe(conn, o, proto, ec);
    CHECK(ec == net::errc::certificate_verify_failed);
    CHECK(ec == condition::tls_failed);
    CHECK_FALSE(conn.tls().active);
  }
  // The system trust store does not know the sandbox CA either.
  auto o = opts(*s, s->pop3s, tls_mode::implicit);
  o.tls_opts.cafile.clear();
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::pop3, ec);
  CHECK(ec == net::errc::certificate_verify_failed);
}

TEST_CASE("a host name the certificate does not name fails", "[integration][net][tls][security]") {
  auto s = get_sandbox();
  if (!s) return;
  auto o = opts(*s, s->imaps, tls_mode::implicit);
  o.tls_opts.server_name = "wrong.example.test";
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::imap, ec);
  CHECK(ec == net::errc::certificate_name_mismatch);
  CHECK_FALSE(conn.tls().active);
  // ... while "localhost", which the certificate does name, verifies.
  o.tls_opts.server_name = "localhost";
  net::connection conn2;
  net::probe(conn2, o, probe_protocol::imap, ec);
  CHECK_FALSE(ec);
  CHECK(conn2.tls().verified);
}

TEST_CASE("implicit TLS against a STARTTLS port fails as a handshake error",
          "[integration][net][tls]") {
  auto s = get_sandbox();
  if (!s) return;
  auto o = opts(*s, s->smtp, tls_mode::implicit);
  o.io_timeout = o.connect_timeout = std::chrono::seconds(5);
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::smtp, ec);
  CHECK((ec == net::errc::tls_handshake_failed || ec == net::errc::timeout));
  CHECK((ec == condition::tls_failed || ec == condition::timeout));
}

namespace {

using tiny_peer = test_support::loopback_peer;

}  // namespace

TEST_CASE("a server that sends bytes before the TLS handshake is refused",
          "[integration][net][tls][security]") {
  tiny_peer peer([](asio::ip::tcp::socket& s) {
    std::error_code ec;
    asio::streambuf buf;
    asio::write(s, asio::buffer(std::string("220 evil ESMTP\r\n")), ec);
    asio::read_until(s, buf, "\r\n", ec);  // EHLO
    buf.consume(buf.size());
    asio::write(s, asio::buffer(std::string("250-evil\r\n250 STARTTLS\r\n")), ec);
    asio::read_until(s, buf, "\r\n", ec);  // STARTTLS
    // The go-ahead and an injected reply in one segment (CVE-2011-0411 pattern).
    asio::write(s, asio::buffer(std::string("220 go ahead\r\n250 injected\r\n")), ec);
    char c;
    s.read_some(asio::buffer(&c, 1), ec);  // wait for the client to hang up
  });
  net::connect_options o;
  o.host = "127.0.0.1";
  o.port = peer.port();
  o.tls = tls_mode::starttls;
  o.io_timeout = std::chrono::seconds(5);
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::smtp, ec);
  CHECK(ec == net::errc::data_before_tls_handshake);
  CHECK_FALSE(conn.tls().active);
}

TEST_CASE("a server that accepts and never speaks times out", "[integration][net]") {
  tiny_peer peer([](asio::ip::tcp::socket& s) {
    std::error_code ec;
    char c[512];
    while (!ec) s.read_some(asio::buffer(c), ec);  // swallow the ClientHello, answer nothing
  });
  net::connect_options o;
  o.host = "127.0.0.1";
  o.port = peer.port();
  o.tls = tls_mode::implicit;  // the TLS handshake waits for a ServerHello that never comes
  o.connect_timeout = std::chrono::milliseconds(700);
  const auto t0 = std::chrono::steady_clock::now();
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::imap, ec);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(ec == net::errc::timeout);
  CHECK(took >= std::chrono::milliseconds(600));
  CHECK(took < std::chrono::seconds(5));
}

// The synchronous API waits for a reply in its own thread, not in the reactor (over plain TCP
// in a blocking recv(2) with SO_RCVTIMEO, transport::read_blocking; else in poll(2),
// transport::wait_readable): that wait must end at the step's deadline too, and a late
// greeting must still be read.
TEST_CASE("plain: a server that never sends its greeting times out in the sync read",
          "[integration][net]") {
  for (const bool speaks_late : {false, true}) {
    tiny_peer peer([speaks_late](asio::ip::tcp::socket& s) {
      std::error_code ec;
      if (speaks_late) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        asio::write(s, asio::buffer(std::string("220 late but fine ESMTP\r\n")), ec);
      }
      char c[512];
      while (!ec) {  // answer EHLO and QUIT when greeted late; otherwise stay silent
        const std::size_t n = s.read_some(asio::buffer(c), ec);
        const std::string got(c, ec ? 0 : n);
        if (speaks_late && got.find("EHLO") != std::string::npos)
          asio::write(s, asio::buffer(std::string("250 ok\r\n")), ec);
        if (speaks_late && got.find("QUIT") != std::string::npos)
          asio::write(s, asio::buffer(std::string("221 bye\r\n")), ec);
      }
    });
    net::connect_options o;
    o.host = "127.0.0.1";
    o.port = peer.port();
    o.tls = tls_mode::none;
    o.io_timeout = std::chrono::milliseconds(speaks_late ? 3000 : 700);
    const auto t0 = std::chrono::steady_clock::now();
    net::connection conn;
    std::error_code ec;
    auto r = net::probe(conn, o, probe_protocol::smtp, ec);
    const auto took = std::chrono::steady_clock::now() - t0;
    INFO("speaks late: " << speaks_late << ", " << ec.message());
    if (speaks_late) {
      CHECK_FALSE(ec);
      CHECK(r.greeting.find("late but fine") != std::string::npos);
      CHECK(took >= std::chrono::milliseconds(250));
    } else {
      CHECK(ec == net::errc::timeout);
      CHECK(took >= std::chrono::milliseconds(600));
      CHECK(took < std::chrono::seconds(5));
    }
  }
}

TEST_CASE("connect to a listening socket whose backlog is full times out", "[integration][net]") {
  // listen(0) and fill the accept queue: the kernel then drops further SYNs, so connect()
  // itself never completes — the connect deadline must end it.
  asio::io_context ctx;
  asio::ip::tcp::acceptor acc(ctx);
  acc.open(asio::ip::tcp::v4());
  acc.bind(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acc.listen(0);
  const auto port = acc.local_endpoint().port();
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> fillers;
  for (int i = 0; i < 4; ++i) {
    // async_connect starts a non-blocking connect() at once; `ctx` is never run, so the
    // fillers just sit in the queue (a synchronous connect would wait for the SYN retries).
    auto sock = std::make_unique<asio::ip::tcp::socket>(ctx);
    sock->async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                        [](std::error_code) {});
    fillers.push_back(std::move(sock));
  }
  net::connect_options o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = tls_mode::none;
  o.connect_timeout = std::chrono::milliseconds(800);
  o.io_timeout = std::chrono::milliseconds(800);
  const auto t0 = std::chrono::steady_clock::now();
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::smtp, ec);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(ec == net::errc::timeout);
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("SSLKEYLOGFILE-style key log lets Wireshark decrypt the session",
          "[integration][net][tls]") {
  auto s = get_sandbox();
  if (!s) return;
  namespace fs = std::filesystem;
  const fs::path log = fs::temp_directory_path() / "mailproto-keylog-test.txt";
  fs::remove(log);
  auto o = opts(*s, s->imaps, tls_mode::implicit);
  o.tls_opts.keylog_file = log.string();
  net::connection conn;
  std::error_code ec;
  net::probe(conn, o, probe_protocol::imap, ec);
  REQUIRE_FALSE(ec);
  std::ifstream in(log);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // NSS key log format: TLS 1.3 traffic secrets (or CLIENT_RANDOM for TLS 1.2).
  CHECK((content.find("CLIENT_TRAFFIC_SECRET_0 ") != std::string::npos ||
         content.find("CLIENT_RANDOM ") != std::string::npos));
  fs::remove(log);

  // Off by default: no file without the option or the environment variable.
  auto o2 = opts(*s, s->imaps, tls_mode::implicit);
  o2.tls_opts.use_sslkeylogfile_env = false;
  net::connection conn2;
  net::probe(conn2, o2, probe_protocol::imap, ec);
  CHECK_FALSE(ec);
  CHECK_FALSE(fs::exists(log));
}
