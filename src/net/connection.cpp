// The driver loop (see connection.hpp). Theory of operation:
//
//   start(op) -> step({})
//   step(r):  a = op.resume(r)
//             connect   -> make transport, async_connect      -> step({ec})
//             read      -> async_read_some into rbuf_          -> step({ec, bytes})
//             write     -> trace C: lines, async_write         -> step({ec})
//             start_tls -> async_tls_handshake                 -> step({ec})
//             close     -> TLS close_notify (bounded), close    -> step({})
//             done      -> post(done_handler, ec)
//
// Every I/O step has a deadline (the action's own, or the default). On expiry the transport
// is cancelled and the step's error becomes errc::timeout; a cancellation requested by the
// caller becomes errc::cancelled. The impl is shared_ptr-owned and every handler holds a
// reference, so a connection destroyed mid-operation does not leave dangling handlers.
//
// Cost per step (the benches: SMTP commands, POP3 bulk reads). Deadlines are lazy: a step
// only stores its deadline; the one timer is re-armed (a timerfd_settime system call and a
// handler) only when the new deadline is earlier than the armed expiry, and when the timer
// fires before the current deadline it re-arms itself for the rest. So a run of steps with
// the same timeout arms the timer once, not once per step. With its own io_context (the sync
// API) the timer stays armed between operations; on a caller's executor it is cancelled when
// an operation ends, so the caller's io_context can run out of work. A plain TCP write is
// first tried inline (transport::try_write): when the socket takes it all, the loop goes on
// without a trip through the reactor; likewise a read that follows a large read (a bulk
// transfer) is first tried inline (transport::try_read). The sync API's completion is delivered
// inline.
// The sync API on the connection's own io_context waits for data without the reactor: the
// caller is blocked in run() anyway. A read blocks in recv(2) on the (then blocking) socket
// with SO_RCVTIMEO as its deadline, over TLS inside SSL_read (transport::read_blocking):
// after a command, one system call instead of a recv that fails, an epoll_wait, a scheduler
// trip and a handler. Otherwise (a low-water batch, a read marked action::wakeable) a read
// that finds nothing waits in poll(2) in this thread (transport::wait_readable) and then
// reads inline. Work posted to the executor from another thread (imap::client::stop_idle) calls
// wake(), which ends such a poll through an eventfd; the read then takes the reactor path,
// where that work runs. Transports without these paths (the transcript player) always take
// the reactor path.
#include <mailproto/net/connection.hpp>

#include "net/tcp_transport.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <vector>

namespace mailproto::net {

struct connection::impl : std::enable_shared_from_this<impl> {
  explicit impl(asio::any_io_executor e) : ex(std::move(e)), timer(ex) {}
  ~impl() {
    if (const int fd = wake_fd.load(); fd >= 0) ::close(fd);
  }

  std::unique_ptr<asio::io_context> own_ctx;
  asio::any_io_executor ex;
  asio::steady_timer timer;
  connect_options opts;
  tracer tr;
  std::unique_ptr<transport> t;
  tls_info no_tls;

  using clock = std::chrono::steady_clock;

  operation* op = nullptr;
  detail::unique_function<void(std::error_code)> done;
  bool done_inline = false;  // run() on the own io_context: complete without a post
  enum class interrupt { none, timeout, cancel } why = interrupt::none;
  // 64 KiB: bulk transfers (POP3 RETR, IMAP literals) take what the kernel has in one read.
  // Not zeroed (make_unique_for_overwrite): a page becomes resident only when a read reaches
  // it, so an idle connection (IMAP IDLE; tests/load holds 1000) costs a page, not 64 KiB.
  static constexpr std::size_t rbuf_size = 64 * 1024;
  std::unique_ptr<char[]> rbuf = std::make_unique_for_overwrite<char[]>(rbuf_size);
  unsigned arm_id = 0;  // bumps per arming or disarming, so a stale timer handler does nothing
  std::size_t last_read = 0;  // bytes of the last read
  unsigned inline_reads = 0;  // reads done inline in a row (transport::try_read)
  static constexpr std::size_t bulk_read = 4096;
  static constexpr unsigned max_inline_reads = 64;
  bool sync_call = false;        // run() on the own io_context: reads may wait in poll(2)
  bool after_write = false;      // the last I/O step was a write: a read waits before trying
  std::atomic<int> wake_fd{-1};  // eventfd for wake(), made at the first poll wait
  bool timer_armed = false;
  clock::time_point timer_expiry{};  // when the armed timer fires
  bool step_pending = false;         // an I/O step with a deadline is outstanding
  clock::time_point deadline{};      // that step's deadline

