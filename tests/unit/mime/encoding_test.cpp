// Tests of mailproto/mime/encoding.hpp: base64, quoted-printable, RFC 2047, RFC 2231.
#include <mailproto/mime/encoding.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace mailproto::mime;
using namespace std::string_literals;

namespace {

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<int> d(0, 255);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(d(rng));
  return s;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto p = s.find("\r\n", start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 2;
  }
  return out;
}

// Feeds `in` to a streaming decoder in two chunks split at `at`.
template <class Decoder>
std::string decode_split(std::string_view in, std::size_t at, bool strict, std::error_code& ec) {
  Decoder d(strict);
  std::string out;
  if (d.update(in.substr(0, at), out, ec) && d.update(in.substr(at), out, ec)) d.finish(out, ec);
  return out;
}

template <class Decoder>
std::string decode_bytewise(std::string_view in, bool strict, std::error_code& ec) {
  Decoder d(strict);
  std::string out;
  for (char c : in)
    if (!d.update(std::string_view(&c, 1), out, ec)) return out;
  d.finish(out, ec);
  return out;
}

// All encoded words ("=?...?=") in s.
std::vector<std::string> encoded_words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = s.find("=?", i)) != std::string::npos) {
    // skip "=?charset?X?"
    std::size_t q = s.find('?', i + 2);
    q = s.find('?', q + 1);
    const std::size_t e = s.find("?=", q + 1);
    REQUIRE(e != std::string::npos);
    out.push_back(s.substr(i, e + 2 - i));
    i = e + 2;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- base64

TEST_CASE("base64: RFC 4648 section 10 test vectors", "[mime][base64]") {
  const std::pair<std::string, std::string> v[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, enc] : v) {
    CHECK(base64_encode(plain) == enc);
    CHECK(base64_decode(enc) == plain);
    std::error_code ec;
    CHECK(base64_decode(enc, ec, true) == plain);
    CHECK_FALSE(ec);
    CHECK(base64_encoded_size(plain.size()) == enc.size());
  }
}

TEST_CASE("base64: encoder wraps at 76 columns with CRLF", "[mime][base64]") {
  std::mt19937 rng(1);
  for (std::size_t n : {0u, 1u, 56u, 57u, 58u, 114u, 1000u, 4096u}) {
    const std::string data = random_bytes(rng, n);
    const std::string enc = base64_encode(data);
    CHECK(enc.size() == base64_encoded_size(n));
    const auto lines = lines_of(enc);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i + 1 < lines.size())
        CHECK(lines[i].size() == 76);
      else
        CHECK(lines[i].size() <= 76);
    }
    CHECK(enc.find("\r\n", enc.size() >= 2 ? enc.size() - 2 : 0) == std::string::npos);
    CHECK(base64_decode(enc) == data);
  }
  // Other line lengths, including ones that are not a multiple of 4.
  const std::string data = random_bytes(rng, 300);
  for (std::size_t len : {0u, 4u, 10u, 64u, 75u}) {
    const std::string enc = base64_encode(data, len);
    CHECK(enc.size() == base64_encoded_size(data.size(), len));
    if (len)
      for (const auto& l : lines_of(enc)) CHECK(l.size() <= len);
    CHECK(base64_decode(enc) == data);
  }
}

TEST_CASE("base64: decoder ignores whitespace and tolerates missing padding", "[mime][base64]") {
  CHECK(base64_decode("Zm9v\r\nYmFy") == "foobar");
  CHECK(base64_decode(" Zm 9v\tYm\nFy \r\n") == "foobar");
  CHECK(base64_decode("Zm9vYg") == "foob");
  CHECK(base64_decode("Zm9vYmE") == "fooba");
  std::error_code ec;
  CHECK(base64_decode("Zm9vYg", ec, true) == "foob");
  CHECK_FALSE(ec);
}

TEST_CASE("base64: strict mode reports bad characters, lenient skips them", "[mime][base64]") {
  std::error_code ec;
  CHECK(base64_decode("Zm9v*YmFy", ec, false) == "foobar");
  CHECK_FALSE(ec);
  const std::string partial = base64_decode("Zm9v*YmFy", ec, true);
  CHECK(ec == errc::bad_base64);
  CHECK(partial == "foo");
  // Data after padding, and a lone final character.
  CHECK(base64_decode("Zg==Zg==", ec, true) == "f");
  CHECK(ec == errc::bad_base64);
  CHECK(base64_decode("Zg==Zg==") == "ff");
  base64_decode("Zm9vY", ec, true);
  CHECK(ec == errc::bad_base64);
  CHECK(base64_decode("Zm9vY") == "foo");
}

