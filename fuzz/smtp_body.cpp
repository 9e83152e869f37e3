// libFuzzer target: the SMTP body encoder (src/smtp/body_encoder.hpp), differentially.
// Invariants, for any body: encoding it in pieces (the first input byte picks the piece
// size) gives the same bytes as encoding it whole, in DATA and BDAT mode; the RFC 1870 size
// (transmitted_size) is the BDAT encoding's length; plain() is true exactly when the
// encoding changes nothing but the end (the CRLF a last line without one gets, and DATA's
// ".\r\n"); and a plain body copied in pieces (append_plain) ends as encode() makes it.
#include "smtp/body_encoder.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using mailproto::smtp::detail::body_encoder;

std::string encode(std::string_view in, body_encoder::mode m, std::size_t piece, bool copy) {
  body_encoder e(m);
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += piece) {
    if (copy)
      e.append_plain(in.substr(i, piece), out);
    else
      e.encode(in.substr(i, piece), out);
  }
  e.finish(out);
  return out;
}

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 32;
  const std::string_view s(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string end = s.empty() || s.back() == '\n' ? "" : "\r\n";

  const std::string data_whole = encode(s, body_encoder::mode::data, s.size() + 1, false);
  const std::string bdat_whole = encode(s, body_encoder::mode::bdat, s.size() + 1, false);
  require(encode(s, body_encoder::mode::data, piece, false) == data_whole);
  require(encode(s, body_encoder::mode::bdat, piece, false) == bdat_whole);
  require(body_encoder::transmitted_size(s, body_encoder::mode::bdat) == bdat_whole.size());

  const std::string unchanged = std::string(s) + end;
  const bool data_plain = data_whole == unchanged + ".\r\n";
  require(body_encoder::plain(s, true) == data_plain);
  require(body_encoder::plain(s, false) == (bdat_whole == unchanged));
  if (data_plain) require(encode(s, body_encoder::mode::data, piece, true) == data_whole);
  return 0;
}
