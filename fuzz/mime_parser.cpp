// libFuzzer target for mime::parser. Invariants: never crashes, never throws, and the tree
// is the same whether the input comes in one piece, one byte at a time, or in chunks of an
// odd size (every split point is a state the parser must resume from).
#include <mailproto/mime/parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../tests/unit/mime/parser_test_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mailproto::mime::parser_limits lim;
  lim.max_depth = 16;  // keep the recursive dump shallow
  lim.max_parts = 500;
  const std::string whole = parser_test::dump(parser_test::parse_chunked(in, 0, lim));
  if (size <= 16 * 1024) {
    if (parser_test::dump(parser_test::parse_chunked(in, 1, lim)) != whole) std::abort();
  }
  std::size_t chunk = size ? 1 + data[0] % 61 : 1;
  if (parser_test::dump(parser_test::parse_chunked(in, chunk, lim)) != whole) std::abort();
  return 0;
}
