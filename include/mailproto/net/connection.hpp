// mailproto/net/connection.hpp — the driver: runs sans-I/O operations over a transport.
//
// This is the only code in the library that touches sockets and timers. It is written once
// for every protocol operation, and once for sync and async: the synchronous `run()` drives
// the very same asynchronous engine on the connection's own io_context (the Asio
// blocking-client-with-timeouts pattern), so there is one implementation of every deadline,
// every trace line and every TLS step.
//
// Each action an operation asks for gets a deadline (the action's own, or the
// connect_options default); when it passes, the transport is cancelled and the operation
// sees net::errc::timeout. Cancelling an async operation (through the completion token's
// cancellation slot) cancels the transport; the operation sees net::errc::cancelled.
#pragma once

#include <mailproto/detail/unique_function.hpp>
#include <mailproto/net/errc.hpp>
#include <mailproto/net/operation.hpp>
#include <mailproto/net/options.hpp>
#include <mailproto/net/trace.hpp>
#include <mailproto/net/transport.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>

#include <memory>
#include <system_error>
#include <type_traits>

namespace mailproto::net {

/// The one I/O driver of every protocol client: it runs a sans-I/O net::operation by
/// performing its actions (connect, read, write, TLS handshake, close) with deadlines,
/// cancellation and the trace. The synchronous API (run) and the asynchronous one
/// (start, async_run, async_run_owned) share the same code path.
class connection {
 public:
  /// A connection with its own io_context, for the synchronous API.
  connection();
  /// A connection whose I/O runs on `ex` (the asynchronous API). Synchronous calls then
  /// block until `ex` (run by another thread) completes them; never call them from a
  /// thread that runs `ex`.
  explicit connection(asio::any_io_executor ex);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The executor the I/O runs on (the own io_context's, or the one given).
  asio::any_io_executor get_executor() const;

  /// Options used by the next `action::connect` (and for deadlines and the trace).
  void set_options(connect_options o);
  /// The options set last (host, port, TLS, deadlines, trace).
  const connect_options& options() const;

  /// Run `op` to completion, blocking. `ec` is the operation's result.
  void run(operation& op, std::error_code& ec);

  /// Start `op`; `done` is called once with the result (posted, never inline).
  /// `op` must stay alive until then. Only one operation runs at a time.
  void start(operation& op, detail::unique_function<void(std::error_code)> done);

  /// Run `op` asynchronously. Completion signature: void(std::error_code).
  /// `op` must outlive the operation. Supports per-operation cancellation.
  template <class Token>
  auto async_run(operation& op, Token&& token);

  /// Run an owned operation asynchronously; when it ends, the handler receives the error
  /// and `op->take_result()` (or only the error if take_result returns void).
  template <class Op, class Token>
  auto async_run_owned(std::unique_ptr<Op> op, Token&& token);

  /// Cancel the running operation (it completes with errc::cancelled).
  void cancel();
  /// Thread-safe: wake a synchronous run() that blocks in this thread waiting for data in a
  /// read marked action::wakeable (imap::client::idle's), so that work posted to the
  /// connection's executor (e.g. a cancel()) runs now rather than when the data or the
  /// deadline comes. No effect otherwise: other synchronous reads block in recv(2).
  void wake();
  /// Close the transport now (no TLS close_notify).
  void close();

  /// Pass a bulk-read hint to the transport (transport::expect_bytes): at least `n` more
  /// bytes will be delivered by the reads to come. Protocol clients call it from their
  /// operations' callbacks; it applies to the next wait for data only.
  void expect_bytes(std::size_t n);
  /// True while the transport is connected.
  bool is_open() const;
  /// True while an operation runs (a second one would fail with operation_in_progress).
  bool busy() const;
  /// TLS state of the connection: active, protocol version, cipher, verified peer.
  const tls_info& tls() const;
  /// The tracer of this connection; protocol code adds "# ..." notes through it.
  tracer& trace();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// ------------------------------------------------------------------ templates

namespace detail_conn {

template <class Handler>
auto bind_completion(Handler& handler, const asio::any_io_executor& io_ex, connection* c) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) slot.assign([c](asio::cancellation_type) { c->cancel(); });
  auto ex = asio::get_associated_executor(handler, io_ex);
  return std::make_pair(slot, asio::make_work_guard(ex));
}

}  // namespace detail_conn

template <class Token>
auto connection::async_run(operation& op, Token&& token) {
  return asio::async_initiate<Token, void(std::error_code)>(
      [this, &op](auto handler) {
        auto [slot, work] = detail_conn::bind_completion(handler, get_executor(), this);
        start(op, [h = std::move(handler), slot = slot,
                   work = std::move(work)](std::error_code ec) mutable {
          if (slot.is_connected()) slot.clear();
          auto ex = work.get_executor();
          asio::dispatch(ex, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
        });
      },
      token);
}

template <class Op, class Token>
auto connection::async_run_owned(std::unique_ptr<Op> op, Token&& token) {
  using result_t = decltype(op->take_result());
  if constexpr (std::is_void_v<result_t>) {
    return asio::async_initiate<Token, void(std::error_code)>(
        [this](auto handler, std::unique_ptr<Op> o) {
          auto [slot, work] = detail_conn::bind_completion(handler, get_executor(), this);
          Op& ref = *o;
          start(ref, [h = std::move(handler), o = std::move(o), slot = slot,
                      work = std::move(work)](std::error_code ec) mutable {
            if (slot.is_connected()) slot.clear();
            o->take_result();
            auto ex = work.get_executor();
            asio::dispatch(ex, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
          });
        },
        token, std::move(op));
  } else {
    return asio::async_initiate<Token, void(std::error_code, result_t)>(
        [this](auto handler, std::unique_ptr<Op> o) {
          auto [slot, work] = detail_conn::bind_completion(handler, get_executor(), this);
          Op& ref = *o;
          start(ref, [h = std::move(handler), o = std::move(o), slot = slot,
                      work = std::move(work)](std::error_code ec) mutable {
            if (slot.is_connected()) slot.clear();
            auto ex = work.get_executor();
            asio::dispatch(ex, [h = std::move(h), ec, r = o->take_result()]() mutable {
              std::move(h)(ec, std::move(r));
            });
          });
        },
        token, std::move(op));
  }
}

}  // namespace mailproto::net