TEST_CASE("base64: scalar and SIMD decoders agree", "[mime][base64][simd]") {
  INFO("SIMD available: " << base64_simd_available());
  std::mt19937 rng(42);
  auto check = [&](const std::string& data) {
    const std::string enc = base64_encode(data, 0);
    std::string a(enc.size() / 4 * 3 + 3, '\0'), b(a.size(), '\0');
    std::size_t na = 0, nb = 0;
    REQUIRE(base64_decode_scalar(enc.data(), enc.size(), a.data(), &na));
    REQUIRE(base64_decode_simd(enc.data(), enc.size(), b.data(), &nb));
    REQUIRE(na == data.size());
    REQUIRE(nb == data.size());
    CHECK(a.substr(0, na) == data);
    CHECK(b.substr(0, nb) == data);
  };
  for (std::size_t n = 0; n <= 200; ++n) check(random_bytes(rng, n));
  for (int i = 0; i < 20; ++i)
    check(random_bytes(rng, std::uniform_int_distribution<>(200, 5000)(rng)));

  // Unpadded lengths 0..200 (4k+2, 4k+3 characters) and a bad character at every position.
  const std::string bads = "=*\r\n \x80\xff-_.:@[`{";
  for (std::size_t n = 0; n <= 200; ++n) {
    const std::string data = random_bytes(rng, n);
    std::string enc = base64_encode(data, 0);
    while (!enc.empty() && enc.back() == '=') enc.pop_back();
    std::string a(enc.size() / 4 * 3 + 3, '\0'), b(a.size(), '\0');
    std::size_t na = 0, nb = 0;
    REQUIRE(base64_decode_scalar(enc.data(), enc.size(), a.data(), &na));
    REQUIRE(base64_decode_simd(enc.data(), enc.size(), b.data(), &nb));
    CHECK(a.substr(0, na) == data);
    CHECK(b.substr(0, nb) == data);
    if (enc.empty()) continue;
    const std::size_t pos = std::uniform_int_distribution<std::size_t>(0, enc.size() - 1)(rng);
    std::string bad = enc;
    bad[pos] = bads[n % bads.size()];
    if (bad[pos] == '=' && pos + 2 >= bad.size()) continue;  // might be legal padding
    CHECK_FALSE(base64_decode_scalar(bad.data(), bad.size(), a.data(), &na));
    CHECK_FALSE(base64_decode_simd(bad.data(), bad.size(), b.data(), &nb));
  }
}

TEST_CASE("base64: every character that is not in the alphabet fails the SIMD path",
          "[mime][base64][simd]") {
  std::string block(64, 'A');
  std::string out(64, '\0');
  std::size_t n = 0;
  for (int c = 0; c < 256; ++c) {
    const bool in_alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '+' || c == '/';
    for (std::size_t pos : {0u, 5u, 17u, 31u, 40u, 63u}) {
      std::string b = block;
      b[pos] = static_cast<char>(c);
      if (c == '=' && pos == 63) continue;  // padding
      CHECK(base64_decode_simd(b.data(), b.size(), out.data(), &n) == in_alphabet);
      CHECK(base64_decode_scalar(b.data(), b.size(), out.data(), &n) == in_alphabet);
    }
  }
}

TEST_CASE("base64: streaming encoder over any chunking equals one shot", "[mime][base64]") {
  std::mt19937 rng(7);
  const std::string data = random_bytes(rng, 1000);
  const std::string expect = base64_encode(data);
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 57u, 64u, 999u}) {
    base64_encoder enc;
    std::string out;
    for (std::size_t i = 0; i < data.size(); i += chunk)
      enc.update(std::string_view(data).substr(i, chunk), out);
    enc.finish(out);
    CHECK(out == expect);
  }
}

