// The connect operation: TCP (+ implicit TLS), greeting, EHLO/HELO, STARTTLS, EHLO again.
//
// Steps (RFC 5321 §3.1, §3.2, §4.1.1.1; RFC 3207 §4, §4.2):
//   connecting -> greeting: 220 ok; 554 greeting_refused; a TLS record instead of text means
//                 the port speaks implicit TLS (tls_mode_mismatch)
//   ehlo       -> 250 capabilities; 5xx -> helo (RFC 5321 §3.2 fallback)
//   starttls   -> 220: nothing else may be buffered (response injection, CVE-2011-0411),
//                 then the handshake; capabilities are forgotten and asked again over TLS
#include "smtp/op_base.hpp"

#include <mailproto/smtp/detail/ops.hpp>

namespace mailproto::smtp::detail {
namespace {

bool looks_like_tls_record(std::string_view b) {
  // TLS record header: content type 21 (alert) or 22 (handshake), version major 3.
  return !b.empty() && (b[0] == '\x15' || b[0] == '\x16') && (b.size() < 2 || b[1] == '\x03');
}

class connect_op final : public op_base<void> {
 public:
  connect_op(protocol& p, net::tls_mode mode) : op_base(p), mode_(mode) {}
  void take_result() override {}

 private:
  enum class st { start, connecting, greeting, ehlo, helo, starttls, handshake };

  net::action on_io_error(std::error_code ec) override {
    if (step_ == st::connecting && mode_ == net::tls_mode::implicit &&
        ec == net::errc::tls_handshake_failed)
      // The usual cause: implicit TLS against a port that greets in clear (587, 25); the
      // server's "220 ..." is garbage to the TLS layer.
      return fatal(errc::tls_mode_mismatch);
    if (step_ == st::greeting && looks_like_tls_record(p_.parser().buffered_bytes()))
      return fatal(errc::tls_mode_mismatch);
    return op_base::on_io_error(ec);
  }

  net::action send_ehlo() {
    step_ = st::ehlo;
    out_ = "EHLO " + p_.options().helo_name + "\r\n";
    return write(out_, command_timeout());
  }

  net::action step() override {
    server_reply rep;
    switch (step_) {
      case st::start: {
        const auto& name = p_.options().helo_name;
        if (name.empty() || !net::is_safe_wire_value(name) || name.find(' ') != std::string::npos)
          return net::action::done(net::errc::unsafe_argument);
        p_.begin_connect();
        step_ = st::connecting;
        return net::action::connect();
      }
      case st::connecting:
        if (mode_ == net::tls_mode::implicit) p_.set_tls_active();
        step_ = st::greeting;
        return net::action::read(p_.options().timeouts.greeting);
      case st::greeting: {
        if (looks_like_tls_record(p_.parser().buffered_bytes()))
          return fatal(errc::tls_mode_mismatch);
        if (auto a = take_reply(rep, p_.options().timeouts.greeting)) return *a;
        if (rep.code == 554) return fatal(errc::greeting_refused);  // RFC 5321 §3.1
        if (rep.code != 220) return fatal(errc::unexpected_reply);
        // One greeting, then the server waits for our command (RFC 5321 §3.1, §4.3.1): more
        // bytes now are replies to commands not sent yet (a desynchronised session).
        if (p_.parser().has_buffered()) return fatal(errc::unexpected_reply);
        return send_ehlo();
      }
      case st::ehlo: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        if (rep.code == 250) {
          p_.set_capabilities(capabilities::parse(rep));
          return after_capabilities();
        }
        if (rep.code >= 500 && rep.code < 600) {  // RFC 5321 §3.2: fall back to HELO
          step_ = st::helo;
          out_ = "HELO " + p_.options().helo_name + "\r\n";
          return write(out_, command_timeout());
        }
        return fatal(refusal(rep));
      }
      case st::helo: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        if (rep.code != 250) return fatal(refusal(rep));
        capabilities c;
        if (!rep.lines.empty()) c.server_name = rep.lines[0].substr(0, rep.lines[0].find(' '));
        p_.set_capabilities(c);
        return after_capabilities();
      }
      case st::starttls: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        if (rep.code != 220) {
          if (mode_ == net::tls_mode::starttls_if_available) return ready();
          return fatal(refusal(rep));
        }
        // RFC 3207 §4 / CVE-2011-0411: whatever arrived after the go-ahead was sent in clear
        // by someone; acting on it later would let an attacker inject replies.
        if (p_.parser().has_buffered()) return fatal(net::errc::data_before_tls_handshake);
        step_ = st::handshake;
        return net::action::start_tls();
      }
      case st::handshake:
        // RFC 3207 §4.2: forget everything learnt in clear, ask again.
        p_.set_tls_active();
        p_.set_capabilities({});
        p_.parser().reset();
        return send_ehlo();
    }
    return fatal(errc::unexpected_reply);
  }

  net::action after_capabilities() {
    // Nothing was sent after EHLO/HELO: any further reply is unsolicited (RFC 5321 §4.3.1).
    if (p_.parser().has_buffered()) return fatal(errc::unexpected_reply);
    const bool want_tls =
        mode_ == net::tls_mode::starttls || mode_ == net::tls_mode::starttls_if_available;
    if (want_tls && !p_.tls_active()) {
      if (p_.capabilities().starttls) {
        step_ = st::starttls;
        out_ = "STARTTLS\r\n";
        return write(out_, command_timeout());
      }
      if (mode_ == net::tls_mode::starttls) return fatal(net::errc::starttls_not_offered);
    }
    return ready();
  }

  net::action ready() {
    p_.set_state(session_state::ready);
    return net::action::done();
  }

  net::tls_mode mode_;
  st step_ = st::start;
};

}  // namespace

std::unique_ptr<net::result_operation<void>> make_connect_op(protocol& p, net::tls_mode mode) {
  return std::make_unique<connect_op>(p, mode);
}

}  // namespace mailproto::smtp::detail
