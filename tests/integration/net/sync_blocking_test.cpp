// The synchronous API's blocking reads (transport::read_blocking) over a real loopback
// socket: an ordinary read blocks in recv(2) on the then blocking descriptor; a read marked
// action::wakeable waits in poll(2), so connection::wake() from another thread lets posted
// work run at once, and the read then goes through Asio's reactor, which must find the
// descriptor non-blocking again (else its first recv would block the thread until data came);
// and a blocking read after that makes the descriptor blocking again.
#include "support/loopback_peer.hpp"

#include <mailproto/net/connection.hpp>
#include <mailproto/net/errc.hpp>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace mailproto;
using clock_type = std::chrono::steady_clock;

namespace {

// Connect, then read one line per entry of `wakeable` (each line's reads marked as given).
class lines_op final : public net::operation {
 public:
  explicit lines_op(std::vector<bool> wakeable) : wakeable_(std::move(wakeable)) {}
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
      buf_.clear();
      if (lines.size() == wakeable_.size()) return net::action::done();
    }
    started_ = true;
    return read();
  }
  std::vector<std::string> lines;

 private:
  net::action read() {
    auto a = net::action::read(std::chrono::milliseconds(5000));
    a.wakeable = wakeable_[lines.size()];
    return a;
  }
  std::vector<bool> wakeable_;
  bool connected_ = false, started_ = false;
  std::string buf_;
};

}  // namespace

TEST_CASE("sync reads: blocking, then woken into the reactor, then blocking again",
          "[integration][net][sync]") {
  // The peer: "one" at once; "two" 600 ms later; "three" when told "go".
  test_support::loopback_peer peer([](asio::ip::tcp::socket& s) {
    std::error_code ec;
    asio::write(s, asio::buffer(std::string("one\r\n")), ec);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    asio::write(s, asio::buffer(std::string("two\r\n")), ec);
    char c[64];
    s.read_some(asio::buffer(c), ec);
    asio::write(s, asio::buffer(std::string("three\r\n")), ec);
    while (!ec) s.read_some(asio::buffer(c), ec);
  });
  net::connect_options o;
  o.host = "127.0.0.1";
  o.port = peer.port();
  o.tls = net::tls_mode::none;
  net::connection conn;
  conn.set_options(o);

  // The first two reads: the second one is wakeable; another thread wakes it after 100 ms
  // with work posted to the connection's executor.
  lines_op first({false, true});
  std::atomic<bool> posted_ran{false};
  clock_type::duration posted_after{};
  const auto t0 = clock_type::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    asio::post(conn.get_executor(), [&] {
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
  // The posted work ran when woken, long before "two" came (600 ms).
  CHECK(posted_after < std::chrono::milliseconds(450));

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

TEST_CASE("sync reads: a blocking read ends at its deadline, a wakeable one too",
          "[integration][net][sync]") {
  for (const bool wakeable : {false, true}) {
    INFO("wakeable: " << wakeable);
    test_support::loopback_peer peer([](asio::ip::tcp::socket& s) {
      std::error_code ec;
      char c[64];
      while (!ec) s.read_some(asio::buffer(c), ec);  // never says anything
    });
    net::connect_options o;
    o.host = "127.0.0.1";
    o.port = peer.port();
    o.tls = net::tls_mode::none;
    o.io_timeout = std::chrono::milliseconds(400);
    net::connection conn;
    conn.set_options(o);
    struct one_read final : net::operation {
      bool connected = false, wake = false;
      net::action resume(const net::io_result& r) override {
        if (r.ec) return net::action::done(r.ec);
        if (!connected) {
          connected = true;
          return net::action::connect();
        }
        auto a = net::action::read();
        a.wakeable = wake;
        return a;
      }
    } op;
    op.wake = wakeable;
    std::error_code ec;
    const auto t0 = clock_type::now();
    conn.run(op, ec);
    const auto took = clock_type::now() - t0;
    CHECK(ec == net::errc::timeout);
    CHECK(took >= std::chrono::milliseconds(390));
    CHECK(took < std::chrono::milliseconds(2000));
    // A second read on the same connection: the timeout left it set up for the next step.
    one_read again;
    again.connected = true;
    again.wake = wakeable;
    const auto t1 = clock_type::now();
    conn.run(again, ec);
    CHECK(ec == net::errc::timeout);
    CHECK(clock_type::now() - t1 >= std::chrono::milliseconds(390));
  }
}