TEST_CASE("base64: streaming decoder split anywhere gives the same bytes", "[mime][base64]") {
  std::mt19937 rng(9);
  const std::string data = random_bytes(rng, 300);
  const std::string inputs[] = {base64_encode(data), base64_encode(data, 0), "Zm9v\r\n YmE=\r\n",
                                "Zm 9v\nYm\r\nFy*", base64_encode(data, 10)};
  for (const auto& in : inputs) {
    std::error_code ec0;
    const std::string whole = base64_decode(in, ec0, false);
    for (std::size_t at = 0; at <= in.size(); ++at) {
      std::error_code ec;
      CHECK(decode_split<base64_decoder>(in, at, false, ec) == whole);
      CHECK_FALSE(ec);
    }
    std::error_code ec;
    CHECK(decode_bytewise<base64_decoder>(in, false, ec) == whole);
  }
  CHECK(base64_decode(inputs[0]) == data);
}

TEST_CASE("base64: wrapped decoding with junk and blanks anywhere matches the data",
          "[mime][base64]") {
  // The line-gathering fast path must give what the character-by-character rules give.
  std::mt19937 rng(17);
  const std::string junk = "*!\x80\xff-.:@[]{}\x01";
  const std::string blanks = " \t\r\n";
  for (int round = 0; round < 300; ++round) {
    const std::string data = random_bytes(rng, std::uniform_int_distribution<>(0, 3000)(rng));
    const std::size_t line = std::uniform_int_distribution<std::size_t>(1, 40)(rng) * 4;
    std::string enc = base64_encode(data, round % 3 == 0 ? 0 : line);
    if (round % 5 == 1) {  // LF-only line breaks
      std::string lf;
      for (char c : enc)
        if (c != '\r') lf += c;
      enc = lf;
    }
    std::string corrupted = enc;
    const int edits = std::uniform_int_distribution<>(0, 6)(rng);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = std::uniform_int_distribution<std::size_t>(0, corrupted.size())(rng);
      const std::string& from = (e % 2) ? junk : blanks;
      corrupted.insert(pos, 1,
                       from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)]);
    }
    INFO("round " << round);
    std::error_code ec;
    CHECK(base64_decode(corrupted, ec, false) == data);
    CHECK_FALSE(ec);
    // Strict: the first junk character stops decoding; what came out is a prefix.
    const std::string strict = base64_decode(corrupted, ec, true);
    const bool has_junk = corrupted.find_first_of(junk) != std::string::npos;
    CHECK(static_cast<bool>(ec) == has_junk);
    CHECK(data.compare(0, strict.size(), strict) == 0);
    if (!has_junk) CHECK(strict == data);
  }
}

TEST_CASE("base64: round trip of random data", "[mime][base64]") {
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    const std::string data = random_bytes(rng, std::uniform_int_distribution<>(0, 3000)(rng));
    std::error_code ec;
    CHECK(base64_decode(base64_encode(data), ec, true) == data);
    CHECK_FALSE(ec);
  }
}

// ---------------------------------------------------------------- quoted-printable

TEST_CASE("qp: RFC 2045 6.7 encoding rules", "[mime][qp]") {
  // Rule 1/2: "=" and 8-bit bytes are escaped, printable ASCII is literal.
  CHECK(qp_encode("a=b") == "a=3Db");
  CHECK(qp_encode("caf\xE9") == "caf=E9");
  // Rule 3: trailing blanks before a line break and at the end are encoded.
  CHECK(qp_encode("end \r\nnext\t") == "end=20\r\nnext=09");
  CHECK(qp_encode("a b\nc") == "a b\r\nc");
  // "From " and "." are not touched.
  CHECK(qp_encode("From here\r\n.\r\n") == "From here\r\n.\r\n");
  // Binary mode: CR and LF are data.
  CHECK(qp_encode("a\r\nb", qp_mode::binary) == "a=0D=0Ab");
}

TEST_CASE("qp: soft line breaks keep lines at most 76 columns", "[mime][qp]") {
  const std::string long_line(200, 'x');
  const std::string enc = qp_encode(long_line);
  for (const auto& l : lines_of(enc)) CHECK(l.size() <= 76);
  CHECK(lines_of(enc)[0] == std::string(75, 'x') + "=");
  CHECK(qp_decode(enc) == long_line);
  // Escapes are never split by a soft break.
  const std::string eights(100, '\xff');
  const std::string e2 = qp_encode(eights);
  for (const auto& l : lines_of(e2)) {
    CHECK(l.size() <= 76);
    CHECK((l.size() < 1 || l[l.size() - 1] == '=' || l[l.size() - 3] == '='));
  }
  CHECK(qp_decode(e2) == eights);
}

