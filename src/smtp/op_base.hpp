// Private: what every SMTP operation shares — reply reading, fatal-error handling, 421.
//
// An operation derives from op_base<R> and implements step(): called by resume() after the
// common handling (I/O errors, feeding read bytes to the parser). The helpers return the
// net::action to hand back to the driver.
#pragma once

#include <mailproto/net/errc.hpp>
#include <mailproto/net/operation.hpp>
#include <mailproto/smtp/errc.hpp>
#include <mailproto/smtp/protocol.hpp>

#include <asio/error.hpp>

#include <optional>
#include <string>

namespace mailproto::smtp::detail {

template <class R>
class op_base : public net::result_operation<R> {
 public:
  explicit op_base(protocol& p) : p_(p) {}

  net::action resume(const net::io_result& r) final {
    if (closing_) return net::action::done(final_ec_);
    if (r.ec) return on_io_error(r.ec);
    if (!r.data.empty()) p_.feed(r.data);
    return step();
  }

 protected:
  virtual net::action step() = 0;

  /// An I/O step failed: the session is over. EOF in the middle of an exchange is
  /// connection_closed. Derived ops may translate the error first (connect: TLS mismatch).
  virtual net::action on_io_error(std::error_code ec) {
    if (ec == asio::error::eof) ec = net::errc::connection_closed;
    return fatal(ec);
  }

  /// A fatal error: mark the session failed, close the connection, then finish with `ec`.
  net::action fatal(std::error_code ec) {
    p_.set_failed();
    closing_ = true;
    final_ec_ = ec;
    return net::action::close();
  }

  /// Precondition of every command: a ready session.
  std::optional<net::action> check_ready() {
    if (p_.state() == session_state::failed)
      return net::action::done(net::errc::connection_unusable);
    if (p_.state() != session_state::ready) return net::action::done(errc::not_ready);
    return std::nullopt;
  }

  /// Take the next reply into `rep`. Returns nullopt when one is there; otherwise the action
  /// to return (read more, or the fatal error the parser found).
  std::optional<net::action> take_reply(server_reply& rep, std::chrono::milliseconds t) {
    std::error_code ec;
    if (p_.next_reply(rep, ec)) {
      if (rep.code == 421) return fatal(errc::service_closing);  // RFC 5321 §3.8
      return std::nullopt;
    }
    if (ec) return fatal(ec);
    return net::action::read(t);
  }

  net::action write(std::string_view bytes, std::chrono::milliseconds t,
                    std::vector<net::secret_span> secrets = {}) {
    return net::action::write(bytes, std::move(secrets), t);
  }

  std::chrono::milliseconds command_timeout() const { return p_.options().timeouts.command; }

  static bool positive(const server_reply& r) { return r.code >= 200 && r.code < 300; }
  /// The error for a refusal: the reply code in the reply category.
  static std::error_code refusal(const server_reply& r) {
    if (r.code >= 400 && r.code < 600) return make_reply_error(r.code);
    return errc::unexpected_reply;
  }

  /// Finish with the refusal in `r`: a 4xx/5xx ends this command only; any other code here
  /// means client and server disagree about the state, which is fatal.
  net::action refused(const server_reply& r) {
    if (r.code >= 400 && r.code < 600) return net::action::done(make_reply_error(r.code));
    return fatal(errc::unexpected_reply);
  }

  protocol& p_;
  std::string out_;  // bytes of the current write (valid until the next resume)
  bool closing_ = false;
  std::error_code final_ec_;
};

}  // namespace mailproto::smtp::detail
