// The TLS transport moving bulk data both ways against an OpenSSL server on 127.0.0.1 (no
// sandbox needed): a large write that fills the socket (OpenSSL's WANT_WRITE, retried with
// the rest of the same buffer from async_write after the inline try_write), many small
// writes, and a large download sent in records of every size from 1 byte to 16 KiB, read
// through the driver's inline try_read path and its async_read_some path. Every byte is
// checked, verification stays on, and the session ends with close_notify.
#include <mailproto/net/connection.hpp>
#include <mailproto/net/errc.hpp>
#include "support/local_tls.hpp"
#include "support/loopback_peer.hpp"
#include "support/run_op.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace mailproto;

namespace {

// Byte i of a transfer: a pattern that catches a lost, doubled or reordered record.
char pattern(std::size_t i) {
  return static_cast<char>('a' + (i * 7 + i / 4093) % 26);
}

// The client side: connect (implicit TLS), upload `up` bytes in one write, then
// `small_writes` writes of a few bytes, then read `down` bytes, then close.
class transfer_op final : public net::operation {
 public:
  transfer_op(std::size_t up, int small_writes, std::size_t down)
      : up_(up), small_writes_(small_writes), down_(down) {
    upload_.resize(up_);
    for (std::size_t i = 0; i < up_; ++i) upload_[i] = pattern(i);
  }

  net::action resume(const net::io_result& r) override {
    if (r.ec && step_ != step::closing) return net::action::done(r.ec);
    switch (step_) {
      case step::start:
        step_ = step::connected;
        return net::action::connect();
      case step::connected:
        step_ = step::small;
        return net::action::write(upload_);
      case step::small:
        if (sent_small_ < small_writes_) {
          small_ = std::string(1 + sent_small_ % 5, pattern(up_ + sent_small_));
          ++sent_small_;
          return net::action::write(small_);
        }
        step_ = step::reading;
        return net::action::read();
      case step::reading:
        for (char c : r.data) {
          if (c != pattern(got_)) mismatch_ = true;
          ++got_;
        }
        ++reads_;
        if (got_ < down_) return net::action::read();
        step_ = step::closing;
        return net::action::close();
      case step::closing:
        return net::action::done();
    }
    return net::action::done();
  }

  std::size_t got() const { return got_; }
  bool mismatch() const { return mismatch_; }
  int reads() const { return reads_; }

 private:
  enum class step { start, connected, small, reading, closing } step_ = step::start;
  std::size_t up_;
  int small_writes_;
  std::size_t down_;
  std::string upload_, small_;
  int sent_small_ = 0;
  std::size_t got_ = 0;
  int reads_ = 0;
  bool mismatch_ = false;
};

}  // namespace

