// Tests of mailproto/mime/errc.hpp: the "mailproto.mime" category.
#include <mailproto/mime/errc.hpp>

#include <catch2/catch.hpp>

using namespace mailproto;

TEST_CASE("mime errc: category, messages and conditions", "[mime][errc]") {
  const std::error_code ec = mime::errc::bad_base64;
  CHECK(std::string(ec.category().name()) == "mailproto.mime");
  for (int v = static_cast<int>(mime::errc::bad_base64);
       v <= static_cast<int>(mime::errc::bad_argument); ++v) {
    const std::error_code e(v, mime::mime_category());
    CHECK(e.message() != "unknown mailproto.mime error");
    CHECK_FALSE(is_fatal(e));
  }
  CHECK(std::error_code(mime::errc::bad_argument) == condition::bad_argument);
  CHECK(std::error_code(mime::errc::unsafe_header) == condition::bad_argument);
  CHECK(std::error_code(mime::errc::unknown_charset) == condition::bad_argument);
  CHECK(std::error_code(mime::errc::limit_exceeded) == condition::protocol_violation);
  CHECK(std::error_code(mime::errc::limit_exceeded) != condition::bad_argument);
  CHECK(std::error_code(mime::errc::file_error) != condition::bad_argument);
  CHECK(std::error_code(mime::errc::bad_base64) != condition::permanent);
}
