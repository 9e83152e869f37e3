// libFuzzer target: the IMAP command writer, round trip. A value written as a string
// (quoted or literal, as its content requires) and read back by the response parser gives
// the same bytes; a value with CR/LF/NUL is refused; a mailbox name goes through modified
// UTF-7 and back unchanged.
#include <mailproto/imap/command_writer.hpp>
#include <mailproto/imap/response_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace mailproto::imap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto mode = static_cast<literal_mode>(data[0] % 3);
  const bool utf8 = data[0] & 0x10;
  const std::string v(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool unsafe = v.find_first_of(std::string("\r\n\0", 3)) != std::string::npos;

  command_writer w(mode, utf8);
  w.begin("a1", "X").string(v);
  const auto ec = w.finish();
  if (unsafe != static_cast<bool>(ec)) std::abort();
  if (!ec) {
    // The parts joined are what goes on the wire (the server's "+" comes in between).
    const std::string wire = "*" + w.str().substr(2);
    response_parser p;
    p.feed(wire);
    std::error_code pec;
    auto ev = p.next(pec);
    if (pec || ev.kind != parser_event::type::response) std::abort();
    const auto& r = p.get();
    if (r.args.size() != 1 || !r.args[0].is_string() || r.args[0].text != v) std::abort();
  }

  command_writer m(mode, utf8);
  m.begin("a1", "CREATE").mailbox(v);
  if (!m.finish() && !utf8) {
    std::error_code e1, e2;
    const std::string enc = encode_mailbox_utf7(v, e1);
    if (e1 || decode_mailbox_utf7(enc, e2) != v || e2) std::abort();
  }
  return 0;
}
