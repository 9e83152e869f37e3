// Tests of mailproto/mime/charset.hpp: conversion to UTF-8 with hand-built input bytes.
#include <mailproto/mime/charset.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace mailproto::mime;

namespace {
std::string conv(std::string_view in, std::string_view cs, std::error_code& ec) {
  return to_utf8(in, cs, ec);
}
}  // namespace

TEST_CASE("charset: vectors for the common mail charsets", "[mime][charset]") {
  struct vec {
    const char* charset;
    std::string in;
    std::string utf8;
  };
  const std::string privet = "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82";  // Привет
  const std::string nihongo = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";             // 日本語
  const std::string zhongwen = "\xE4\xB8\xAD\xE6\x96\x87";                        // 中文
  const std::string hangug = "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4";              // 한국어
  const vec v[] = {
      {"UTF-8", privet, privet},
      {"us-ascii", "plain text", "plain text"},
      {"ISO-8859-1", "caf\xE9 \xA3", "caf\xC3\xA9 \xC2\xA3"},
      {"latin1", "\xFC", "\xC3\xBC"},
      {"ISO-8859-2", "\xB1", "\xC4\x85"},  // ą
      {"ISO-8859-5", "\xBF\xE0\xD8\xD2\xD5\xE2", privet},
      {"iso-8859-15", "\xA4", "\xE2\x82\xAC"},  // €
      {"windows-1252", "\x80 \x93x\x94", "\xE2\x82\xAC \xE2\x80\x9Cx\xE2\x80\x9D"},
      {"cp1251", "\xCF\xF0\xE8\xE2\xE5\xF2", privet},
      // Windows-1258 writes "ệ" as ê + combining dot below; iconv composes it.
      {"windows-1258", "Vi\xEA\xF2t \xD0\xE2y", "Vi\xE1\xBB\x87t \xC4\x90\xC3\xA2y"},
      {"KOI8-R", "\xF0\xD2\xC9\xD7\xC5\xD4", privet},
      {"Shift_JIS", "\x93\xFA\x96\x7B\x8C\xEA", nihongo},
      {"x-sjis", "\x93\xFA\x96\x7B\x8C\xEA", nihongo},
      {"ISO-2022-JP", "\x1B$B\x46\x7C\x4B\x5C\x38\x6C\x1B(B", nihongo},
      {"EUC-JP", "\xC6\xFC\xCB\xDC\xB8\xEC", nihongo},
      {"GB2312", "\xD6\xD0\xCE\xC4", zhongwen},
      {"gbk", "\xD6\xD0\xCE\xC4", zhongwen},
      // 0x81 0x40 exists only in GBK (丂 U+4E02): GB2312 labels are read as the superset.
      {"gb2312", "\x81\x40", "\xE4\xB8\x82"},
      {"Big5", "\xA4\xA4\xA4\xE5", zhongwen},
      {"EUC-KR", "\xC7\xD1\xB1\xB9\xBE\xEE", hangug},
      {"ks_c_5601-1987", "\xC7\xD1\xB1\xB9\xBE\xEE", hangug},
  };
  for (const auto& x : v) {
    INFO(x.charset);
    CHECK(charset_known(x.charset));
    std::error_code ec;
    CHECK(conv(x.in, x.charset, ec) == x.utf8);
    CHECK_FALSE(ec);
    // Twice, to exercise the cached (and reset) descriptor.
    CHECK(conv(x.in, x.charset, ec) == x.utf8);
  }
}

TEST_CASE("charset: invalid bytes become U+FFFD and are reported", "[mime][charset]") {
  std::error_code ec;
  CHECK(conv("a\xFF"
             "b",
             "utf-8", ec) ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(ec == errc::bad_charset_data);
  CHECK(conv("\xC0\x80", "utf-8", ec) == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong NUL
  CHECK(ec == errc::bad_charset_data);
  CHECK(conv("a\x80", "us-ascii", ec) == "a\xEF\xBF\xBD");
  CHECK(ec == errc::bad_charset_data);
  // A truncated Shift_JIS double-byte character at the end.
  CHECK(conv("\x93\xFA\x96", "shift_jis", ec) == "\xE6\x97\xA5\xEF\xBF\xBD");
  CHECK(ec == errc::bad_charset_data);
  // An invalid EUC-KR lead byte in the middle.
  CHECK(conv("\xC7\xD1\xFF\xC7\xD1", "euc-kr", ec) == "\xED\x95\x9C\xEF\xBF\xBD\xED\x95\x9C");
  CHECK(ec == errc::bad_charset_data);
  // The converter recovers: a clean call after a bad one has no error.
  CHECK(conv("\xC7\xD1", "euc-kr", ec) == "\xED\x95\x9C");
  CHECK_FALSE(ec);
}

TEST_CASE("charset: unknown charsets return the input unchanged", "[mime][charset]") {
  for (const char* cs :
       {"x-no-such-charset", "", "utf-8//TRANSLIT", "../../etc/passwd", "UTF-8\r\nX: y"}) {
    INFO(cs);
    std::error_code ec;
    CHECK(conv("abc\xFF", cs, ec) == "abc\xFF");
    CHECK(ec == errc::unknown_charset);
    CHECK_FALSE(charset_known(cs));
  }
}

TEST_CASE("charset: is_valid_utf8 follows RFC 3629", "[mime][charset]") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii that is longer than eight bytes"));
  CHECK(is_valid_utf8("nh\xE1\xBB\xAFng"));
  CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));        // U+1F600
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));        // U+10FFFF
  CHECK(is_valid_utf8("\xED\x9F\xBF"));            // U+D7FF
  CHECK_FALSE(is_valid_utf8("\xC0\x80"));          // overlong
  CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("abcdefgh\xE1\xBB"));  // truncated after an ASCII run
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("charset: canonical names and aliases", "[mime][charset]") {
  CHECK(canonical_charset("UTF8") == "utf-8");
  CHECK(canonical_charset(" \"UTF-8\" ") == "utf-8");
  CHECK(canonical_charset("Latin1") == "iso-8859-1");
  CHECK(canonical_charset("ISO8859-15") == "iso-8859-15");
  CHECK(canonical_charset("iso_8859-1:1987") == "iso-8859-1");
  CHECK(canonical_charset("ks_c_5601-1987") == "euc-kr");
  CHECK(canonical_charset("x-sjis") == "shift_jis");
  CHECK(canonical_charset("cp1252") == "windows-1252");
  CHECK(canonical_charset("ASCII") == "us-ascii");
  CHECK(canonical_charset("Windows-1258") == "windows-1258");
  CHECK(canonical_charset("x-unknown") == "x-unknown");
}
