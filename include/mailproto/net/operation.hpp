// mailproto/net/operation.hpp — the contract between a sans-I/O protocol operation and the
// driver that runs it (design.md §1, style.md §8.3).
//
// An operation is a resumable state machine. The driver calls resume() with the result of
// the last I/O it asked for; resume() answers with the next `action`. It never touches a
// socket, a clock or a thread, so the same operation object runs under the sync API, the
// async API, the transcript player and the fuzzers.
//
//     io_result r{};                       // first call: nothing done yet
//     for (;;) {
//       action a = op.resume(r);
//       if (a.kind == action::type::done) return a.ec;
//       r = perform(a);                    // connect / read / write / TLS, with a deadline
//     }
#pragma once

#include <mailproto/net/trace.hpp>

#include <chrono>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::net {

/// What the driver did last: its error (EOF, timeout, ...) and, for a read, the bytes.
/// `data` is valid only during the resume() call: copy what you keep.
struct io_result {
  std::error_code ec;     ///< the outcome of the last action (empty: it worked)
  std::string_view data;  ///< read: the bytes received
};

/// The next thing an operation needs from the driver.
struct action {
  /// What the driver is asked to do.
  enum class type : unsigned char {
    connect,    ///< resolve + TCP connect (+ TLS handshake when tls_mode::implicit)
    read,       ///< read some bytes; they come back in io_result::data
    write,      ///< write all of `bytes` (valid until the next resume)
    start_tls,  ///< TLS client handshake on the open connection (STARTTLS/STLS)
    close,      ///< close the connection (a TLS close_notify is attempted first)
    done,       ///< finished; `ec` is the outcome
  };
  type kind = type::done;            ///< which action
  std::string_view bytes;            ///< write: what to send
  std::vector<secret_span> secrets;  ///< write: ranges of `bytes` the trace must redact
  /// Deadline for this step; zero means the connection's default (connect_options).
  std::chrono::milliseconds timeout{0};
  std::error_code ec;  ///< done: the result
  /// read: connection::wake() may end this wait early (a synchronous read then waits in
  /// poll(2) with the wake eventfd). Only a read that waits for something the caller stops
  /// from another thread needs it (imap::client::idle); other synchronous reads block in
  /// recv(2), which wake() cannot interrupt (one system call per read instead of two).
  bool wakeable = false;

  /// An action of kind `k` with no data and the default deadline.
  static action make(type k) {
    action a;
    a.kind = k;
    return a;
  }
  /// Connect to connect_options::host/port (+ TLS handshake when implicit).
  static action connect() { return make(type::connect); }
  /// Read some bytes, within `t` (zero: the connection's io_timeout).
  static action read(std::chrono::milliseconds t = {}) {
    action a = make(type::read);
    a.timeout = t;
    return a;
  }
  /// Write all of `b` (valid until the next resume); the trace redacts the ranges `s`;
  /// deadline `t` (zero: the connection's io_timeout).
  static action write(std::string_view b, std::vector<secret_span> s = {},
                      std::chrono::milliseconds t = {}) {
    action a = make(type::write);
    a.bytes = b;
    a.secrets = std::move(s);
    a.timeout = t;
    return a;
  }
  /// TLS handshake on the open connection (after STARTTLS / STLS).
  static action start_tls() { return make(type::start_tls); }
  /// Close the connection.
  static action close() { return make(type::close); }
  /// The operation is finished with outcome `e`.
  static action done(std::error_code e = {}) {
    action a = make(type::done);
    a.ec = e;
    return a;
  }
};

/// A resumable protocol operation (sans-I/O).
class operation {
 public:
  virtual ~operation() = default;
  /// Called first with an empty io_result, then with the result of each action.
  virtual action resume(const io_result& r) = 0;
};

/// An operation that produces a value: what connection::async_run_owned hands to the
/// completion handler, and what a client's sync call returns. Protocol modules keep their
/// operation classes in src/ and expose factories returning
/// std::unique_ptr<result_operation<R>>, so async initiations in headers stay thin.
template <class R>
class result_operation : public operation {
 public:
  /// The value produced, taken once after the operation finished successfully.
  virtual R take_result() = 0;
};

}  // namespace mailproto::net
