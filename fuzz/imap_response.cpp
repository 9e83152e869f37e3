// libFuzzer target: the IMAP response parser and the result decoders.
// Fed whole and one byte at a time, the parser must give the same responses (or the same
// error), never crash, and never hold more than its limits allow.
#include <mailproto/imap/response_parser.hpp>
#include <mailproto/imap/types.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mailproto::imap;

std::string flat(const value& v) {
  std::string s(1, static_cast<char>('0' + static_cast<int>(v.type)));
  s += v.text;
  for (const auto& x : v.list) s += flat(x);
  return s + ")";
}

std::vector<std::string> run(std::string_view data, bool bytewise, std::error_code& ec) {
  parser_limits lim;
  lim.max_line = 4096;
  lim.max_literal_in_memory = 512;
  lim.max_depth = 16;
  lim.max_response_bytes = 1 << 20;
  response_parser p(lim);
  std::vector<std::string> out;
  auto drain = [&] {
    for (;;) {
      auto ev = p.next(ec);
      if (ec || ev.kind == parser_event::type::need_more) return;
      if (ev.kind != parser_event::type::response) continue;
      const response& r = p.get();
      std::string s = r.tag + "|" + r.name + "|" + r.code + "|" + r.text + "|";
      for (const auto& a : r.args) s += flat(a);
      out.push_back(std::move(s));
      std::error_code dec;  // the decoders must cope with anything the parser accepts
      if (r.name == "FETCH") decode_fetch(r, dec);
      if (r.name == "LIST") decode_list(r, false, dec);
      if (r.name == "STATUS") decode_status(r, true, dec);
      if (r.name == "NAMESPACE") decode_namespace(r, dec);
      if (r.name == "ID") decode_id(r, dec);
      if (r.name == "SEARCH" || r.name == "ESEARCH") {
        search_result sr;
        decode_search(r, sr, dec);
      }
      if (r.name == "VANISHED") {
        bool e = false;
        decode_vanished(r, e, dec);
      }
    }
  };
  if (!bytewise) {
    p.feed(data);
    drain();
  } else {
    for (std::size_t i = 0; i < data.size() && !ec; ++i) {
      p.feed(data.substr(i, 1));
      drain();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::error_code e1, e2;
  const auto whole = run(in, false, e1);
  const auto bytes = run(in, true, e2);
  if (e1 != e2 || whole != bytes) std::abort();
  std::error_code ec;
  decode_mailbox_utf7(in, ec);
  return 0;
}
