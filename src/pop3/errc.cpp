#include <mailproto/pop3/errc.hpp>

namespace mailproto::pop3 {
namespace {

class category final : public mailproto::detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.pop3"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::rejected:
        return "the POP3 server refused the command";
      case errc::temporarily_rejected:
        return "the POP3 server refused the command for now (try again later)";
      case errc::authentication_failed:
        return "POP3 authentication failed";
      case errc::bad_response:
        return "malformed POP3 response";
      case errc::response_too_large:
        return "POP3 multi-line response exceeds the limit";
      case errc::invalid_message_number:
        return "invalid POP3 message number";
      case errc::wrong_state:
        return "command not valid in this POP3 state";
      case errc::apop_not_offered:
        return "the POP3 greeting holds no APOP timestamp";
      case errc::update_failed:
        return "the POP3 server could not remove the deleted messages";
    }
    return "unknown POP3 error";
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::rejected:
      case errc::update_failed:
        return condition::permanent;
      case errc::temporarily_rejected:
        return condition::transient;
      case errc::authentication_failed:
        return condition::auth_failed;
      case errc::bad_response:
      case errc::response_too_large:
        return condition::protocol_violation;
      case errc::invalid_message_number:
      case errc::wrong_state:
      case errc::apop_not_offered:
        return condition::bad_argument;
    }
    return std::error_condition(v, *this);
  }
  bool is_fatal(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::bad_response:
      case errc::response_too_large:
        return true;
      default:
        return false;
    }
  }
};

}  // namespace

const std::error_category& pop3_category() noexcept {
  static const category c;
  return c;
}

}  // namespace mailproto::pop3
