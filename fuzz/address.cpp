// Fuzz target: the RFC 5322 address parser and formatter (mailproto/mime/address.hpp).
// Invariants: parse_address_list never crashes, hangs or throws, and either succeeds or
// sets errc::bad_address / errc::limit_exceeded; every mailbox it returns that format()
// accepts reads back (parse_mailbox) as the same local part, domain and display name
// (white space runs in the name aside).
#include <mailproto/mime/address.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mailproto::mime;

namespace {

// White space runs in a phrase are not significant (RFC 5322 §3.2.2): compare without them.
std::string squeeze(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

void round_trip(const mailbox& m, bool smtputf8) {
  std::error_code ec;
  const std::string text = format(m, smtputf8, ec);
  if (ec) return;
  auto back = parse_mailbox(text, ec);
  if (ec || !back) std::abort();  // we wrote something we cannot read
  if (back->local != m.local || back->domain != m.domain) std::abort();
  if (squeeze(back->name) != squeeze(m.name)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::error_code ec;
  std::string why;
  address_limits lim;
  lim.max_length = 4096;
  lim.max_count = 64;
  const auto list = parse_address_list(in, ec, &why, lim);
  if (ec) {
    if (ec != errc::bad_address && ec != errc::limit_exceeded) std::abort();
    if (!list.empty() || why.empty()) std::abort();
    return 0;
  }
  for (const auto& m : flatten(list)) {
    round_trip(m, true);
    round_trip(m, false);
  }
  (void)parse_mailbox(in, ec);
  return 0;
}
