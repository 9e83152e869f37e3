// The skeleton every IMAP command operation shares (private to src/imap).
//
// Theory of operation: an op builds its whole command with a command_writer BEFORE the
// first write (so an unsafe argument means nothing was sent), then
//
//   writing part k  --written--> part ends "{n}"? wait for "+" : next part / read
//   reading         --bytes-->   parser events:
//        "+"            -> next command part (literal go-ahead) or on_continuation()
//        untagged       -> on_untagged() (the op's data) + protocol::apply_untagged()
//        literal events -> on_literal() (streamed FETCH bodies)
//        tagged, ours   -> on_done(): the result; an op may chain another command (again_)
//        tagged, other  -> errc::unexpected_tag (fatal)
//
// EOF, timeouts, parse errors and a BYE are fatal: the protocol enters `failed`.
#pragma once

#include <mailproto/imap/detail/ops.hpp>
#include <mailproto/imap/errc.hpp>
#include <mailproto/net/errc.hpp>

#include <asio/error.hpp>

#include <optional>
#include <type_traits>
#include <variant>

namespace mailproto::imap::detail {

using net::action;
using net::io_result;

/// OK -> {}, NO -> errc::no (or unavailable for temporary codes), BAD -> errc::bad.
std::error_code status_error(const response& r);

template <class R>
class command_op : public net::result_operation<R> {
 public:
  explicit command_op(protocol& p) : p_(p) {}

  action resume(const io_result& r) override {
    switch (step_) {
      case step::start:
        if (p_.failed()) return finish(net::errc::connection_unusable);
        if (auto ec = check_state()) return finish(ec);
        return send_command();
      case step::writing:
        if (r.ec) return fatal(io_error(r.ec));
        return after_write();
      case step::reading:
        if (r.ec) {
          if (auto a = on_read_error(r.ec)) return *a;
          return fatal(io_error(r.ec));
        }
        p_.parser().feed(r.data);
        return process();
      case step::custom:
        return on_custom(r);
      case step::closing:
        step_ = step::done;
        return action::done(final_ec_);
      case step::done:
        break;
    }
    return action::done(final_ec_);
  }

  R take_result() override {
    if constexpr (!std::is_void_v<R>) return std::move(result_);
  }

 protected:
  enum class step { start, writing, reading, custom, closing, done };

  // ---- hooks
  virtual std::error_code check_state() { return require_auth(); }
  virtual std::error_code build(command_writer& w, const std::string& tag) = 0;
  /// Return true when the response is this op's data (it then raises no event).
  virtual bool on_untagged(const response&) { return false; }
  virtual void on_event(const event&) {}
  /// Whether the FETCH responses this op consumes also reach on_event() decoded (IDLE);
  /// FETCH/STORE/pipeline decode them themselves and say no.
  virtual bool events_for_own_fetch() const { return true; }
  /// Checked after every untagged response: an action to take now (IDLE's DONE).
  virtual std::optional<action> after_event() { return std::nullopt; }
  virtual void on_literal(const parser_event&) {}
  virtual action on_continuation(const response&) { return fatal(errc::unexpected_continuation); }
  /// The tagged completion. Set again_ to send build() once more (a chained command).
  virtual std::error_code on_done(const response& r) { return status_error(r); }
  virtual std::optional<action> on_read_error(std::error_code) { return std::nullopt; }
  /// Whether a tagged response answers this op (pipelined ops own several tags).
  virtual bool owns_tag(const std::string& tag) const { return tag == tag_; }
  virtual action on_custom(const io_result&) { return fatal(errc::bad_response); }
  /// The current part was written and needs no "+": go on.
  virtual action advance() {
    if (idx_ + 1 < parts_.size()) {
      ++idx_;
      return write_part();
    }
    return process();
  }

  // ---- helpers
  std::error_code require_auth() const {
    if (p_.state() != session_state::authenticated && p_.state() != session_state::selected)
      return errc::wrong_state;
    return {};
  }
  std::error_code require_selected() const {
    if (p_.state() != session_state::selected) return errc::wrong_state;
    return {};
  }

  action send_command() {
    if (auto a = drain_before_command()) return *a;
    command_writer w(p_.lit_mode(), p_.utf8());
    std::string tag = p_.peek_tag();
    if (auto ec = build(w, tag)) return finish(ec);
    if (auto ec = w.finish()) return finish(ec);
    p_.next_tag();
    tag_ = tag;
    parts_ = w.take_parts();
    idx_ = 0;
    return write_part();
  }

