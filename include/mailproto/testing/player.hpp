// mailproto/testing/player.hpp — an in-memory peer that plays a transcript.
//
// The player stands where the server would be. Plug it into any mailproto client through
// connect_options::transport (player::transport()), or use player::stream as an
// Asio-compatible AsyncReadStream/AsyncWriteStream in your own code. It sends the S: lines,
// checks that what the client sends matches the C: lines, and reports the first difference
// with the transcript line, the expected bytes and the bytes actually sent:
//
//     auto peer = mailproto::testing::player::open("tests/transcripts/pop3/list.txt");
//     pop3::client c;
//     c.connect({.host = "pop.example.test", .port = 110, .tls = net::tls_mode::none,
//                .transport = peer.transport()}, ec);
//     ...
//     REQUIRE(peer.finished());   // every line used, nothing extra sent
//
// Delivery modes grind the client's parsers: `whole` hands each S: burst over in one read,
// `bytewise` one byte per read, `split(k)` in two reads cut after byte k. all_deliveries()
// lists whole, bytewise and every split of the longest burst.
#pragma once

#include <mailproto/net/options.hpp>
#include <mailproto/net/transport.hpp>
#include <mailproto/testing/transcript.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/buffer.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace mailproto::testing {

/// How the player hands the server's bytes to the client: each burst (consecutive S: lines)
/// whole, one byte per read, or split in two at a fixed position. A client must behave the
/// same under every delivery.
struct delivery {
  /// Whole bursts, one byte per read, or split at `at`.
  enum class mode { whole, bytewise, split };
  mode how = mode::whole;  ///< the delivery mode
  std::size_t at = 0;      ///< split: bytes in the first read of each burst

  /// Each burst in one read.
  static delivery whole_bursts() { return {}; }
  /// One byte per read.
  static delivery byte_by_byte() { return {mode::bytewise, 0}; }
  /// Each burst in two reads: the first `k` bytes, then the rest.
  static delivery split_at(std::size_t k) { return {mode::split, k}; }
  /// "whole", "bytewise" or "split@k", for test names and messages.
  std::string describe() const;
};

/// whole, bytewise, and split at every position 1..longest burst-1.
std::vector<delivery> all_deliveries(const transcript& t);

/// Plays the server's side of a transcript (see transcript.hpp) against a real client: it
/// sends the `S:` lines, checks every byte the client writes against the `C:` lines, fakes
/// `@tls` handshakes and `@eof`/`@stall`, and stops at the first mismatch with a message naming
/// the transcript line.
class player {
 public:
  /// A player for `t`, delivering the server's bytes as `d` says.
  explicit player(transcript t, delivery d = {});
  /// Load a transcript file (a relative path that does not exist is tried under the
  /// directory named by the MAILPROTO_TRANSCRIPTS_DIR environment variable).
  static player open(const std::string& path, delivery d = {});

  /// A transport factory for connect_options::transport. The player must outlive every
  /// connection made with it.
  net::transport_factory transport();

  /// The next `<redacted>` span the client sends must be exactly `s` (checked in order).
  void expect_secret(std::string s);

  /// True when every step was played and nothing unexpected happened.
  bool finished() const;
  /// The first mismatch, or empty.
  const std::string& failure() const noexcept;
  /// For assertion messages: the failure, or where the player stopped and what it expected.
  std::string report() const;
  /// Everything the client sent, as raw bytes.
  const std::string& sent() const noexcept;
  /// Number of reads the client made (bytewise delivery makes this large).
  std::size_t reads() const noexcept;
  /// The transcript being played.
  const transcript& script() const noexcept;
  /// The delivery mode.
  const delivery& how() const noexcept;

  // The engine, used by the transports it hands out and by `stream`.
  struct state;
  /// The engine shared with the transports and streams (internal).
  std::shared_ptr<state> shared_state() const { return state_; }

 private:
  std::shared_ptr<state> state_;
};

/// An Asio-compatible stream over a player (AsyncReadStream + AsyncWriteStream): for users
/// who want to run their own Asio code against a transcript.
class stream {
 public:
  /// The executor type, as Asio's stream concepts require.
  using executor_type = asio::any_io_executor;
  /// A stream over `p` (which must outlive it), completing handlers on `ex`.
  stream(player& p, asio::any_io_executor ex);
  /// The executor given at construction.
  executor_type get_executor() { return ex_; }

  /// Read what the transcript's next `S:` burst (or part of it) holds into the first buffer.
  /// Completion: void(std::error_code, std::size_t).
  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, asio::mutable_buffer b) {
          t_->async_read_some(b,
                              [h = std::move(handler)](std::error_code ec, std::size_t n) mutable {
                                std::move(h)(ec, n);
                              });
        },
        token, first_mutable(buffers));
  }
  /// Write the first buffer whole; it is checked against the next `C:` lines.
  /// Completion: void(std::error_code, std::size_t).
  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [this](auto handler, asio::const_buffer b) {
          t_->async_write(b, [h = std::move(handler)](std::error_code ec, std::size_t n) mutable {
            std::move(h)(ec, n);
          });
        },
        token, first_const(buffers));
  }

 private:
  template <class B>
  static asio::mutable_buffer first_mutable(const B& b) {
    for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b); ++it)
      if (asio::mutable_buffer(*it).size() > 0) return *it;
    return {};
  }
  template <class B>
  static asio::const_buffer first_const(const B& b) {
    for (auto it = asio::buffer_sequence_begin(b); it != asio::buffer_sequence_end(b); ++it)
      if (asio::const_buffer(*it).size() > 0) return *it;
    return {};
  }
  asio::any_io_executor ex_;
  std::unique_ptr<net::transport> t_;
};

}  // namespace mailproto::testing