TEST_CASE("TLS transport: bulk data both ways in small and large records",
          "[integration][net][tls]") {
  constexpr std::size_t up = 6 * 1024 * 1024, down = 12 * 1024 * 1024;
  constexpr int small_writes = 50;
  std::size_t server_got = 0;
  bool server_mismatch = false;
  std::string server_error;

  test_support::loopback_peer peer([&](asio::ip::tcp::socket& s) {
    auto ctx = test_support::localhost_server_context();
    asio::ssl::stream<asio::ip::tcp::socket&> tls(s, ctx);
    std::error_code ec;
    tls.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      server_error = "handshake: " + ec.message();
      return;
    }
    // Read slowly at first, so the client's large write fills the socket buffers.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::size_t small_bytes = 0;
    for (int i = 0; i < small_writes; ++i) small_bytes += 1 + i % 5;
    const std::size_t want = up + small_bytes;
    char buf[32 * 1024];
    while (!ec && server_got < want) {
      const std::size_t n = tls.read_some(asio::buffer(buf), ec);
      for (std::size_t i = 0; i < n; ++i, ++server_got) {
        const char expect =
            server_got < up ? pattern(server_got) : pattern(up + [&] {  // index of the small write
              std::size_t off = server_got - up, k = 0;
              while (off >= 1 + k % 5) off -= 1 + k++ % 5;
              return k;
            }());
        if (buf[i] != expect) server_mismatch = true;
      }
    }
    if (ec) {
      server_error = "read: " + ec.message();
      return;
    }
    // Records of every size: 1..64 bytes one at a time, then growing pieces up to 16 KiB.
    std::string out(down, '\0');
    for (std::size_t i = 0; i < down; ++i) out[i] = pattern(i);
    std::size_t sent = 0, piece = 1;
    while (!ec && sent < down) {
      const std::size_t n = std::min(piece, down - sent);
      asio::write(tls, asio::buffer(out.data() + sent, n), ec);
      sent += n;
      piece = piece < 64 ? piece + 1 : std::min<std::size_t>(piece * 2, 16 * 1024);
    }
    if (ec) {
      server_error = "write: " + ec.message();
      return;
    }
    tls.shutdown(ec);  // waits for the client's close_notify
  });

  auto o = test_support::localhost_tls_client(peer.port());
  o.connect_timeout = std::chrono::seconds(10);
  o.io_timeout = std::chrono::seconds(20);
  net::connection conn;
  conn.set_options(o);
  transfer_op op(up, small_writes, down);
  std::error_code ec;
  conn.run(op, ec);
  CHECK_FALSE(ec);
  INFO(server_error);
  CHECK(server_error.empty());
  CHECK(conn.tls().active);
  CHECK(conn.tls().verified);
  CHECK(server_got == up + [] {
    std::size_t n = 0;
    for (int i = 0; i < small_writes; ++i) n += 1 + i % 5;
    return n;
  }());
  CHECK_FALSE(server_mismatch);
  CHECK(op.got() == down);
  CHECK_FALSE(op.mismatch());
  CHECK(op.reads() > 1);
  CHECK_FALSE(conn.is_open());
}

namespace {

// Reads `want` bytes after telling the connection that `announced` bytes are on their way
// before every read (transport::expect_bytes), like a POP3 fetch trusting LIST sizes.
class hinted_read_op final : public net::operation {
 public:
  hinted_read_op(net::connection& c, std::size_t announced, std::size_t want)
      : conn_(c), announced_(announced), want_(want) {}

  net::action resume(const net::io_result& r) override {
    if (r.ec) return net::action::done(r.ec);
    if (!connected_) {
      connected_ = true;
      return net::action::connect();
    }
    got_ += r.data.size();
    if (got_ >= want_) return net::action::done();
    conn_.expect_bytes(announced_ > got_ ? announced_ - got_ : 0);
    return net::action::read();
  }

  std::size_t got() const { return got_; }

 private:
  net::connection& conn_;
  std::size_t announced_, want_;
  bool connected_ = false;
  std::size_t got_ = 0;
};

}  // namespace

TEST_CASE("TLS transport: a peer that sends less than announced costs latency, not a hang",
          "[integration][net][tls]") {
  // The peer sends 300 KiB in bursts with pauses, then a last small piece, and then waits
  // for the client to hang up, while the client was told 64 MiB are coming — or exactly
  // what comes, so that the low-water mark shrinks with what is left to come. Through the
  // synchronous and the asynchronous read path.
  constexpr std::size_t sent_total = 300 * 1024 + 10;
  for (const bool async : {false, true})
    for (const std::size_t announced : {std::size_t{64} * 1024 * 1024, sent_total}) {
      INFO("announced " << announced << (async ? ", async" : ", sync"));
      test_support::loopback_peer peer([&](asio::ip::tcp::socket& s) {
        auto ctx = test_support::localhost_server_context();
        asio::ssl::stream<asio::ip::tcp::socket&> tls(s, ctx);
        std::error_code ec;
        tls.handshake(asio::ssl::stream_base::server, ec);
        if (ec) return;
        std::string chunk(100 * 1024, 'x');
        for (int i = 0; i < 3 && !ec; ++i) {
          asio::write(tls, asio::buffer(chunk), ec);
          std::this_thread::sleep_for(std::chrono::milliseconds(30));
        }
        asio::write(tls, asio::buffer(chunk.data(), 10), ec);
        char c;
        tls.read_some(asio::buffer(&c, 1), ec);  // until the client closes
      });
      auto o = test_support::localhost_tls_client(peer.port());
      o.connect_timeout = std::chrono::seconds(10);
      o.io_timeout = std::chrono::seconds(10);
      asio::io_context io;
      net::connection conn = test_support::make_connection(io, async);
      conn.set_options(o);
      hinted_read_op op(conn, announced, sent_total);
      const auto t0 = std::chrono::steady_clock::now();
      const std::error_code ec = test_support::run_op(conn, io, op, async);
      const auto took = std::chrono::steady_clock::now() - t0;
      CHECK_FALSE(ec);
      CHECK(op.got() == sent_total);
      CHECK(took < std::chrono::seconds(3));  // the io_timeout is 10 s
      conn.close();
    }
}

