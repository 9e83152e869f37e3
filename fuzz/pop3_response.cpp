// libFuzzer target: the POP3 response parser (pop3/response_parser.hpp) and the grammar
// helpers applied to what it yields (LIST/UIDL/STAT lines, CAPA, APOP timestamp).
//
// Invariants: never crash, never grow without bound, and feeding the input whole, one
// byte at a time, or in borrowed pieces (feed_borrowed + keep, the zero-copy path) gives
// exactly the same events and the same error.
// Input: byte 0 says, bit by bit (cycling), whether the next response is multi-line;
// the rest is what the server sends.
#include <mailproto/pop3/protocol.hpp>
#include <mailproto/pop3/response_parser.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mailproto::pop3::response_parser;

struct outcome {
  std::vector<std::string> events;
  std::string body;  // data of the current multi-line response, CRLF lines (bulk or not)
  std::error_code ec;
};

void drain(response_parser& p, std::uint8_t mask, std::size_t& idx, outcome& out) {
  for (;;) {
    if (!p.in_data()) p.expect((mask >> (idx % 8)) & 1, (idx % 3) == 2);
    p.count_lines((idx % 4) != 1);
    p.bulk((idx % 4) == 1);
    const auto ev = p.next(out.ec);
    if (out.ec || ev == response_parser::event::need_more) return;
    switch (ev) {
      case response_parser::event::status: {
        const auto& st = p.status();
        out.events.push_back("S" + std::to_string(static_cast<int>(st.type)) + st.code + "|" +
                             st.text);
        mailproto::pop3::mailbox_stat s;
        (void)mailproto::pop3::parse_stat(st.text, s);
        (void)mailproto::pop3::apop_timestamp(st.text);
        if (!p.in_data()) ++idx;
        break;
      }
      case response_parser::event::data_line: {
        const std::string_view d = p.data();
        out.body.append(d).append("\r\n");
        mailproto::pop3::message_info m;
        mailproto::pop3::message_uid u;
        (void)mailproto::pop3::parse_list_line(d, m);
        (void)mailproto::pop3::parse_uidl_line(d, u);
        (void)mailproto::pop3::capabilities::parse({std::string(d)});
        break;
      }
      case response_parser::event::data_bytes:
        out.body.append(p.data());
        break;
      case response_parser::event::end_of_data:
        out.events.push_back("D" + out.body);
        out.body.clear();
        out.events.push_back("E");
        ++idx;
        break;
      default:
        return;
    }
  }
}

// step 0: the whole input in one feed; otherwise feeds of `step` bytes — copied, or
// borrowed from a reused read buffer that is overwritten after every keep() (as the POP3
// exchange does), so a byte read after keep() from the caller's memory would show.
outcome run(std::string_view wire, std::uint8_t mask, std::size_t step, bool borrowed) {
  response_parser p({.max_line = 256, .max_lines = 64});
  outcome out;
  std::size_t idx = 0;
  if (step == 0) {
    p.feed(wire);
    drain(p, mask, idx, out);
    return out;
  }
  std::string reused;
  for (std::size_t pos = 0; pos < wire.size(); pos += step) {
    const std::string_view piece = wire.substr(pos, step);
    if (borrowed) {
      reused.assign(piece);
      p.feed_borrowed(reused);
    } else {
      p.feed(piece);
    }
    drain(p, mask, idx, out);
    if (borrowed) {
      p.keep();
      reused.assign(reused.size(), '#');
    }
    if (out.ec) break;
  }
  return out;
}

bool same(const outcome& whole, const outcome& other) {
  // An error is reported as soon as it is certain; a split feed may find a too-long line
  // earlier (before the rest of the input arrives), so compare events up to the error.
  if (!whole.ec && !other.ec && (whole.events != other.events || whole.body != other.body))
    return false;
  if (whole.ec == other.ec && whole.events != other.events) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mask = data[0];
  const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
  const outcome whole = run(wire, mask, 0, false);
  if (!same(whole, run(wire, mask, 1, false))) std::abort();
  // Borrowed feeds in pieces of 1..16 bytes (chosen by the mask's low bits).
  if (!same(whole, run(wire, mask, 1 + (mask & 15), true))) std::abort();
  return 0;
}