  std::chrono::milliseconds deadline_for(const action& a) const {
    if (a.timeout.count() > 0) return a.timeout;
    return a.kind == action::type::connect ? opts.connect_timeout : opts.io_timeout;
  }

  // The current step must end by now + d.
  void arm(std::chrono::milliseconds d) {
    deadline = clock::now() + d;
    step_pending = true;
    if (timer_armed && timer_expiry <= deadline) return;  // fires in time; re-checks then
    arm_timer(deadline);
  }

  void arm_timer(clock::time_point at) {
    timer_armed = true;
    timer_expiry = at;
    timer.expires_at(at);
    timer.async_wait([self = shared_from_this(), id = ++arm_id](std::error_code ec) {
      if (id != self->arm_id) return;  // re-armed or disarmed since
      self->timer_armed = false;
      if (ec || !self->op || !self->step_pending) return;
      if (clock::now() < self->deadline) return self->arm_timer(self->deadline);
      self->why = interrupt::timeout;
      if (self->t) self->t->cancel();
    });
  }

  // The step ended: no deadline until the next one (the timer itself stays armed).
  void step_ended() { step_pending = false; }

  void disarm_timer() {
    step_pending = false;
    if (!timer_armed) return;
    ++arm_id;
    timer_armed = false;
    timer.cancel();
  }

  std::error_code translate(std::error_code ec) {
    if (ec == asio::error::operation_aborted) {
      if (why == interrupt::timeout) return make_error_code(errc::timeout);
      if (why == interrupt::cancel) return make_error_code(errc::cancelled);
    }
    if (ec == asio::error::eof) return ec;  // protocols decide whether EOF is an error here
    return ec;
  }

  // The sync read (see the top): one blocking read when the transport can and the read is
  // not wakeable; else try inline, wait in poll(2) and try again; until the step's deadline.
  // nullopt: take the reactor path (the transport cannot wait either way, or wake() asked
  // for the executor's posted work to run).
  std::optional<io_result> sync_read(const action& a) {
    const auto limit = clock::now() + deadline_for(a);
    const bool wrote = std::exchange(after_write, false);
    // A read that wake() need not end: wait and read in one blocking recv(2), when the
    // transport can (transport::read_blocking).
    if (!a.wakeable) {
      auto now = clock::now();
      for (;;) {
        if (now >= limit) {
          why = interrupt::timeout;
          return completed(asio::error::operation_aborted, {});
        }
        std::error_code rec;
        const std::ptrdiff_t n =
            t->read_blocking(asio::buffer(rbuf.get(), rbuf_size),
                             std::chrono::ceil<std::chrono::milliseconds>(limit - now), rec);
        if (n < 0) break;
        if (n > 0 || rec) return read_completed(rec, static_cast<std::size_t>(n));
        now = clock::now();
      }
    }
    // After a write the reply cannot be there yet; in a bulk transfer the low-water wait
    // gathers a batch first (transport::wait_before_read).
    bool try_now = !wrote && !t->wait_before_read();
    for (;;) {
      if (try_now)
        if (auto res = inline_read()) return res;
      try_now = true;
      const auto now = clock::now();
      if (now >= limit) {
        why = interrupt::timeout;
        return completed(asio::error::operation_aborted, {});
      }
      std::error_code wec;
      const int w = t->wait_readable(std::chrono::ceil<std::chrono::milliseconds>(limit - now),
                                     wake_fd_for_wait(), wec);
      if (w == 2) {
        std::uint64_t v;
        (void)!::read(wake_fd.load(), &v, sizeof v);
        return std::nullopt;
      }
      if (w < 0) return std::nullopt;
      if (wec) return completed(wec, {});
    }
  }

  // A non-blocking read into rbuf (transport::try_read): the step's result when it brought
  // bytes or an error, nullopt when nothing was ready.
  std::optional<io_result> inline_read() {
    std::error_code rec;
    const std::size_t n = t->try_read(asio::buffer(rbuf.get(), rbuf_size), rec);
    if (!rec && n == 0) return std::nullopt;
    return read_completed(rec, n);
  }

