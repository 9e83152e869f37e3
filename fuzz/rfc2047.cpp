// fuzz_rfc2047: decoding arbitrary header text never crashes and always yields something;
// encoding valid UTF-8 gives words of at most 75 characters, lines of at most 78, and
// decodes back to the input.
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mailproto::mime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  const std::string d1 = rfc2047_decode(in, ec);
  if (rfc2047_decode(in) != d1) std::abort();  // deterministic, same with or without ec
  if (!is_valid_utf8(in) || size > 4000) return 0;

  for (auto ctx : {word_context::text, word_context::phrase}) {
    const std::string enc = rfc2047_encode(in, ctx, 0);
    // Long blank runs and trailing blanks are kept as they are, so may overflow a line.
    const bool blanks_ok = in.find("     ") == std::string_view::npos &&
                           in.find("\t") == std::string_view::npos &&
                           (in.empty() || in.back() != ' ');
    std::string unfolded;
    std::size_t start = 0;
    for (;;) {
      const auto p = enc.find("\r\n", start);
      const std::string_view line = std::string_view(enc).substr(
          start, p == std::string::npos ? std::string::npos : p - start);
      if (blanks_ok && line.size() > 78) std::abort();
      unfolded += line;
      if (p == std::string::npos) break;
      start = p + 2;
    }
    // Every encoded word is at most 75 characters.
    for (std::size_t i = 0; (i = enc.find("=?UTF-8?", i)) != std::string::npos;) {
      const std::size_t e = enc.find("?=", i + 10);
      if (e == std::string::npos || e + 2 - i > 75) std::abort();
      i = e + 2;
    }
    std::error_code dec_ec;
    if (rfc2047_decode(unfolded, dec_ec) != in || dec_ec) std::abort();
  }
  return 0;
}