TEST_CASE("qp: decoding", "[mime][qp]") {
  CHECK(qp_decode("a=3Db=3db") == "a=b=b");  // lower-case hex accepted
  CHECK(qp_decode("soft=\r\nbreak") == "softbreak");
  CHECK(qp_decode("soft= \t\r\nbreak") == "softbreak");  // blanks after "=" tolerated
  CHECK(qp_decode("soft=\nbreak") == "softbreak");
  CHECK(qp_decode("trailing   \r\nnext  ") == "trailing\r\nnext");
  CHECK(qp_decode("in the  middle") == "in the  middle");
  CHECK(qp_decode("ends with=") == "ends with");
  // RFC 2045 6.7's own example of a long line with a soft break.
  CHECK(qp_decode("Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.") ==
        "Now's the time for all folk to come to the aid of their country.");
}

TEST_CASE("qp: malformed escapes, lenient and strict", "[mime][qp]") {
  std::error_code ec;
  CHECK(qp_decode("a=Gb", ec, false) == "a=Gb");
  CHECK_FALSE(ec);
  CHECK(qp_decode("100=%", ec, false) == "100=%");
  CHECK(qp_decode("a=4", ec, false) == "a=4");
  CHECK(qp_decode("x=4\r\ny", ec, false) == "x=4\r\ny");
  CHECK(qp_decode("a=Gb", ec, true) == "a");
  CHECK(ec == errc::bad_quoted_printable);
  qp_decode("a=4", ec, true);
  CHECK(ec == errc::bad_quoted_printable);
  qp_decode("a=41=\r\n", ec, true);
  CHECK_FALSE(ec);
}

TEST_CASE("qp: streaming decoder split anywhere", "[mime][qp]") {
  std::mt19937 rng(5);
  const std::string inputs[] = {
      "Now's the time =\r\nfor all folk =3D=3d  \r\nto=20come=\r\n",
      "a=Gb =4\r\n\r\r\n=\r =  x   \t\r\n=",
      qp_encode(random_bytes(rng, 300), qp_mode::binary),
      qp_encode("line one  \nline two\t\n" + std::string(100, 'y')),
  };
  for (const auto& in : inputs) {
    std::error_code ec0;
    const std::string whole = qp_decode(in, ec0, false);
    for (std::size_t at = 0; at <= in.size(); ++at) {
      std::error_code ec;
      CHECK(decode_split<qp_decoder>(in, at, false, ec) == whole);
    }
    std::error_code ec;
    CHECK(decode_bytewise<qp_decoder>(in, false, ec) == whole);
  }
}

TEST_CASE("qp: binary round trip of random data", "[mime][qp]") {
  std::mt19937 rng(13);
  for (int i = 0; i < 200; ++i) {
    std::string data = random_bytes(rng, std::uniform_int_distribution<>(0, 500)(rng));
    // Bias towards blanks and line breaks, where the rules are.
    for (auto& c : data)
      if (static_cast<unsigned char>(c) < 64) c = " \t\r\n="[static_cast<unsigned char>(c) % 5];
    const std::string enc = qp_encode(data, qp_mode::binary);
    for (const auto& l : lines_of(enc)) CHECK(l.size() <= 76);
    std::error_code ec;
    CHECK(qp_decode(enc, ec, true) == data);
    CHECK_FALSE(ec);
  }
}

TEST_CASE("qp: text mode round trip turns LF into CRLF", "[mime][qp]") {
  const std::string text = "Dear all,  \nthe price is 5=5.\nBye\t\n";
  CHECK(qp_decode(qp_encode(text)) == "Dear all,  \r\nthe price is 5=5.\r\nBye\t\r\n");
}

// ---------------------------------------------------------------- RFC 2047

