// The "mailproto.imap" error category; mapping documented in include/mailproto/imap/errc.hpp.
#include <mailproto/imap/errc.hpp>

namespace mailproto::imap {
namespace {

class imap_category_impl final : public mailproto::detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.imap"; }

  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::no:
        return "the IMAP server refused the command (NO)";
      case errc::bad:
        return "the IMAP server rejected the command as invalid (BAD)";
      case errc::unavailable:
        return "the IMAP server is temporarily unable to perform the command";
      case errc::bye:
        return "the IMAP server closed the session (BYE)";
      case errc::authentication_failed:
        return "IMAP authentication failed";
      case errc::bad_greeting:
        return "the IMAP server's greeting was not OK or PREAUTH";
      case errc::bad_response:
        return "malformed IMAP response";
      case errc::literal_too_large:
        return "IMAP literal larger than the limit";
      case errc::nesting_too_deep:
        return "IMAP response nested too deeply";
      case errc::response_too_large:
        return "IMAP response larger than the limit";
      case errc::unexpected_continuation:
        return "unexpected IMAP continuation request";
      case errc::unexpected_tag:
        return "IMAP response with an unknown tag";
      case errc::not_supported:
        return "the IMAP server does not support this command";
      case errc::invalid_argument:
        return "invalid argument for an IMAP command";
      case errc::wrong_state:
        return "IMAP command not valid in the current state";
      case errc::body_not_stored:
        return "an IMAP message body too large to keep in memory arrived without a body sink "
               "(skipped; the session goes on)";
    }
    return "unknown IMAP error";
  }

  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::no:
      case errc::bad:
      case errc::not_supported:
        return condition::permanent;
      case errc::unavailable:
        return condition::transient;
      case errc::authentication_failed:
        return condition::auth_failed;
      case errc::bye:
        return condition::connection_lost;
      case errc::bad_greeting:
      case errc::bad_response:
      case errc::literal_too_large:
      case errc::nesting_too_deep:
      case errc::response_too_large:
      case errc::unexpected_continuation:
      case errc::unexpected_tag:
        return condition::protocol_violation;
      case errc::invalid_argument:
      case errc::wrong_state:
      case errc::body_not_stored:
        return condition::bad_argument;
    }
    return std::error_condition(v, *this);
  }

  bool is_fatal(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::no:
      case errc::bad:
      case errc::unavailable:
      case errc::authentication_failed:
      case errc::not_supported:
      case errc::invalid_argument:
      case errc::wrong_state:
      case errc::body_not_stored:
        return false;
      default:
        return true;
    }
  }
};

}  // namespace

const std::error_category& imap_category() noexcept {
  static const imap_category_impl c;
  return c;
}

}  // namespace mailproto::imap
