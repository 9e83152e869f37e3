// The POP3 operation engine; see exchange.hpp for the theory of operation.
#include "pop3/exchange.hpp"

#include <mailproto/net/errc.hpp>

#include <asio/error.hpp>

namespace mailproto::pop3::detail {

std::error_code classify(const response& r, bool auth_command) {
  // RFC 2449 §8.1: IN-USE and LOGIN-DELAY (and RFC 3206 SYS/TEMP) are temporary; AUTH
  // (RFC 3206 §4) means the credentials were wrong; SYS/PERM is a permanent failure.
  std::string code = r.code;
  for (auto& c : code)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  auto is = [&](std::string_view name) {
    return code == name ||
           (code.size() > name.size() && code.starts_with(name) && code[name.size()] == '/');
  };
  if (is("IN-USE") || is("LOGIN-DELAY") || is("SYS/TEMP")) return errc::temporarily_rejected;
  if (is("AUTH")) return errc::authentication_failed;
  if (is("SYS/PERM") || is("SYS")) return errc::rejected;
  return auth_command ? errc::authentication_failed : errc::rejected;
}

command& exchange::push(std::string line) {
  queue_.emplace_back();
  queue_.back().line = std::move(line);
  return queue_.back();
}

void exchange::send_raw(std::string line, bool secret) {
  raw_ = std::move(line);
  raw_secret_ = secret;
  raw_pending_ = true;
}

void exchange::fatal(std::error_code ec) {
  if (!fatal_) fatal_ = ec;
}

net::action exchange::finish(std::error_code ec) {
  return net::action::done(ec);
}

net::action exchange::io_failed(std::error_code ec) {
  p_.fail();
  if (ec == asio::error::eof) ec = net::errc::connection_closed;
  return finish(ec);
}

net::action exchange::resume(const net::io_result& r) {
  if (!started_) {
    started_ = true;
    // last_reply() belongs to this operation: a refusal found before sending has none.
    p_.set_last_reply({});
    if (precheck_) return finish(precheck_);
    if (connect_first) {
      io_ = io::connect;
      return net::action::connect();
    }
  } else {
    const io last = io_;
    io_ = io::none;
    switch (last) {
      case io::none:
        break;
      case io::connect:
      case io::write:
        if (r.ec) return io_failed(r.ec);
        break;
      case io::read:
        if (r.ec) return io_failed(r.ec);
        // Read in place: a bulk RETR's lines go to the sink without a copy into the
        // parser's buffer; what is left is kept below, before the next read reuses r.data.
        p_.parser().feed_borrowed(r.data);
        break;
      case io::tls:
        if (r.ec) return io_failed(r.ec);
        p_.set_tls_active(true);
        p_.parser().reset();
        if (on_tls) {
          std::error_code ec;
          on_tls(ec);
          if (ec) defer(ec);
        }
        break;
      case io::close:
        if (closing_fatal_) return finish(fatal_);
        if (p_.state() != pop3::state::failed) p_.set_state(pop3::state::disconnected);
        return finish(err_);
    }
  }
  net::action a = pump();
  p_.parser().keep();
  return a;
}

net::action exchange::pump() {
  auto& parser = p_.parser();
  for (;;) {
    // 1. Dispatch every complete response buffered.
    while (!flight_.empty() && !fatal_) {
      command& c = flight_.front();
      if (!parser.in_data()) {
        parser.expect(c.multiline, c.continuation);
        parser.count_lines(c.count_lines);
        parser.bulk(static_cast<bool>(c.on_bytes));
      }
      std::error_code ec;
      const auto ev = parser.next(ec);
      if (ec) {
        fatal(ec);
        break;
      }
      if (ev == response_parser::event::need_more) break;
      const bool live = !err_ && !discard_;
      switch (ev) {
        case response_parser::event::status: {
          const response& st = parser.status();
          if (st.type == response::kind::continuation) {
            if (live && c.on_cont) c.on_cont(st, ec);
            if (ec) route(ec);
            if (!live) {
              // Draining after an error: cancel the exchange (RFC 5034 §4).
              send_raw("*", false);
            }
            break;
          }
          p_.set_last_reply(st.to_reply());
          if (st.type == response::kind::ok) {
            if (live && c.on_ok) c.on_ok(st, ec);
            if (ec) route(ec);
            if (!c.multiline) flight_.pop_front();
          } else {
            ec = classify(st, c.auth);
            if (live && c.on_err) c.on_err(st, ec);
            if (ec) defer(ec);
            flight_.pop_front();
          }
          break;
        }
        case response_parser::event::data_line:
          delivered_ += parser.data().size() + 2;
          if (live && c.on_line) {
            c.on_line(parser.data(), ec);
            if (ec) {
              route(ec);
              discard_ = true;
            }
          }
          break;
        case response_parser::event::data_bytes:
          delivered_ += parser.data().size();
          if (live && c.on_bytes) {
            c.on_bytes(parser.data(), ec);
            if (ec) {
              route(ec);
              discard_ = true;
            }
          }
          break;
        case response_parser::event::end_of_data:
          if (live && c.on_end) {
            c.on_end(ec);
            if (ec) route(ec);
          }
          discard_ = false;
          delivered_ = 0;
          flight_.pop_front();
          break;
        case response_parser::event::need_more:
          break;
      }
    }

    // Bytes with no command in flight answer nothing we sent (RFC 1939 §3: one response per
    // command): taken as the next command's response, the session would be off by one.
    if (!fatal_ && flight_.empty() && parser.has_buffered()) fatal(errc::bad_response);

    // 2. A fatal error ends the operation; the connection is closed (best effort).
    if (fatal_) {
      p_.fail();
      closing_fatal_ = true;
      io_ = io::close;
      return net::action::close();
    }

    // A failed download-and-delete closes at once: no QUIT, so no update state (§6).
    if (err_ && close_on_error) {
      close_on_error = false;
      p_.set_state(pop3::state::disconnected);
      io_ = io::close;
      return net::action::close();
    }

    // 3. Writes: an AUTH response first, then queued commands within the window.
    if (raw_pending_) {
      raw_pending_ = false;
      out_ = std::move(raw_);
      raw_.clear();
      secrets_.clear();
      if (raw_secret_ && !out_.empty()) secrets_.push_back({0, out_.size()});
      out_ += "\r\n";
      io_ = io::write;
      return net::action::write(out_, secrets_);
    }
    if (tls_wanted_ && flight_.empty()) {
      tls_wanted_ = false;
      io_ = io::tls;
      return net::action::start_tls();
    }
    // Commands go out in batches: a batch is written only when the previous one has been
    // answered completely, so what goes on the wire never depends on how the server's
    // bytes were split into reads (deterministic pipelining, RFC 2449 §6.6).
    if (!err_ && !tls_wanted_ && !queue_.empty() && flight_.empty()) {
      out_.clear();
      secrets_.clear();
      bool wrote = false;
      while (!queue_.empty() && flight_.size() < p_.window()) {
        command& c = queue_.front();
        if (c.write) {
          if (c.secret_length > 0)
            secrets_.push_back({out_.size() + c.secret_offset, c.secret_length});
          out_ += c.line;
          out_ += "\r\n";
          wrote = true;
        }
        flight_.push_back(std::move(c));
        queue_.pop_front();
        if (!flight_.back().write) break;  // the greeting: read it before anything else
      }
      if (wrote) {
        io_ = io::write;
        return net::action::write(out_, secrets_);
      }
      continue;
    }

    // 4. Responses outstanding: read. The driver is told how many bytes are certainly still
    // to come (the RETR sizes from LIST, less what was parsed and what a partial line in the
    // parser may hold), so it can wait for them in batches.
    if (!flight_.empty()) {
      std::uint64_t expect = 0;
      for (const command& f : flight_) expect += f.expect;
      const std::uint64_t held = delivered_ + parser.limits().max_line + 2;
      p_.expect_bytes(expect > held ? static_cast<std::size_t>(expect - held) : 0);
      io_ = io::read;
      return net::action::read();
    }

    // 5. Idle: the operation may queue more, else it is done.
    if (!err_ && queue_.empty() && on_idle && !close_wanted_) {
      std::error_code ec;
      on_idle(ec);
      if (ec) defer(ec);
      if (!queue_.empty() && !err_) continue;
      if (fatal_) continue;
    }
    if (close_wanted_ || (err_ && close_on_error)) {
      close_wanted_ = false;
      io_ = io::close;
      return net::action::close();
    }
    return finish(err_);
  }
}

}  // namespace mailproto::pop3::detail