TEST_CASE("rfc2047: RFC 2047 section 8 examples", "[mime][rfc2047]") {
  CHECK(rfc2047_decode("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>") ==
        "Keith Moore <moore@cs.utk.edu>");
  CHECK(rfc2047_decode("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>") ==
        "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>");
  CHECK(rfc2047_decode("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>") ==
        "Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>");
  CHECK(rfc2047_decode("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
                       "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=") ==
        "If you can read this you understand the example.");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a?=)") == "(a)");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a?= b)") == "(a b)");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)") == "(ab)");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)") == "(ab)");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)") == "(ab)");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a_b?=)") == "(a b)");
  CHECK(rfc2047_decode("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)") == "(a b)");
}

TEST_CASE("rfc2047: a character split across two B words survives", "[mime][rfc2047]") {
  std::error_code ec;
  CHECK(rfc2047_decode("=?UTF-8?B?bmg=?= =?UTF-8?B?4buvbmc=?=", ec) == "nh\xE1\xBB\xAFng");
  CHECK_FALSE(ec);
  // Also across a B and a Q word in the same charset, and with lower-case names.
  CHECK(rfc2047_decode("=?utf-8?b?bmjhuw==?=\r\n =?Utf-8?q?=AFng?=") == "nh\xE1\xBB\xAFng");
}

TEST_CASE("rfc2047: RFC 2231 language suffix, lower case letters", "[mime][rfc2047]") {
  CHECK(rfc2047_decode("=?UTF-8*vi?Q?Ti=C3=AAu_=C4=91=E1=BB=81?=") ==
        "Ti\xC3\xAAu \xC4\x91\xE1\xBB\x81");
  CHECK(rfc2047_decode("=?iso-8859-1?q?caf=e9?=") == "caf\xC3\xA9");
}

TEST_CASE("rfc2047: unknown charsets and malformed words are kept as they are", "[mime][rfc2047]") {
  std::error_code ec;
  const std::string raw = "=?x-no-such-charset?Q?abc?= =?UTF-8?Q?ok?=";
  CHECK(rfc2047_decode(raw, ec) == "=?x-no-such-charset?Q?abc?= ok");
  CHECK(ec == errc::unknown_charset);
  for (const std::string bad : {"=?UTF-8?X?abc?=", "=?UTF-8?Q?abc", "=??Q?abc?=", "=?UTF-8?Q?a b?=",
                                "plain =? text", "=?UTF-8?B?***?="}) {
    INFO(bad);
    CHECK(rfc2047_decode(bad) == bad);
  }
  CHECK(rfc2047_decode("=?UTF-8?B?***?=", ec) == "=?UTF-8?B?***?=");
  CHECK(ec == errc::bad_encoded_word);
  // Text between words that is not only whitespace is kept.
  CHECK(rfc2047_decode("=?UTF-8?Q?a?= - =?UTF-8?Q?b?=") == "a - b");
}

TEST_CASE("rfc2047: unterminated words in a long value are left alone, quickly",
          "[mime][rfc2047]") {
  std::string hostile;
  while (hostile.size() < 300000) hostile += "=?a?q?xx";
  CHECK(rfc2047_decode(hostile) == hostile);
  const std::string over = "=?UTF-8?Q?" + std::string(1200, 'a') + "?=";
  CHECK(rfc2047_decode(over) == over);
}

TEST_CASE("rfc2047: Vietnamese subject round trip with folding", "[mime][rfc2047]") {
  const std::string subject =
      "Ti\xC3\xAAu \xC4\x91\xE1\xBB\x81: L\xE1\xBA\xADp tr\xC3\xACnh m\xE1\xBA\xA1ng";
  const std::string name = "Subject: ";
  for (std::size_t repeat : {1u, 5u}) {
    std::string text;
    for (std::size_t i = 0; i < repeat; ++i) text += (i ? " " : "") + subject;
    const std::string enc = rfc2047_encode(text, word_context::text, name.size());
    INFO(enc);
    CHECK(enc.find_first_of("\x80\xff") == std::string::npos);
    const auto lines = lines_of(name + enc);
    for (const auto& l : lines) CHECK(l.size() <= 78);
    for (std::size_t i = 1; i < lines.size(); ++i)
      CHECK((lines[i][0] == ' ' || lines[i][0] == '\t'));
    const auto words = encoded_words(enc);
    CHECK_FALSE(words.empty());
    for (const auto& w : words) CHECK(w.size() <= 75);
    // Unfold (RFC 5322 2.2.3: remove CRLF) and decode.
    std::string unfolded;
    for (std::size_t i = 0; i < lines.size(); ++i) unfolded += lines[i];
    std::error_code ec;
    CHECK(rfc2047_decode(unfolded.substr(name.size()), ec) == text);
    CHECK_FALSE(ec);
  }
}

