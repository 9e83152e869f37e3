// The synchronous API's blocking reads (transport::read_blocking) over a real loopback
// socket, plain and TLS (a TLS server of the test's own, verified certificate): an ordinary
// read blocks in recv(2) on the then blocking descriptor (over TLS, inside SSL_read); a read
// marked action::wakeable waits in poll(2), so connection::wake() from another thread lets
// posted work run at once, and the read then goes through Asio's reactor, which must find
// the descriptor non-blocking again (else its first recv would block the thread until data
// came); a blocking read after that makes the descriptor blocking again; and both kinds of
// read end at their deadline when the peer stays silent.
#include "support/local_tls.hpp"
#include "support/loopback_peer.hpp"

#include <mailproto/net/connection.hpp>
#include <mailproto/net/errc.hpp>

#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace mailproto;
using clock_type = std::chrono::steady_clock;

namespace {

// CPU time of the calling thread (user + system).
std::chrono::microseconds thread_cpu() {
  rusage r{};
  getrusage(RUSAGE_THREAD, &r);
  return std::chrono::seconds(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         std::chrono::microseconds(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

// The peer's side of a session, plain or over TLS, whatever the stream underneath.
struct peer_stream {
  std::function<void(const std::string&, std::error_code&)> write;
  std::function<std::size_t(char*, std::size_t, std::error_code&)> read;
};

// Accepts one connection (TLS when `tls`) and runs `script` on it.
std::unique_ptr<test_support::loopback_peer> start_peer(bool tls,
                                                        std::function<void(peer_stream&)> script) {
  return std::make_unique<test_support::loopback_peer>(
      [tls, script = std::move(script)](asio::ip::tcp::socket& s) {
        if (!tls) {
          peer_stream p{[&](const std::string& b, std::error_code& ec) {
                          asio::write(s, asio::buffer(b), ec);
                        },
                        [&](char* b, std::size_t n, std::error_code& ec) {
                          return s.read_some(asio::buffer(b, n), ec);
                        }};
          script(p);
          return;
        }
        auto ctx = test_support::localhost_server_context();
        asio::ssl::stream<asio::ip::tcp::socket&> t(s, ctx);
        std::error_code ec;
        t.handshake(asio::ssl::stream_base::server, ec);
        if (ec) return;
        peer_stream p{
            [&](const std::string& b, std::error_code& e) { asio::write(t, asio::buffer(b), e); },
            [&](char* b, std::size_t n, std::error_code& e) {
              return t.read_some(asio::buffer(b, n), e);
            }};
        script(p);
      });
}

net::connect_options client_options(std::uint16_t port, bool tls) {
  if (tls) return test_support::localhost_tls_client(port);
  net::connect_options o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = net::tls_mode::none;
  return o;
}

// Connect (unless connected), then read one line per entry of `wakeable` (each line's reads
// marked as given); `lines_read` counts the lines as they come (for another thread).
class lines_op final : public net::operation {
 public:
  std::atomic<int> lines_read{0};
  lines_op(std::vector<bool> wakeable, bool connect = true)
      : wakeable_(std::move(wakeable)), connected_(!connect) {}
  net::action resume(const net::io_result& r) override {
    if (r.ec) return net::action::done(r.ec);
    if (!connected_) {
      connected_ = true;
      return net::action::connect();
    }
    if (started_) {
      buf_.append(r.data);
      if (buf_.find('\n') == std::string::npos) return read();
      lines.push_back(buf_);
      ++lines_read;
      buf_.clear();
      if (lines.size() == wakeable_.size()) return net::action::done();
    }
    started_ = true;
    return read();
  }
  std::vector<std::string> lines;

 private:
  net::action read() {
    auto a = net::action::read();
    a.wakeable = wakeable_[lines.size()];
    return a;
  }
  std::vector<bool> wakeable_;
  bool connected_, started_ = false;
  std::string buf_;
};

}  // namespace

TEST_CASE("sync reads: blocking, then woken into the reactor, then blocking again",
          "[integration][net][sync][timing]") {
  for (const bool tls : {false, true}) {
    INFO("TLS: " << tls);
    // The peer: "one" at once; "two" 600 ms later; "three" when told "go".
    auto peer = start_peer(tls, [](peer_stream& p) {
      std::error_code ec;
      p.write("one\r\n", ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      p.write("two\r\n", ec);
      char c[64];
      p.read(c, sizeof c, ec);
      p.write("three\r\n", ec);
      while (!ec) p.read(c, sizeof c, ec);
    });
    net::connection conn;
    auto o = client_options(peer->port(), tls);
    o.io_timeout = std::chrono::seconds(5);
    conn.set_options(o);

    // The first two reads: the second one is wakeable; another thread wakes it 100 ms after
    // "one" was read (so after the connect and the TLS handshake, however slow: Valgrind)
    // with work posted to the connection's executor.
    lines_op first({false, true});
    std::atomic<bool> posted_ran{false};
    clock_type::duration posted_after{};
    std::thread waker([&] {
      const auto give_up = clock_type::now() + std::chrono::seconds(30);
      while (first.lines_read.load() == 0 && clock_type::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      const auto t0 = clock_type::now();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      asio::post(conn.get_executor(), [&, t0] {
        posted_after = clock_type::now() - t0;
        posted_ran = true;
      });
      conn.wake();
    });
    std::error_code ec;
    conn.run(first, ec);
    waker.join();
    REQUIRE_FALSE(ec);
    CHECK(first.lines == std::vector<std::string>{"one\r\n", "two\r\n"});
    REQUIRE(posted_ran);
    // The posted work ran when woken (100 ms after "one"), long before "two" came (600 ms
    // after "one").
    CHECK(posted_after < std::chrono::milliseconds(400));
    CHECK(conn.tls().active == tls);

    // Then a blocking read again: the write tells the peer to send "three".
    struct go_then_read final : net::operation {
      bool wrote = false;
      std::string got;
      net::action resume(const net::io_result& r) override {
        if (r.ec) return net::action::done(r.ec);
        if (!wrote) {
          wrote = true;
          return net::action::write("go\r\n");
        }
        got.append(r.data);
        if (got.find('\n') == std::string::npos) return net::action::read();
        return net::action::done();
      }
    } second;
    conn.run(second, ec);
    REQUIRE_FALSE(ec);
    CHECK(second.got == "three\r\n");
  }
}

TEST_CASE("sync reads: a blocking read ends at its deadline, a wakeable one too",
          "[integration][net][sync][timing]") {
  for (const bool tls : {false, true}) {
    for (const bool wakeable : {false, true}) {
      INFO("TLS: " << tls << ", wakeable: " << wakeable);
      auto peer = start_peer(tls, [](peer_stream& p) {
        std::error_code ec;
        char c[64];
        while (!ec) p.read(c, sizeof c, ec);  // never says anything
      });
      auto o = client_options(peer->port(), tls);
      o.io_timeout = std::chrono::milliseconds(400);
      net::connection conn;
      conn.set_options(o);
      lines_op op({wakeable});
      std::error_code ec;
      const auto t0 = clock_type::now();
      conn.run(op, ec);
      const auto took = clock_type::now() - t0;
      CHECK(ec == net::errc::timeout);
      CHECK(took >= std::chrono::milliseconds(390));
      CHECK(took < std::chrono::milliseconds(2000));
      // A second read on the same connection: the timeout left it ready for the next step.
      // It waits without spinning: a few milliseconds of CPU for 400 ms of waiting.
      lines_op again({wakeable}, false);
      const auto t1 = clock_type::now();
      const auto cpu1 = thread_cpu();
      conn.run(again, ec);
      CHECK(ec == net::errc::timeout);
      CHECK(clock_type::now() - t1 >= std::chrono::milliseconds(390));
      CHECK(thread_cpu() - cpu1 < std::chrono::milliseconds(100));
      conn.close();
    }
  }
}
