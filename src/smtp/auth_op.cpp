// The AUTH operation (RFC 4954) over the shared SASL mechanisms.
//
// Steps:
//   start:    TLS or allow_plaintext_auth (else plaintext_auth_refused, nothing sent);
//             AUTH offered (auth_not_offered); sasl::choose the strongest mechanism for the
//             credential kind; the initial response goes on the AUTH line (RFC 4954 §4) when
//             the line stays within 512 octets, "=" standing for an empty one.
//   exchange: 334 <base64 challenge> -> base64 response line (secret in the trace);
//             a malformed challenge or a mechanism error cancels with "*" (RFC 4954 §4);
//             235 success (the mechanism verifies the server's proof, SCRAM);
//             535/534/454/other 4xx-5xx -> auth_failed; the reply stays in last_reply(),
//             with the mechanism's decoded detail (XOAUTH2 JSON) as an extra line.
#include "smtp/op_base.hpp"

#include <mailproto/sasl/base64.hpp>
#include <mailproto/smtp/detail/ops.hpp>

namespace mailproto::smtp::detail {
namespace {

class auth_op final : public op_base<void> {
 public:
  auth_op(protocol& p, sasl::credentials c, auth_options o)
      : op_base(p), creds_(std::move(c)), opts_(std::move(o)) {}
  void take_result() override {}

 private:
  enum class st { start, exchange, cancelled };

  net::action step() override {
    server_reply rep;
    switch (step_) {
      case st::start:
        return start();
      case st::exchange: {
        if (auto a = take_reply(rep, command_timeout())) return *a;
        if (rep.code == 334) return challenge(rep);
        if (rep.code == 235) {
          std::error_code ec;
          mech_->verify_success("", ec);
          if (ec) return fatal(ec);  // the server did not prove it knows the password
          p_.set_authenticated();
          return net::action::done();
        }
        if (rep.code >= 400 && rep.code < 600) {
          if (auto d = mech_->error_detail(); !d.empty())
            p_.annotate_last_reply(std::string(mech_->name()) + " error: " + d);
          return net::action::done(errc::auth_failed);
        }
        return fatal(errc::unexpected_reply);
      }
      case st::cancelled: {
        // RFC 4954 §4: the server answers "*" with 501; any 4xx/5xx ends the exchange.
        if (auto a = take_reply(rep, command_timeout())) return *a;
        if (rep.code == 334 || rep.code == 235) return fatal(errc::unexpected_reply);
        if (mailproto::is_fatal(cancel_reason_)) return fatal(cancel_reason_);
        return net::action::done(cancel_reason_);
      }
    }
    return fatal(errc::unexpected_reply);
  }

  net::action start() {
    if (auto a = check_ready()) return *a;
    const bool tls = p_.tls_active();
    if (!tls && !p_.options().allow_plaintext_auth)
      return net::action::done(net::errc::plaintext_auth_refused);
    if (p_.capabilities().auth.empty()) return net::action::done(errc::auth_not_offered);
    std::error_code ec;
    const std::string name = sasl::choose(p_.capabilities().auth, creds_, tls,
                                          p_.options().allow_plaintext_auth, opts_.mechanism, ec);
    if (ec) return net::action::done(ec);
    mech_ = sasl::make_mechanism(name, creds_, opts_.mechanism_options, ec);
    if (ec || !mech_) return net::action::done(ec ? ec : sasl::errc::unknown_mechanism);
    out_ = "AUTH " + name;
    std::vector<net::secret_span> secrets;
    if (mech_->client_first()) {
      std::string ir = mech_->respond("", ec);
      if (ec) return net::action::done(ec);  // nothing sent yet
      std::string enc = ir.empty() ? std::string("=") : sasl::base64_encode(ir);
      // RFC 4954 §4: no initial response if the command would exceed 512 octets.
      if (opts_.initial_response && out_.size() + 1 + enc.size() + 2 <= 512) {
        out_ += ' ';
        secrets.push_back({out_.size(), enc.size()});
        out_ += enc;
      } else {
        pending_ir_ = std::move(ir);
        has_pending_ir_ = true;
      }
    }
    out_ += "\r\n";
    step_ = st::exchange;
    return write(out_, command_timeout(), std::move(secrets));
  }

  net::action challenge(const server_reply& rep) {
    std::string response;
    if (has_pending_ir_) {
      // The initial response was held back; the server asks with an empty 334.
      has_pending_ir_ = false;
      response = std::move(pending_ir_);
    } else {
      const std::string text = rep.lines.empty() ? std::string() : rep.lines.back();
      auto decoded = sasl::base64_decode(text);
      if (!decoded) return cancel(sasl::errc::bad_challenge);
      std::error_code ec;
      response = mech_->respond(*decoded, ec);
      if (ec) return cancel(ec);
    }
    const std::string enc = sasl::base64_encode(response);
    out_ = enc + "\r\n";
    std::vector<net::secret_span> secrets;
    if (!enc.empty() && mech_->is_secret_response()) secrets.push_back({0, enc.size()});
    return write(out_, command_timeout(), std::move(secrets));
  }

  net::action cancel(std::error_code why) {
    cancel_reason_ = why;
    step_ = st::cancelled;
    out_ = "*\r\n";
    return write(out_, command_timeout());
  }

  sasl::credentials creds_;
  auth_options opts_;
  std::unique_ptr<sasl::mechanism> mech_;
  std::string pending_ir_;
  bool has_pending_ir_ = false;
  std::error_code cancel_reason_;
  st step_ = st::start;
};

}  // namespace

std::unique_ptr<net::result_operation<void>> make_auth_op(protocol& p, sasl::credentials creds,
                                                          auth_options opts) {
  return std::make_unique<auth_op>(p, std::move(creds), std::move(opts));
}

}  // namespace mailproto::smtp::detail