  /// Responses that arrived before a command is sent can only be untagged data (RFC 9051
  /// §2.2.2, §7: the server answers commands the client sent; a "+" answers a command being
  /// sent). A tagged completion or a continuation queued ahead of the command would
  /// otherwise be taken as its answer (a spoofed "a1 OK" faking a LOGIN): refuse it, and a
  /// half-received line that is not untagged too.
  std::optional<action> drain_before_command() {
    auto& parser = p_.parser();
    while (parser.has_buffered()) {
      std::error_code ec;
      const parser_event ev = parser.next(ec);
      if (ec) return fatal(ec);
      if (ev.kind == parser_event::type::need_more) {
        const std::string_view rest = parser.buffered();
        if (parser.at_response_start() && !rest.empty() && rest.front() != '*')
          return fatal(errc::unexpected_tag);
        return std::nullopt;
      }
      if (ev.kind != parser_event::type::response) continue;  // an unsolicited literal
      const response& r = parser.get();
      if (r.type == response::kind::continuation) return fatal(errc::unexpected_continuation);
      if (r.type != response::kind::untagged) return fatal(errc::unexpected_tag);
      if (auto e = p_.apply_untagged(r, false)) on_event(*e);
    }
    return std::nullopt;
  }

  action write_part() {
    step_ = step::writing;
    extra_write_ = false;
    const auto& pt = parts_[idx_];
    return action::write(pt.bytes, pt.secrets);
  }

  /// Write bytes outside the command parts (SASL responses, DONE).
  action write_extra(std::string bytes, std::vector<net::secret_span> secrets = {}) {
    extra_ = std::move(bytes);
    step_ = step::writing;
    extra_write_ = true;
    return action::write(extra_, std::move(secrets));
  }

  virtual action after_write() {
    if (extra_write_) {
      extra_write_ = false;
      return process();
    }
    if (parts_[idx_].wait_continuation) {
      waiting_cont_ = true;
      return process();
    }
    return advance();
  }

  action process() {
    for (;;) {
      std::error_code ec;
      const parser_event ev = p_.parser().next(ec);
      if (ec) return fatal(ec);
      switch (ev.kind) {
        case parser_event::type::need_more:
          step_ = step::reading;
          return read_action();
        case parser_event::type::literal_begin:
        case parser_event::type::literal_chunk:
        case parser_event::type::literal_end:
          on_literal(ev);
          continue;
        case parser_event::type::response:
          break;
      }
      const response& r = p_.parser().get();
      if (r.type == response::kind::continuation) {
        if (waiting_cont_) {
          waiting_cont_ = false;
          return advance();
        }
        return on_continuation(r);
      }
      if (r.type == response::kind::untagged) {
        const bool mine = on_untagged(r);
        if (mine && !events_for_own_fetch() && r.name == "FETCH")
          p_.track_fetch_modseq(r);  // already decoded by the op: no second decode
        else if (auto e = p_.apply_untagged(r, mine))
          on_event(*e);
        if (auto a = after_event()) return *a;
        continue;
      }
      if (!owns_tag(r.tag)) return fatal(errc::unexpected_tag);
      waiting_cont_ = false;
      p_.set_reply(r);
      p_.apply_untagged(r, true);
      again_ = false;
      const std::error_code res = on_done(r);
      if (handoff_) {
        handoff_ = false;
        return pending_;
      }
      if (keep_reading_) {  // pipelined commands still outstanding
        keep_reading_ = false;
        continue;
      }
      if (!res && again_) return send_command();
      if (close_after_) {
        final_ec_ = res;
        step_ = step::closing;
        return action::close();
      }
      return finish(res);
    }
  }

  action fatal(std::error_code ec) {
    p_.fail();
    return finish(ec);
  }
  action finish(std::error_code ec) {
    final_ec_ = ec;
    step_ = step::done;
    return action::done(ec);
  }
  std::error_code io_error(std::error_code ec) const {
    if (ec == asio::error::eof)
      return p_.bye_received() ? make_error_code(errc::bye)
                               : make_error_code(net::errc::connection_closed);
    return ec;
  }

  protocol& p_;
  step step_ = step::start;
  std::string tag_;
  std::vector<command_writer::part> parts_;
  std::size_t idx_ = 0;
  bool waiting_cont_ = false;
  bool extra_write_ = false;
  bool again_ = false;
  bool close_after_ = false;
  bool keep_reading_ = false;  // set by on_done(): more tagged completions are due
  std::string extra_;
  std::chrono::milliseconds read_timeout_{0};
  bool wakeable_reads_ = false;  // connection::wake() may end the reads (idle)
  action read_action() const {
    action a = action::read(read_timeout_);
    a.wakeable = wakeable_reads_;
    return a;
  }
  std::error_code final_ec_;
  action pending_;        // returned by process() instead of finishing when handoff_ is set
  bool handoff_ = false;  // set by on_done() when it chose the next action itself
  std::conditional_t<std::is_void_v<R>, std::monostate, R> result_{};
};

}  // namespace mailproto::imap::detail
