// The "mailproto.smtp" and "mailproto.smtp.reply" categories (see smtp/errc.hpp).
#include <mailproto/smtp/errc.hpp>

#include <string>

namespace mailproto::smtp {
namespace {

class smtp_category_impl final : public mailproto::detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.smtp"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::bad_reply:
        return "malformed SMTP reply";
      case errc::reply_too_long:
        return "SMTP reply has too many lines";
      case errc::inconsistent_reply:
        return "multi-line SMTP reply with different codes";
      case errc::unexpected_reply:
        return "unexpected SMTP reply";
      case errc::greeting_refused:
        return "the server refused the connection (554 greeting)";
      case errc::service_closing:
        return "the server is closing the connection (421)";
      case errc::tls_mode_mismatch:
        return "TLS mode mismatch (implicit TLS against a STARTTLS port, or the reverse)";
      case errc::auth_not_offered:
        return "the server does not offer authentication";
      case errc::auth_failed:
        return "authentication failed";
      case errc::no_recipients:
        return "no recipients";
      case errc::bad_address:
        return "invalid address";
      case errc::smtputf8_required:
        return "UTF-8 address but the server does not support SMTPUTF8";
      case errc::extension_not_supported:
        return "the server does not support a required SMTP extension";
      case errc::message_too_large:
        return "message exceeds the server's size limit";
      case errc::all_recipients_rejected:
        return "all recipients were rejected";
      case errc::recipients_deferred:
        return "all recipients were rejected (some temporarily)";
      case errc::some_recipients_rejected:
        return "a recipient was rejected (all-or-nothing)";
      case errc::not_ready:
        return "not connected to an SMTP server";
    }
    return "unknown mailproto.smtp error";
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::bad_reply:
      case errc::reply_too_long:
      case errc::inconsistent_reply:
      case errc::unexpected_reply:
        return condition::protocol_violation;
      case errc::greeting_refused:
      case errc::all_recipients_rejected:
      case errc::some_recipients_rejected:
      case errc::message_too_large:
        return condition::permanent;
      case errc::service_closing:
      case errc::recipients_deferred:
        return condition::transient;
      case errc::tls_mode_mismatch:
        return condition::tls_failed;
      case errc::auth_not_offered:
      case errc::auth_failed:
        return condition::auth_failed;
      case errc::no_recipients:
      case errc::bad_address:
      case errc::smtputf8_required:
      case errc::extension_not_supported:
        return condition::bad_argument;
      case errc::not_ready:
        return condition::connection_lost;
    }
    return {v, *this};
  }
  bool is_fatal(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::bad_reply:
      case errc::reply_too_long:
      case errc::inconsistent_reply:
      case errc::unexpected_reply:
      case errc::greeting_refused:
      case errc::service_closing:
      case errc::tls_mode_mismatch:
      case errc::not_ready:
        return true;
      default:
        return false;
    }
  }
};

class reply_category_impl final : public mailproto::detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.smtp.reply"; }
  std::string message(int v) const override {
    // RFC 5321 §4.2.1: the first digit says whether the command failed for good.
    std::string s = "SMTP server replied " + std::to_string(v);
    if (v >= 400 && v < 500) return s + " (temporary failure)";
    if (v >= 500 && v < 600) return s + " (permanent failure)";
    return s;
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    if (v == 421) return condition::transient;
    if (v >= 400 && v < 500) return condition::transient;
    if (v >= 500 && v < 600) return condition::permanent;
    return condition::protocol_violation;
  }
  // 421 closes the channel (RFC 5321 §3.8); any other refusal leaves the session usable.
  bool is_fatal(int v) const noexcept override { return v == 421 || v < 200 || v >= 600; }
};

}  // namespace

const std::error_category& smtp_category() noexcept {
  static const smtp_category_impl c;
  return c;
}

const std::error_category& reply_category() noexcept {
  static const reply_category_impl c;
  return c;
}

}  // namespace mailproto::smtp
