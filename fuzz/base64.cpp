// fuzz_base64: base64 decoding must not depend on how the input is split, the scalar and
// SIMD cores must agree, and encode -> decode must give the input back.
#include <mailproto/mime/encoding.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mailproto::mime;

namespace {

std::string bytewise(std::string_view in, bool strict, std::error_code& ec) {
  base64_decoder d(strict);
  std::string out;
  for (char c : in)
    if (!d.update(std::string_view(&c, 1), out, ec)) return out;
  d.finish(out, ec);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (bool strict : {false, true}) {
    std::error_code ec_whole, ec_bytes, ec_split;
    const std::string whole = base64_decode(in, ec_whole, strict);
    if (bytewise(in, strict, ec_bytes) != whole || ec_bytes != ec_whole) std::abort();
    // Two chunks, split where the first byte says.
    const std::size_t at = size ? data[0] % (size + 1) : 0;
    base64_decoder d(strict);
    std::string split;
    if (d.update(in.substr(0, at), split, ec_split) && d.update(in.substr(at), split, ec_split))
      d.finish(split, ec_split);
    if (split != whole || ec_split != ec_whole) std::abort();
  }
  // Scalar and SIMD cores: same verdict, same bytes.
  std::string a(size / 4 * 3 + 3, '\0'), b(a.size(), '\0');
  std::size_t na = 0, nb = 0;
  const bool ra = base64_decode_scalar(in.data(), size, a.data(), &na);
  const bool rb = base64_decode_simd(in.data(), size, b.data(), &nb);
  if (ra != rb || (ra && (na != nb || a.compare(0, na, b, 0, nb) != 0))) std::abort();
  if (ra && base64_decode(in) != a.substr(0, na)) std::abort();
  // Round trip, wrapped at a length the input picks.
  const std::size_t line = size ? (data[size - 1] % 5) * 19 : 76;
  const std::string enc = base64_encode(in, line);
  if (enc.size() != base64_encoded_size(size, line)) std::abort();
  std::error_code ec;
  if (base64_decode(enc, ec, true) != in || ec) std::abort();
  return 0;
}
