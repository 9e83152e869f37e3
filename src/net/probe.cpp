// The probe operation. States, in order:
//
//   connect -> greeting -> [ehlo (SMTP)] -> [starttls -> tls] -> [ehlo again (SMTP)]
//           -> goodbye -> close -> done
//
// A reply is one line for POP3 (+OK / -ERR) and IMAP (tagged), and a multi-line reply for
// SMTP (RFC 5321 §4.2.1: "250-" continues, "250 " ends). After the STARTTLS go-ahead, any
// byte already buffered is an injection attempt (RFC 3207 §4, CVE-2011-0411) and ends the
// probe with errc::data_before_tls_handshake before the handshake starts.
#include <mailproto/net/line_buffer.hpp>
#include <mailproto/net/probe.hpp>

#include <asio/error.hpp>

namespace mailproto::net {
namespace {

class probe_op final : public result_operation<probe_result> {
 public:
  probe_op(probe_protocol p, tls_mode mode, std::size_t max_line)
      : proto_(p), tls_mode_(mode), implicit_(mode == tls_mode::implicit), lines_(max_line) {}

  probe_result take_result() override { return std::move(result_); }

  action resume(const io_result& r) override {
    if (r.ec && step_ != step::closing) {
      if (step_ == step::goodbye_reply) return finish({});  // a server that hangs up on QUIT
      return fail(r.ec == asio::error::eof ? make_error_code(errc::connection_closed) : r.ec);
    }
    if (!r.data.empty()) lines_.feed(r.data);
    switch (step_) {
      case step::start:
        step_ = step::greeting;
        return action::connect();
      case step::greeting:
      case step::ehlo_reply:
      case step::starttls_reply:
      case step::goodbye_reply:
        return on_data();
      case step::tls_handshake:
        // TLS is up: old capabilities are void (RFC 3207 §4.2); SMTP asks again.
        if (proto_ == probe_protocol::smtp) return send("EHLO probe.invalid", step::ehlo_reply);
        return goodbye();
      case step::closing:
        return action::done(error_);
    }
    return action::done(error_);
  }

 private:
  enum class step {
    start,
    greeting,
    ehlo_reply,
    starttls_reply,
    tls_handshake,
    goodbye_reply,
    closing
  };

  // Reads lines until a complete reply is there; returns read() while waiting.
  action on_data() {
    for (;;) {
      std::error_code ec;
      auto line = lines_.next_line(ec);
      if (ec) return fail(ec);
      if (!line) return action::read();
      std::string l(*line);
      if (proto_ == probe_protocol::smtp && l.size() >= 4 && l[3] == '-') {
        if (step_ == step::ehlo_reply) result_.capabilities.push_back(l.substr(4));
        continue;  // multi-line SMTP reply goes on
      }
      if (proto_ == probe_protocol::imap && step_ != step::greeting && l.rfind("* ", 0) == 0)
        continue;  // untagged data (e.g. * BYE) before the tagged reply
      return on_reply(l);
    }
  }

  bool positive(const std::string& l) const {
    switch (proto_) {
      case probe_protocol::smtp:
        return !l.empty() && (l[0] == '2' || l[0] == '3');
      case probe_protocol::pop3:
        return l.rfind("+OK", 0) == 0;
      case probe_protocol::imap:
        return l.rfind("* OK", 0) == 0 || l.rfind("* PREAUTH", 0) == 0 ||
               l.find(" OK") == l.find(' ');
    }
    return false;
  }

  action on_reply(const std::string& l) {
    const auto mode = tls_mode_;
    switch (step_) {
      case step::greeting:
        result_.greeting = l;
        if (!positive(l)) return fail(make_error_code(errc::connection_closed));
        if (proto_ == probe_protocol::smtp) return send("EHLO probe.invalid", step::ehlo_reply);
        return after_capabilities();
      case step::ehlo_reply:
        if (l.size() > 4) result_.capabilities.push_back(l.substr(4));
        if (!positive(l)) return fail(make_error_code(errc::connection_closed));
        return after_capabilities();
      case step::starttls_reply:
        if (!positive(l)) {
          if (mode == tls_mode::starttls_if_available) return goodbye();
          return fail(make_error_code(errc::starttls_not_offered));
        }
        if (!lines_.empty()) return fail(make_error_code(errc::data_before_tls_handshake));
        tls_done_ = true;
        result_.starttls_used = true;
        result_.capabilities.clear();
        step_ = step::tls_handshake;
        return action::start_tls();
      case step::goodbye_reply:
        step_ = step::closing;
        return action::close();
      default:
        return fail(make_error_code(errc::connection_closed));
    }
  }

  action after_capabilities() {
    if (!tls_done_ &&
        (tls_mode_ == tls_mode::starttls || tls_mode_ == tls_mode::starttls_if_available)) {
      if (proto_ == probe_protocol::smtp) {
        bool offered = false;
        for (const auto& c : result_.capabilities)
          if (c == "STARTTLS" || c.rfind("STARTTLS ", 0) == 0) offered = true;
        if (!offered) {
          if (tls_mode_ == tls_mode::starttls_if_available) return goodbye();
          return fail(make_error_code(errc::starttls_not_offered));
        }
        return send("STARTTLS", step::starttls_reply);
      }
      return send(proto_ == probe_protocol::pop3 ? "STLS" : "a1 STARTTLS", step::starttls_reply);
    }
    return goodbye();
  }

  action goodbye() {
    result_.tls = tls_done_ || implicit_;
    return send(proto_ == probe_protocol::imap ? "a2 LOGOUT" : "QUIT", step::goodbye_reply);
  }

  action send(std::string cmd, step next) {
    out_ = std::move(cmd) + "\r\n";
    step_ = next;
    return action::write(out_);
  }

  action fail(std::error_code ec) {
    error_ = ec;
    step_ = step::closing;
    return action::close();
  }

  action finish(std::error_code ec) {
    error_ = ec;
    step_ = step::closing;
    return action::close();
  }

 private:
  probe_protocol proto_;
  tls_mode tls_mode_;
  bool implicit_;
  line_buffer lines_;
  step step_ = step::start;
  bool tls_done_ = false;
  std::string out_;
  std::error_code error_;
  probe_result result_;
};

}  // namespace

std::unique_ptr<result_operation<probe_result>> make_probe_op(probe_protocol p, tls_mode mode,
                                                              std::size_t max_line) {
  return std::make_unique<probe_op>(p, mode, max_line);
}

probe_result probe(connection& conn, const connect_options& o, probe_protocol p,
                   std::error_code& ec) {
  conn.set_options(o);
  probe_op op(p, o.tls, o.max_line);
  conn.run(op, ec);
  return op.take_result();
}

}  // namespace mailproto::net