namespace {

// `rounds` request/response exchanges: write "ping N", read until "pong N" has arrived.
class ping_pong_op final : public net::operation {
 public:
  explicit ping_pong_op(int rounds) : rounds_(rounds) {}

  net::action resume(const net::io_result& r) override {
    if (r.ec) return net::action::done(r.ec);
    if (!started_) {
      started_ = true;
      return net::action::connect();
    }
    if (!connected_) {
      connected_ = true;
      return ping();
    }
    if (!wrote_) {  // the write completed
      wrote_ = true;
      return net::action::read();
    }
    got_.append(r.data);
    if (got_.find('\n') == std::string::npos) return net::action::read();
    if (got_ != "pong " + std::to_string(done_) + "\r\n")
      return net::action::done(net::errc::connection_unusable);
    got_.clear();
    if (++done_ == rounds_) return net::action::done();
    return ping();
  }

  int done() const { return done_; }

 private:
  net::action ping() {
    wrote_ = false;
    out_ = "ping " + std::to_string(done_) + "\r\n";
    return net::action::write(out_);
  }
  int rounds_;
  int done_ = 0;
  bool started_ = false, connected_ = false, wrote_ = false;
  std::string out_, got_;
};

}  // namespace

// The async path on an io_context that four threads run (a caller's thread pool): every
// TLS request/response exchange completes, each within its 2 s step timeout, while handlers
// and the reactor move between threads.
TEST_CASE("TLS transport: 3000 exchanges on an io_context run by four threads",
          "[integration][net][tls]") {
  constexpr int rounds = 3000;
  test_support::loopback_peer peer([&](asio::ip::tcp::socket& s) {
    auto ctx = test_support::localhost_server_context();
    asio::ssl::stream<asio::ip::tcp::socket&> tls(s, ctx);
    std::error_code ec;
    tls.handshake(asio::ssl::stream_base::server, ec);
    std::string in;
    char buf[256];
    for (int i = 0; i < rounds && !ec; ++i) {
      while (!ec && in.find('\n') == std::string::npos)
        in.append(buf, tls.read_some(asio::buffer(buf), ec));
      in.erase(0, in.find('\n') + 1);
      const std::string reply = "pong " + std::to_string(i) + "\r\n";
      asio::write(tls, asio::buffer(reply), ec);
    }
    char c;
    tls.read_some(asio::buffer(&c, 1), ec);  // until the client closes
  });
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run(); });
  auto o = test_support::localhost_tls_client(peer.port());
  o.connect_timeout = std::chrono::seconds(10);
  o.io_timeout = std::chrono::seconds(2);  // a missed reply shows as a timeout
  std::error_code ec;
  ping_pong_op op(rounds);
  const auto t0 = std::chrono::steady_clock::now();
  {
    net::connection conn(io.get_executor());
    conn.set_options(o);
    std::promise<std::error_code> done;
    conn.start(op, [&](std::error_code e) { done.set_value(e); });
    ec = done.get_future().get();
    asio::post(io, [&] { conn.close(); });
    work.reset();
    for (auto& t : threads) t.join();
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  INFO(ec.message() << " after " << op.done() << " rounds");
  CHECK_FALSE(ec);
  CHECK(op.done() == rounds);
  CHECK(took < std::chrono::seconds(20));
}