  // A read done inline brought `n` bytes into rbuf, or the error `rec`.
  io_result read_completed(std::error_code rec, std::size_t n) {
    last_read = n;
    std::string_view data(rbuf.get(), n);
    if (!data.empty() && tr.enabled()) tr.server(data);
    return completed(rec, data);
  }

  int wake_fd_for_wait() {
    int fd = wake_fd.load();
    if (fd < 0) {
      fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (fd >= 0) wake_fd.store(fd);
    }
    return fd;
  }

  // Completion of an I/O step: end its deadline, translate the error, trace, resume.
  void io_done(std::error_code ec, std::string_view data) { step(completed(ec, data)); }

  io_result completed(std::error_code ec, std::string_view data) {
    step_ended();
    ec = translate(ec);
    why = interrupt::none;
    if (ec) {
      if (ec == errc::timeout)
        tr.note("timeout");
      else if (ec == asio::error::eof)
        tr.note("connection closed by the server");
      else if (ec != errc::cancelled)
        tr.note("error: " + ec.message());
    }
    return io_result{ec, data};
  }

  void step(io_result r) {
    for (;;) {
      action a = op->resume(r);
      switch (a.kind) {
        case action::type::done:
          return finish(a.ec);
        case action::type::connect: {
          if (opts.transport)
            t = opts.transport(ex, opts);
          else
            t = make_tcp_transport(ex, opts, [self = weak_from_this()](std::string_view n) {
              if (auto s = self.lock()) s->tr.note(n);
            });
          tr.note("connect " + opts.host + ":" + std::to_string(opts.port) +
                  (opts.tls == tls_mode::implicit ? " (implicit TLS)" : ""));
          arm(deadline_for(a));
          t->async_connect([self = shared_from_this()](std::error_code ec, std::size_t) {
            self->io_done(ec, {});
          });
          return;
        }
        case action::type::read: {
          if (!t || !t->is_open()) {
            r = io_result{make_error_code(errc::not_connected), {}};
            continue;
          }
          if (sync_call) {
            if (auto res = sync_read(a)) {
              r = *res;
              continue;
            }
          } else if (last_read >= bulk_read && inline_reads < max_inline_reads &&
                     !t->wait_before_read()) {
            // Bulk transfer (the last read was large): the next bytes are probably there
            // already; take them inline, a bounded number of times in a row so that other
            // work on the executor is not starved. Not when a low-water batch was announced:
            // the read then waits for it (as the sync path does).
            if (auto res = inline_read()) {
              ++inline_reads;
              r = *res;
              continue;
            }
          }
          inline_reads = 0;
          arm(deadline_for(a));
          t->async_read_some(asio::buffer(rbuf.get(), rbuf_size),
                             [self = shared_from_this()](std::error_code ec, std::size_t n) {
                               self->last_read = ec ? 0 : n;
                               std::string_view data(self->rbuf.get(), ec ? 0 : n);
                               if (!data.empty() && self->tr.enabled()) self->tr.server(data);
                               self->io_done(ec, data);
                             });
          return;
        }
        case action::type::write: {
          if (!t || !t->is_open()) {
            r = io_result{make_error_code(errc::not_connected), {}};
            continue;
          }
          if (tr.enabled()) tr.client(a.bytes, a.secrets);
          after_write = true;
          std::error_code wec;
          const std::size_t n = t->try_write(asio::buffer(a.bytes.data(), a.bytes.size()), wec);
          if (wec || n == a.bytes.size()) {
            r = completed(wec, {});
            continue;
          }
          arm(deadline_for(a));
          t->async_write(asio::buffer(a.bytes.data() + n, a.bytes.size() - n),
                         [self = shared_from_this()](std::error_code ec, std::size_t) {
                           self->io_done(ec, {});
                         });
          return;
        }
        case action::type::start_tls: {
          if (!t || !t->is_open()) {
            r = io_result{make_error_code(errc::not_connected), {}};
            continue;
          }
          arm(deadline_for(a));
          t->async_tls_handshake([self = shared_from_this()](std::error_code ec, std::size_t) {
            self->io_done(ec, {});
          });
          return;
        }
        case action::type::close: {
          if (!t || !t->is_open()) {
            r = {};
            continue;
          }
          // A clean TLS close_notify, bounded: a server that does not answer it must not
          // delay the close by more than a moment.
          arm(std::chrono::seconds(2));
          t->async_tls_shutdown([self = shared_from_this()](std::error_code, std::size_t) {
            self->step_ended();
            self->t->close();
            self->tr.note("connection closed");
            self->why = interrupt::none;
            self->step({});
          });
          return;
        }
      }
    }
  }

