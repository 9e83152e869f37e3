// The driver's read paths against a scripted transport: when a read tries a non-blocking
// read first and when it waits first — synchronous (connection::run on its own io_context)
// and asynchronous (connection::start on the caller's io_context).
#include <mailproto/net/connection.hpp>
#include <mailproto/net/transport.hpp>

#include "support/run_op.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace mailproto;

namespace {

// A transport that has a chunk of data ready only once the driver has waited for it, and
// logs the calls: "try" (a try_read that found nothing), "data" (one that took the chunk),
// "wait" (wait_readable), "async" (async_read_some, which delivers a chunk), "block"
// (read_blocking, which delivers a chunk when `blocking`, as the TCP transport over plain TCP
// with no batch announced; otherwise it declines).
class scripted_transport final : public net::transport {
 public:
  scripted_transport(asio::any_io_executor ex, std::vector<std::string>& log, bool blocking)
      : ex_(std::move(ex)), log_(log), blocking_(blocking) {}
  asio::any_io_executor get_executor() override { return ex_; }
  void async_connect(handler h) override {
    open_ = true;
    asio::post(ex_, [h = std::move(h)]() mutable { h({}, 0); });
  }
  void async_read_some(asio::mutable_buffer buf, handler h) override {
    log_.push_back("async");
    expect_ = 0;
    const std::size_t n = std::min<std::size_t>(buf.size(), chunk);
    std::memset(buf.data(), 'x', n);
    asio::post(ex_, [h = std::move(h), n]() mutable { h({}, n); });
  }
  std::size_t try_read(asio::mutable_buffer buf, std::error_code& ec) override {
    ec = {};
    if (!ready_) {
      log_.push_back("try");
      return 0;
    }
    ready_ = false;
    log_.push_back("data");
    const std::size_t n = std::min<std::size_t>(buf.size(), chunk);
    std::memset(buf.data(), 'x', n);
    return n;
  }
  void async_write(asio::const_buffer b, handler h) override {
    asio::post(ex_, [h = std::move(h), n = b.size()]() mutable { h({}, n); });
  }
  void expect_bytes(std::size_t n) override { expect_ = n; }
  std::ptrdiff_t read_blocking(asio::mutable_buffer buf, std::chrono::milliseconds,
                               std::error_code& ec) override {
    ec = {};
    if (!blocking_ || wait_before_read()) return -1;
    log_.push_back("block");
    expect_ = 0;
    const std::size_t n = std::min<std::size_t>(buf.size(), chunk);
    std::memset(buf.data(), 'x', n);
    return static_cast<std::ptrdiff_t>(n);
  }
  int wait_readable(std::chrono::milliseconds, int, std::error_code& ec) override {
    ec = {};
    log_.push_back("wait");
    ready_ = true;
    expect_ = 0;
    return 1;
  }
  // As the TCP transport: a bulk transfer of at least 1 MiB announced.
  bool wait_before_read() const override { return expect_ >= (1u << 20); }
  void async_tls_handshake(handler h) override {
    asio::post(ex_, [h = std::move(h)]() mutable { h(net::errc::tls_handshake_failed, 0); });
  }
  void async_tls_shutdown(handler h) override {
    asio::post(ex_, [h = std::move(h)]() mutable { h({}, 0); });
  }
  void cancel() override {}
  void close() override { open_ = false; }
  bool is_open() const override { return open_; }
  const net::tls_info& tls() const override { return tls_; }

 private:
  static constexpr std::size_t chunk = 8192;  // a large read: the driver's bulk mode
  asio::any_io_executor ex_;
  std::vector<std::string>& log_;
  bool blocking_;
  bool open_ = false, ready_ = false;
  std::size_t expect_ = 0;
  net::tls_info tls_;
};

// Connect, then three reads, each announced with expect_bytes(announce), each marked
// action::wakeable when `wakeable`.
class reads_op final : public net::operation {
 public:
  reads_op(net::connection& c, std::size_t announce, bool wakeable)
      : conn_(c), announce_(announce), wakeable_(wakeable) {}
  net::action resume(const net::io_result& r) override {
    if (r.ec) return net::action::done(r.ec);
    if (!connected_) {
      connected_ = true;
      return net::action::connect();
    }
    if (started_ && ++reads_ == 3) return net::action::done();
    started_ = true;
    conn_.expect_bytes(announce_);
    auto a = net::action::read();
    a.wakeable = wakeable_;
    return a;
  }

 private:
  net::connection& conn_;
  std::size_t announce_;
  bool wakeable_;
  bool connected_ = false, started_ = false;
  int reads_ = 0;
};

std::vector<std::string> run_reads(std::size_t announce, bool async = false, bool blocking = false,
                                   bool wakeable = false) {
  std::vector<std::string> log;
  net::connect_options o;
  o.host = "example.test";
  o.transport = [&log, blocking](asio::any_io_executor ex, const net::connect_options&) {
    return std::make_unique<scripted_transport>(std::move(ex), log, blocking);
  };
  asio::io_context io;
  net::connection conn = test_support::make_connection(io, async);
  conn.set_options(o);
  reads_op op(conn, announce, wakeable);
  const std::error_code ec = test_support::run_op(conn, io, op, async);
  CHECK_FALSE(ec);
  return log;
}

}  // namespace

TEST_CASE("sync read: an ordinary read tries first, then waits", "[net][sync]") {
  CHECK(run_reads(0) == std::vector<std::string>{"try", "wait", "data", "try", "wait", "data",
                                                 "try", "wait", "data"});
}

TEST_CASE("sync read: an announced bulk transfer waits for its batch before trying",
          "[net][sync]") {
  // A try would take the few bytes that happen to be there (one recv per ~10 KB); waiting
  // first lets the low-water mark gather a batch.
  CHECK(run_reads(8u << 20) ==
        std::vector<std::string>{"wait", "data", "wait", "data", "wait", "data"});
}

TEST_CASE(
    "async read: after a large read the next is tried inline, unless a batch was "
    "announced",
    "[net][sync]") {
  CHECK(run_reads(0, true) == std::vector<std::string>{"async", "try", "async", "try", "async"});
  CHECK(run_reads(8u << 20, true) == std::vector<std::string>{"async", "async", "async"});
}

TEST_CASE("sync read: a transport that can block reads in one call", "[net][sync]") {
  CHECK(run_reads(0, false, true) == std::vector<std::string>{"block", "block", "block"});
}

TEST_CASE("sync read: a wakeable read, or an announced batch, does not block in the read",
          "[net][sync]") {
  // wake() can only end a wait in poll(2), with the eventfd beside the socket.
  CHECK(run_reads(0, false, true, true) == std::vector<std::string>{"try", "wait", "data", "try",
                                                                    "wait", "data", "try", "wait",
                                                                    "data"});
  // A batch waits for its low-water mark first (the transport declines).
  CHECK(run_reads(8u << 20, false, true) ==
        std::vector<std::string>{"wait", "data", "wait", "data", "wait", "data"});
}

TEST_CASE("async read: never a blocking read", "[net][sync]") {
  CHECK(run_reads(0, true, true) ==
        std::vector<std::string>{"async", "try", "async", "try", "async"});
}