TEST_CASE("rfc2047: encoder never splits a UTF-8 sequence", "[mime][rfc2047]") {
  std::mt19937 rng(3);
  const std::vector<std::string> pieces = {"a", " ", "\xC3\xA9", "\xE1\xBB\xAF", "\xF0\x9F\x98\x80",
                                           "?", "_", "=",        "\"",           "x"};
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int n = std::uniform_int_distribution<>(1, 120)(rng);
    for (int i = 0; i < n; ++i)
      text += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    for (auto ctx : {word_context::text, word_context::phrase}) {
      const std::string enc = rfc2047_encode(text, ctx, 9);
      INFO(text << " -> " << enc);
      for (const auto& w : encoded_words(enc)) {
        CHECK(w.size() <= 75);
        // Each word decodes to valid UTF-8 on its own.
        const std::string d = rfc2047_decode(w);
        CHECK(d.find("\xEF\xBF\xBD") == std::string::npos);
      }
      for (const auto& l : lines_of(std::string(9, 'S') + enc)) CHECK(l.size() <= 78);
      std::string unfolded;
      for (const auto& l : lines_of(enc)) unfolded += l;
      // Leading/trailing blanks of the input are preserved, interior ones too.
      CHECK(rfc2047_decode(unfolded) == text);
    }
  }
}

TEST_CASE("rfc2047: Q in a phrase uses only the RFC 2047 section 5 characters", "[mime][rfc2047]") {
  const std::string name = "Andreas M\xC3\xBCller, Universit\xC3\xA4tsbibliothek";
  const std::string enc = rfc2047_encode(name, word_context::phrase);
  INFO(enc);
  std::size_t q_words = 0;
  for (const auto& w : encoded_words(enc)) {
    if (w[8] != 'Q') continue;
    ++q_words;
    const std::string text = w.substr(10, w.size() - 12);
    for (char c : text) {
      const bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
                      std::string_view("!*+-/=_").find(c) != std::string_view::npos;
      CHECK(ok);
    }
  }
  CHECK(q_words > 0);
  CHECK(enc.find("=2C") != std::string::npos);  // the comma is encoded in a phrase...
  CHECK(rfc2047_decode(enc) == name);
  // ...but not in unstructured text, where the plain words stay plain.
  const std::string text_enc = rfc2047_encode(name, word_context::text);
  CHECK(text_enc.find("M=C3=BCller,") != std::string::npos);
  CHECK(text_enc.find(" Universit") == std::string::npos);
  CHECK(rfc2047_decode(text_enc) == name);
}

TEST_CASE("rfc2047: plain ASCII is returned as is, folded when long", "[mime][rfc2047]") {
  CHECK(rfc2047_encode("Hello world") == "Hello world");
  CHECK(rfc2047_encode("Smith, John", word_context::phrase) == "Smith, John");
  std::string long_text;
  for (int i = 0; i < 30; ++i) long_text += "word" + std::to_string(i) + " ";
  long_text += "end";
  const std::string enc = rfc2047_encode(long_text, word_context::text, 9);
  CHECK(enc.find("=?") == std::string::npos);
  for (const auto& l : lines_of("Subject: " + enc)) CHECK(l.size() <= 78);
  std::string unfolded;
  for (const auto& l : lines_of(enc)) unfolded += l;
  CHECK(unfolded == long_text);
  // A word too long for a folded line (after its own blanks) is encoded to be split.
  const std::string indented = "a   " + std::string(76, 'w');
  const std::string ie = rfc2047_encode(indented);
  for (const auto& l : lines_of(ie)) CHECK(l.size() <= 78);
  std::string iu;
  for (const auto& l : lines_of(ie)) iu += l;
  CHECK(rfc2047_decode(iu) == indented);
  // Something that looks like an encoded word, or a control character, is encoded.
  CHECK(rfc2047_decode(rfc2047_encode("=?UTF-8?Q?x?=")) == "=?UTF-8?Q?x?=");
  const std::string ctl = rfc2047_encode("a\r\nb");
  CHECK(ctl.find('\r') == std::string::npos);
  CHECK(rfc2047_decode(ctl) == "a\r\nb");
}

