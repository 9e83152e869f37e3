// fuzz_qp: quoted-printable decoding must not depend on how the input is split, and the
// binary-mode encoder must round-trip with lines of at most 76 characters.
#include <mailproto/mime/encoding.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mailproto::mime;

namespace {

std::string bytewise(std::string_view in, bool strict, std::error_code& ec) {
  qp_decoder d(strict);
  std::string out;
  for (char c : in)
    if (!d.update(std::string_view(&c, 1), out, ec)) return out;
  d.finish(out, ec);
  return out;
}

void check_lines(const std::string& enc) {
  std::size_t start = 0;
  for (;;) {
    const auto p = enc.find("\r\n", start);
    const std::size_t len = (p == std::string::npos ? enc.size() : p) - start;
    if (len > 76) std::abort();
    if (p == std::string::npos) break;
    start = p + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (bool strict : {false, true}) {
    std::error_code ec_whole, ec_bytes;
    const std::string whole = qp_decode(in, ec_whole, strict);
    if (bytewise(in, strict, ec_bytes) != whole || ec_bytes != ec_whole) std::abort();
  }
  const std::string bin = qp_encode(in, qp_mode::binary);
  check_lines(bin);
  std::error_code ec;
  if (qp_decode(bin, ec, true) != in || ec) std::abort();
  const std::string text = qp_encode(in, qp_mode::text);
  check_lines(text);
  if (qp_decode(text, ec, true).size() > text.size() || ec) std::abort();
  return 0;
}