  void finish(std::error_code ec) {
    op = nullptr;
    // On a caller's executor a pending timer would keep its io_context from running out.
    if (own_ctx)
      step_ended();
    else
      disarm_timer();
    auto d = std::move(done);
    if (done_inline) {
      done_inline = false;
      d(ec);
      return;
    }
    asio::post(ex, [d = std::move(d), ec]() mutable { d(ec); });
  }
};

connection::connection() {
  auto ctx = std::make_unique<asio::io_context>(1);
  impl_ = std::make_shared<impl>(ctx->get_executor());
  impl_->own_ctx = std::move(ctx);
}

connection::connection(asio::any_io_executor ex) : impl_(std::make_shared<impl>(std::move(ex))) {}

connection::~connection() {
  if (impl_->t) impl_->t->close();
  impl_->disarm_timer();
  if (impl_->own_ctx) {
    // Let the handlers that hold the impl run out, so nothing outlives its context.
    impl_->own_ctx->restart();
    impl_->own_ctx->poll();
  }
}

asio::any_io_executor connection::get_executor() const {
  return impl_->ex;
}

void connection::set_options(connect_options o) {
  impl_->tr = tracer(o.trace);
  impl_->opts = std::move(o);
}

const connect_options& connection::options() const {
  return impl_->opts;
}

void connection::start(operation& op, detail::unique_function<void(std::error_code)> done) {
  if (impl_->op) {
    asio::post(impl_->ex, [d = std::move(done)]() mutable {
      d(make_error_code(errc::operation_in_progress));
    });
    return;
  }
  impl_->op = &op;
  impl_->done = std::move(done);
  impl_->why = impl::interrupt::none;
  impl_->step(io_result{});
}

void connection::run(operation& op, std::error_code& ec) {
  if (impl_->own_ctx) {
    bool finished = false;
    // The caller is blocked right here: the completion needs no post (it would cost a
    // trip through the scheduler per call).
    impl_->done_inline = !impl_->op;
    // Reads wait in poll(2) (see the top). The eventfd exists before anything can wait, so
    // a wake() from another thread is never lost.
    const bool sync = !impl_->op && impl_->wake_fd_for_wait() >= 0;
    if (sync) impl_->sync_call = true;
    start(op, [&](std::error_code e) {
      finished = true;
      ec = e;
    });
    auto& ctx = *impl_->own_ctx;
    ctx.restart();
    while (!finished && ctx.run_one() > 0) {
    }
    if (sync) impl_->sync_call = false;
    if (!finished) ec = make_error_code(errc::connection_unusable);
    return;
  }
  std::promise<std::error_code> p;
  auto f = p.get_future();
  asio::post(impl_->ex,
             [this, &op, &p] { start(op, [&p](std::error_code e) { p.set_value(e); }); });
  ec = f.get();
}

void connection::cancel() {
  if (!impl_->op) return;
  impl_->why = impl::interrupt::cancel;
  if (impl_->t) impl_->t->cancel();
  impl_->disarm_timer();
}

void connection::wake() {
  if (const int fd = impl_->wake_fd.load(); fd >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(fd, &one, sizeof one);
  }
}

void connection::close() {
  if (impl_->t && impl_->t->is_open()) {
    impl_->t->close();
    impl_->tr.note("connection closed");
  }
}

void connection::expect_bytes(std::size_t n) {
  if (impl_->t) impl_->t->expect_bytes(n);
}

bool connection::is_open() const {
  return impl_->t && impl_->t->is_open();
}
bool connection::busy() const {
  return impl_->op != nullptr;
}
const tls_info& connection::tls() const {
  return impl_->t ? impl_->t->tls() : impl_->no_tls;
}
tracer& connection::trace() {
  return impl_->tr;
}

}  // namespace mailproto::net
