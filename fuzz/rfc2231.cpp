// fuzz_rfc2231: the parameter decoder takes any names and values without crashing, and
// encode -> decode of a UTF-8 value gives it back with every piece within max_line.
#include <mailproto/mime/charset.hpp>
#include <mailproto/mime/encoding.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mailproto::mime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Arbitrary raw parameters: lines "name=value".
  rfc2231_decoder any;
  std::size_t start = 0;
  while (start < in.size()) {
    std::size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    const std::string_view line = in.substr(start, nl - start);
    const std::size_t eq = line.find('=');
    any.add(line.substr(0, eq), eq == std::string_view::npos ? "" : line.substr(eq + 1));
    start = nl + 1;
  }
  (void)any.result();

  if (size < 1 || size > 1000 || !is_valid_utf8(in.substr(1))) return 0;
  const std::size_t max_line = 40 + data[0] % 60;
  const std::string_view value = in.substr(1);
  const auto pieces = rfc2231_encode("filename", value, max_line);
  rfc2231_decoder d;
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
    const bool plain = it->first == "filename";
    // " " name "=" value ";" with quotes around a plain value
    if (1 + it->first.size() + 1 + it->second.size() + (plain ? 2 : 0) + 1 > max_line &&
        pieces.size() > 1)
      std::abort();
    d.add(it->first, it->second);
  }
  const auto r = d.result();
  if (r.size() != 1 || r[0].first != "filename" || r[0].second != value) std::abort();
  return 0;
}
