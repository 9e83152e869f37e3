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
// Every I/O step arms timer_ with the action's deadline. On expiry the transport is
// cancelled and the step's error becomes errc::timeout; a cancellation requested by the
// caller becomes errc::cancelled. The impl is shared_ptr-owned and every handler holds a
// reference, so a connection destroyed mid-operation does not leave dangling handlers.
#include <mailproto/net/connection.hpp>

#include "net/tcp_transport.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <future>
#include <vector>

namespace mailproto::net {

struct connection::impl : std::enable_shared_from_this<impl> {
  explicit impl(asio::any_io_executor e) : ex(std::move(e)), timer(ex) {}

  std::unique_ptr<asio::io_context> own_ctx;
  asio::any_io_executor ex;
  asio::steady_timer timer;
  connect_options opts;
  tracer tr;
  std::unique_ptr<transport> t;
  tls_info no_tls;

  operation* op = nullptr;
  detail::unique_function<void(std::error_code)> done;
  enum class interrupt { none, timeout, cancel } why = interrupt::none;
  std::vector<char> rbuf = std::vector<char>(16 * 1024);
  unsigned arm_id = 0;  // bumps per armed deadline, so a stale timer handler does nothing

  std::chrono::milliseconds deadline_for(const action& a) const {
    if (a.timeout.count() > 0) return a.timeout;
    return a.kind == action::type::connect ? opts.connect_timeout : opts.io_timeout;
  }

  void arm(std::chrono::milliseconds d) {
    timer.expires_after(d);
    timer.async_wait([self = shared_from_this(), id = ++arm_id](std::error_code ec) {
      if (ec || id != self->arm_id || !self->op) return;
      self->why = interrupt::timeout;
      if (self->t) self->t->cancel();
    });
  }

  std::error_code translate(std::error_code ec) {
    if (ec == asio::error::operation_aborted) {
      if (why == interrupt::timeout) return make_error_code(errc::timeout);
      if (why == interrupt::cancel) return make_error_code(errc::cancelled);
    }
    if (ec == asio::error::eof) return ec;  // protocols decide whether EOF is an error here
    return ec;
  }

  // Completion of an I/O step: stop the timer, translate the error, trace, resume.
  void io_done(std::error_code ec, std::string_view data) {
    ++arm_id;
    timer.cancel();
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
    step(io_result{ec, data});
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
          arm(deadline_for(a));
          t->async_read_some(asio::buffer(rbuf),
                             [self = shared_from_this()](std::error_code ec, std::size_t n) {
                               std::string_view data(self->rbuf.data(), ec ? 0 : n);
                               if (!data.empty()) self->tr.server(data);
                               self->io_done(ec, data);
                             });
          return;
        }
        case action::type::write: {
          if (!t || !t->is_open()) {
            r = io_result{make_error_code(errc::not_connected), {}};
            continue;
          }
          tr.client(a.bytes, a.secrets);
          arm(deadline_for(a));
          t->async_write(asio::buffer(a.bytes.data(), a.bytes.size()),
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
          timer.expires_after(std::chrono::seconds(2));
          timer.async_wait([self = shared_from_this(), id = ++arm_id](std::error_code ec) {
            if (!ec && id == self->arm_id && self->t) self->t->cancel();
          });
          t->async_tls_shutdown([self = shared_from_this()](std::error_code, std::size_t) {
            ++self->arm_id;
            self->timer.cancel();
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
    ++arm_id;
    timer.cancel();
    op = nullptr;
    auto d = std::move(done);
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
  impl_->timer.cancel();
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
    start(op, [&](std::error_code e) {
      finished = true;
      ec = e;
    });
    auto& ctx = *impl_->own_ctx;
    ctx.restart();
    while (!finished && ctx.run_one() > 0) {
    }
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
  impl_->timer.cancel();
}

void connection::close() {
  if (impl_->t && impl_->t->is_open()) {
    impl_->t->close();
    impl_->tr.note("connection closed");
  }
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
