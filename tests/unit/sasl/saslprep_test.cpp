#include <mailproto/sasl/mechanism.hpp>

#include <catch2/catch.hpp>

using mailproto::sasl::errc;
using mailproto::sasl::saslprep;

namespace {
std::string prep(std::string_view s, std::error_code& ec) {
  return saslprep(s, ec);
}
}  // namespace

TEST_CASE("saslprep: RFC 4013 §3 examples (the subset we implement)", "[sasl][saslprep]") {
  std::error_code ec;
  // 1. "I<U+00AD>X" -> "IX" (SOFT HYPHEN mapped to nothing)
  CHECK(prep("I\xC2\xAD"
             "X",
             ec) == "IX");
  CHECK_FALSE(ec);
  // 2. "user" -> "user"
  CHECK(prep("user", ec) == "user");
  CHECK_FALSE(ec);
  // 3. "USER" -> "USER" (case preserved)
  CHECK(prep("USER", ec) == "USER");
  // 6. "<U+0007>" -> error (prohibited character)
  prep("\x07", ec);
  CHECK(ec == errc::unsafe_credential);
  // 7. "<U+0627><U+0031>" -> error (bidi): NOT implemented, documented in the header.
}

TEST_CASE("saslprep: ASCII passes through unchanged", "[sasl][saslprep]") {
  std::error_code ec;
  std::string ascii;
  for (char c = 0x20; c < 0x7F; ++c) ascii += c;
  CHECK(prep(ascii, ec) == ascii);
  CHECK_FALSE(ec);
  CHECK(prep("", ec).empty());
  CHECK_FALSE(ec);
}

TEST_CASE("saslprep: non-ASCII spaces map to SPACE", "[sasl][saslprep]") {
  std::error_code ec;
  CHECK(prep("a\xC2\xA0"
             "b",
             ec) == "a b");  // U+00A0 NO-BREAK SPACE
  CHECK(prep("a\xE3\x80\x80"
             "b",
             ec) == "a b");  // U+3000 IDEOGRAPHIC SPACE
  CHECK(prep("a\xE2\x80\x82"
             "b",
             ec) == "a b");  // U+2002 EN SPACE
  CHECK_FALSE(ec);
}

TEST_CASE("saslprep: commonly-mapped-to-nothing characters vanish", "[sasl][saslprep]") {
  std::error_code ec;
  CHECK(prep("pa\xEF\xBB\xBFss", ec) == "pass");  // U+FEFF ZERO WIDTH NO-BREAK SPACE
  CHECK(prep("pa\xE2\x80\x8Dss", ec) == "pass");  // U+200D ZERO WIDTH JOINER
  CHECK(prep("pa\xEF\xB8\x8Fss", ec) == "pass");  // U+FE0F VARIATION SELECTOR-16
  CHECK_FALSE(ec);
}

TEST_CASE("saslprep: non-ASCII letters pass through (no NFKC)", "[sasl][saslprep]") {
  std::error_code ec;
  CHECK(prep("p\xC3\xA4ss\xE2\x82\xAC", ec) == "p\xC3\xA4ss\xE2\x82\xAC");  // "päss€"
  CHECK_FALSE(ec);
}

TEST_CASE("saslprep: prohibited output and bad UTF-8 are refused", "[sasl][saslprep]") {
  const char* bad[] = {
      "a\rb",
      "a\nb",
      "a\x7f",
      "\x1b[0m",           // C.2.1 ASCII controls
      "a\xC2\x85",         // U+0085 (C.2.2)
      "a\xE2\x80\xA8",     // U+2028 LINE SEPARATOR (C.2.2)
      "\xEE\x80\x80",      // U+E000 private use (C.3)
      "\xEF\xB7\x90",      // U+FDD0 non-character (C.4)
      "\xEF\xBF\xBE",      // U+FFFE non-character (C.4)
      "\xEF\xBF\xBD",      // U+FFFD (C.6)
      "\xE2\xBF\xB0",      // U+2FF0 (C.7)
      "\xE2\x80\x8E",      // U+200E LRM (C.8)
      "\xF3\xA0\x80\x81",  // U+E0001 language tag (C.9)
      "\xC3",              // truncated sequence
      "\xC0\xAF",          // overlong '/'
      "\xED\xA0\x80",      // UTF-8 encoded surrogate (C.5)
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xFF",
  };
  for (const char* s : bad) {
    CAPTURE(s);
    std::error_code ec;
    CHECK(prep(s, ec).empty());
    CHECK(ec == errc::unsafe_credential);
  }
  std::error_code ec;
  prep(std::string_view("a\0b", 3), ec);
  CHECK(ec == errc::unsafe_credential);
}
