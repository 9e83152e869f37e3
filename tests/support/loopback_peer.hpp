// A loopback peer for tests that need a misbehaving server below the transcript player's
// level (TCP resets, a TLS handshake cut short, a server that never speaks): it listens on
// 127.0.0.1 (a free port), accepts one connection and runs `script` on it in its own thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <system_error>
#include <thread>

namespace mailproto::test_support {

class loopback_peer {
 public:
  explicit loopback_peer(std::function<void(asio::ip::tcp::socket&)> script)
      : acceptor_(ctx_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, script = std::move(script)] {
      std::error_code ec;
      asio::ip::tcp::socket sock(ctx_);
      acceptor_.accept(sock, ec);
      if (!ec) script(sock);
    });
  }
  ~loopback_peer() {
    std::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  loopback_peer(const loopback_peer&) = delete;
  loopback_peer& operator=(const loopback_peer&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  asio::io_context ctx_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace mailproto::test_support
