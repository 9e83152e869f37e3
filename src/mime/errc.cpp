// The "mailproto.mime" error category: messages and the mapping onto mailproto::condition.
#include <mailproto/mime/errc.hpp>

#include <string>

namespace mailproto::mime {
namespace {

class mime_category_impl final : public detail::category_base {
 public:
  const char* name() const noexcept override { return "mailproto.mime"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::bad_base64:
        return "invalid base64 data";
      case errc::bad_quoted_printable:
        return "invalid quoted-printable data";
      case errc::bad_encoded_word:
        return "malformed RFC 2047 encoded word";
      case errc::unknown_charset:
        return "unknown charset";
      case errc::bad_charset_data:
        return "bytes not valid in the declared charset";
      case errc::bad_address:
        return "malformed address";
      case errc::unsafe_header:
        return "header holds CR, LF or NUL, or an invalid name";
      case errc::bad_header_name:
        return "header name holds characters outside ftext";
      case errc::line_too_long:
        return "line longer than 998 octets cannot be folded";
      case errc::file_error:
        return "attachment file could not be read";
      case errc::sink_error:
        return "output sink failed";
      case errc::limit_exceeded:
        return "MIME parser limit exceeded";
      case errc::bad_media_type:
        return "malformed media type";
      case errc::bad_argument:
        return "invalid argument";
    }
    return "unknown mailproto.mime error";
  }

  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<errc>(value)) {
      case errc::limit_exceeded:
        return make_error_condition(condition::protocol_violation);
      case errc::file_error:
      case errc::sink_error:
        // I/O failures outside the protocol: no portable condition fits.
        return {value, *this};
      case errc::bad_base64:
      case errc::bad_quoted_printable:
      case errc::bad_encoded_word:
      case errc::unknown_charset:
      case errc::bad_charset_data:
      case errc::bad_address:
      case errc::unsafe_header:
      case errc::bad_header_name:
      case errc::line_too_long:
      case errc::bad_media_type:
      case errc::bad_argument:
        return make_error_condition(condition::bad_argument);
    }
    return {value, *this};
  }

  // Nothing in MIME touches a connection.
  bool is_fatal(int) const noexcept override { return false; }
};

}  // namespace

const std::error_category& mime_category() noexcept {
  static const mime_category_impl cat;
  return cat;
}

}  // namespace mailproto::mime
