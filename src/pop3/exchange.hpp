// The engine every POP3 operation is built on (private to src/pop3/).
//
// Theory of operation: an operation is a queue of commands. Each command knows whether
// its "+OK" starts a multi-line response and has callbacks for the status, each data line
// and the end of data. The engine writes queued commands (several at once when the server
// advertises PIPELINING, RFC 2449 §6.6: a batch of up to protocol::window(), written
// when the previous batch has been answered), reads,
// feeds the parser and dispatches responses to the oldest command in flight. Callbacks
// may queue more commands, ask for the TLS handshake (STLS) or a close (QUIT, failures).
//
// Errors:
//  - fatal (I/O error, EOF, timeout, malformed response, injection): the protocol enters
//    `failed`, and the operation ends at once (closing the connection for protocol errors);
//  - deferred (a -ERR, a sink that refused bytes, a bad argument found late): nothing more
//    is sent, the responses in flight are read to their end so the session stays in step,
//    then the operation ends with the first such error (or closes, if close_on_error).
#pragma once

#include <mailproto/net/operation.hpp>
#include <mailproto/pop3/protocol.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace mailproto::pop3::detail {

/// -ERR to the right error code: RFC 2449 §8 codes first, then the command's nature.
std::error_code classify(const response& r, bool auth_command);

struct command {
  std::string line;           ///< without CRLF
  bool write = true;          ///< false for the greeting: nothing sent, one response read
  bool multiline = false;     ///< "+OK" is followed by data lines and "."
  bool count_lines = false;   ///< bound the data lines (buffered responses)
  bool continuation = false;  ///< "+ " challenges allowed (AUTH)
  bool auth = false;          ///< -ERR without a code means authentication_failed
  std::size_t secret_offset = 0, secret_length = 0;  ///< range of `line` to redact
  /// Data bytes the response will certainly carry (RETR: the size LIST gave); a read hint.
  std::uint64_t expect = 0;
  using status_fn = std::function<void(const response&, std::error_code&)>;
  status_fn on_ok;    ///< "+OK"
  status_fn on_err;   ///< "-ERR"; `ec` holds classify()'s answer, the callback may clear it
  status_fn on_cont;  ///< "+ challenge"
  std::function<void(std::string_view, std::error_code&)> on_line;
  /// Streamed responses: runs of complete lines with their CRLFs (parser bulk mode).
  std::function<void(std::string_view, std::error_code&)> on_bytes;
  std::function<void(std::error_code&)> on_end;
};

class exchange {
 public:
  explicit exchange(protocol& p) : p_(p) {}

  protocol& proto() noexcept { return p_; }

  /// Queue a command; returns it so the caller can set callbacks.
  command& push(std::string line);
  /// Write a line that is not a command (an AUTH response), before anything else queued.
  void send_raw(std::string line, bool secret);
  /// The operation cannot start (checked before anything is sent).
  void fail_now(std::error_code ec) { precheck_ = ec; }
  /// Fatal error from a callback: the protocol fails; the connection is closed.
  void fatal(std::error_code ec);
  /// Perform the TLS handshake once no command is in flight.
  void want_tls() noexcept { tls_wanted_ = true; }
  /// Close the connection once nothing is in flight (after QUIT).
  void want_close() noexcept { close_wanted_ = true; }

  /// Start with action::connect (the connect operation).
  bool connect_first = false;
  /// On a deferred error, close the connection instead of keeping the session (fetch).
  bool close_on_error = false;
  /// Called when nothing is queued or in flight; may queue more.
  std::function<void(std::error_code&)> on_idle;
  /// Called after a successful TLS handshake.
  std::function<void(std::error_code&)> on_tls;

  net::action resume(const net::io_result& r);

 private:
  enum class io { none, connect, write, read, tls, close };
  net::action pump();
  net::action io_failed(std::error_code ec);
  net::action finish(std::error_code ec);
  void defer(std::error_code ec) {
    if (!err_) err_ = ec;
  }
  // A callback's error: a malformed response is fatal, anything else deferred.
  void route(std::error_code ec) {
    if (ec.category() == pop3_category() && mailproto::is_fatal(ec))
      fatal(ec);
    else
      defer(ec);
  }

  protocol& p_;
  std::deque<command> queue_;
  std::deque<command> flight_;
  std::uint64_t delivered_ = 0;  // data bytes of flight_.front()'s response parsed so far
  std::string out_;
  std::vector<net::secret_span> secrets_;
  std::string raw_;
  bool raw_secret_ = false;
  bool raw_pending_ = false;
  std::error_code precheck_;
  std::error_code fatal_;
  std::error_code err_;
  io io_ = io::none;
  bool started_ = false;
  bool tls_wanted_ = false;
  bool close_wanted_ = false;
  bool discard_ = false;
  bool closing_fatal_ = false;
};

}  // namespace mailproto::pop3::detail