TEST_CASE("rfc2047: B is chosen when it is shorter", "[mime][rfc2047]") {
  // Mostly non-ASCII: B is shorter than Q's =XX triples.
  const std::string cjk = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E";
  CHECK(rfc2047_encode(cjk) == "=?UTF-8?B?" + base64_encode(cjk, 0) + "?=");
  // Mostly ASCII: Q.
  CHECK(rfc2047_encode("Universit\xC3\xA4tsbibliothek") ==
        "=?UTF-8?Q?Universit=C3=A4tsbibliothek?=");
  CHECK(rfc2047_encode("caf\xC3\xA9 au lait") == "=?UTF-8?B?Y2Fmw6k=?= au lait");
}

// ---------------------------------------------------------------- RFC 2231

TEST_CASE("rfc2231: RFC 2231 section 4.1 example", "[mime][rfc2231]") {
  rfc2231_decoder d;
  d.add("title*2", "isn't it!");
  d.add("title*0*", "us-ascii'en'This%20is%20even%20more%20");
  d.add("title*1*", "%2A%2A%2Afun%2A%2A%2A%20");
  d.add("charset", "us-ascii");
  const auto r = d.result();
  REQUIRE(r.size() == 2);
  CHECK(r[0].first == "title");
  CHECK(r[0].second == "This is even more ***fun*** isn't it!");
  CHECK(r[1] == std::make_pair("charset"s, "us-ascii"s));
}

TEST_CASE("rfc2231: charset conversion, RFC 2047 in plain values, precedence", "[mime][rfc2231]") {
  rfc2231_decoder d;
  d.add("FileName", "fallback.rar");
  d.add("filename*", "iso-8859-1'fr'caf%E9.txt");
  d.add("name", "=?UTF-8?B?QsOhbyBjw6FvLnJhcg==?=");
  d.add("URL*0", "ftp://");
  d.add("url*1", "cs.utk.edu/pub");
  d.add("x*", "%41%4");  // stray % kept
  const auto r = d.result();
  REQUIRE(r.size() == 4);
  CHECK(r[0] == std::make_pair("filename"s, "caf\xC3\xA9.txt"s));
  CHECK(r[1] == std::make_pair("name"s, "B\xC3\xA1o c\xC3\xA1o.rar"s));
  CHECK(r[2] == std::make_pair("url"s, "ftp://cs.utk.edu/pub"s));
  CHECK(r[3] == std::make_pair("x"s, "A%4"s));
}

TEST_CASE("rfc2231: encode fits every piece on a line and decodes back", "[mime][rfc2231]") {
  CHECK(rfc2231_encode("filename", "report.pdf") ==
        std::vector<std::pair<std::string, std::string>>{{"filename", "report.pdf"}});
  const auto one = rfc2231_encode("filename", "B\xC3\xA1o.rar");
  REQUIRE(one.size() == 1);
  CHECK(one[0] == std::make_pair("filename*"s, "UTF-8''B%C3%A1o.rar"s));

  std::string long_name;
  for (int i = 0; i < 12; ++i) long_name += "B\xC3\xA1o c\xC3\xA1o l\xE1\xBA\xADp tr\xC3\xACnh ";
  long_name += "\xF0\x9F\x98\x80.rar";
  for (std::size_t max_line : {78u, 40u}) {
    const auto pieces = rfc2231_encode("filename", long_name, max_line);
    REQUIRE(pieces.size() > 1);
    rfc2231_decoder d;
    // Out of order on purpose: the decoder sorts by section number.
    for (std::size_t i = pieces.size(); i-- > 0;) {
      const auto& [n, v] = pieces[i];
      CHECK(n == "filename*" + std::to_string(i) + "*");
      CHECK(1 + n.size() + 1 + v.size() + 1 <= max_line);
      CHECK(v.find_first_of(" \"\r\n;\x80") == std::string::npos);
      d.add(n, v);
    }
    CHECK(pieces[0].second.rfind("UTF-8''", 0) == 0);
    const auto r = d.result();
    REQUIRE(r.size() == 1);
    CHECK(r[0].second == long_name);
  }
}
