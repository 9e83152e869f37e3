// Session state helpers (see smtp/protocol.hpp for the theory of operation).
#include <mailproto/smtp/errc.hpp>
#include <mailproto/smtp/protocol.hpp>

namespace mailproto::smtp {

void protocol::begin_connect() {
  state_ = session_state::greeting;
  caps_ = {};
  tls_ = false;
  authenticated_ = false;
  parser_ = reply_parser(opts_.limits);
  last_ = {};
}

bool protocol::next_reply(server_reply& out, std::error_code& ec) {
  if (!parser_.next(out, ec)) return false;
  last_ = out;
  return true;
}

void protocol::set_capabilities(smtp::capabilities c) {
  caps_ = std::move(c);
  // RFC 2034 §3: enhanced codes appear only once the server has announced them.
  parser_.set_enhanced_status(caps_.enhanced_status_codes);
}

std::string xtext(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 33 && c <= 126 && c != '+' && c != '=') {
      out += static_cast<char>(c);
    } else {
      out += '+';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::error_code check_address(std::string_view a, bool& utf8) {
  utf8 = false;
  if (a.empty() || a.size() > 256) return errc::bad_address;
  for (unsigned char c : a) {
    if (c < 0x21 || c == 0x7f || c == '<' || c == '>') return errc::bad_address;
    if (c >= 0x80) utf8 = true;
  }
  return {};
}

}  // namespace mailproto::smtp
