// Test that the header is self-contained.
#include <mailproto/sasl/base64.hpp>

#include <catch2/catch.hpp>

using mailproto::sasl::base64_decode;
using mailproto::sasl::base64_encode;

TEST_CASE("sasl base64: RFC 4648 §10 test vectors", "[sasl][base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(base64_encode(plain) == encoded);
    auto d = base64_decode(encoded);
    REQUIRE(d);
    CHECK(*d == plain);
  }
}

TEST_CASE("sasl base64: every byte value round-trips", "[sasl][base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const std::string s = all.substr(0, n) + all.substr(256 - n % 256);
    auto d = base64_decode(base64_encode(s));
    REQUIRE(d);
    CHECK(*d == s);
  }
}

TEST_CASE("sasl base64: strict decoding rejects sloppy input", "[sasl][base64]") {
  CHECK_FALSE(base64_decode("Zg"));        // missing padding
  CHECK_FALSE(base64_decode("Zg="));       // length not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9v\r\n"));  // line break
  CHECK_FALSE(base64_decode(" Zm9v"));     // whitespace
  CHECK_FALSE(base64_decode("Zm9v!A=="));  // outside the alphabet
  CHECK_FALSE(base64_decode("Z=9v"));      // '=' in the middle
  CHECK_FALSE(base64_decode("Zg==Zm9v"));  // padding before the end
  CHECK_FALSE(base64_decode("Zh=="));      // non-zero pad bits (RFC 4648 §3.5)
  CHECK_FALSE(base64_decode("Zm9="));      // non-zero pad bits, one '='
  CHECK_FALSE(base64_decode("===="));      // padding only
  CHECK_FALSE(base64_decode(std::string_view("Zm\0v", 4)));
  CHECK(base64_decode("AQ==") == std::string("\x01"));  // RFC 7628's dummy response
}
