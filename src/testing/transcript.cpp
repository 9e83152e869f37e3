#include <mailproto/testing/transcript.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mailproto::testing {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mailproto.testing"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::mismatch:
        return "the client sent something other than the transcript's C: line";
      case errc::unexpected_read:
        return "the client waited for data where the transcript expects it to send";
      case errc::unexpected_tls:
        return "TLS handshake out of place";
      case errc::past_end:
        return "the client went on after the end of the transcript";
      case errc::bad_transcript:
        return "malformed transcript";
    }
    return "unknown transcript error";
  }
};

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::error_category& testing_category() noexcept {
  static const category c;
  return c;
}

std::string unescape(std::string_view text, bool& crlf) {
  crlf = true;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 == text.size()) {  // lone trailing backslash: no CRLF
      crlf = false;
      break;
    }
    const char n = text[i + 1];
    switch (n) {
      case 'r':
        out += '\r';
        ++i;
        break;
      case 'n':
        out += '\n';
        ++i;
        break;
      case 't':
        out += '\t';
        ++i;
        break;
      case '0':
        out += '\0';
        ++i;
        break;
      case '\\':
        out += '\\';
        ++i;
        break;
      case 'x':
        if (i + 3 < text.size() + 0 && hexval(text[i + 2]) >= 0 && hexval(text[i + 3]) >= 0) {
          out += static_cast<char>(hexval(text[i + 2]) * 16 + hexval(text[i + 3]));
          i += 3;
        } else {
          out += c;
        }
        break;
      default:
        out += c;
        break;  // e.g. IMAP's \Seen: literal
    }
  }
  return out;
}

std::string escape(std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\\')
      out += "\\\\";
    else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

transcript transcript::parse(std::string_view text, std::string name) {
  transcript t;
  t.name_ = std::move(name);
  int lineno = 0;
  bool seen_step = false;
  while (!text.empty()) {
    ++lineno;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (!seen_step) {
        auto c = line.substr(1);
        if (!c.empty() && c[0] == ' ') c.remove_prefix(1);
        t.comments_.emplace_back(c);
      }
      continue;
    }
    seen_step = true;
    auto fail = [&](const std::string& why) {
      throw std::invalid_argument(t.name_ + ":" + std::to_string(lineno) + ": " + why + ": " +
                                  std::string(line));
    };
    if (line[0] == '@') {
      auto word = line.substr(1, line.find(' ') == std::string_view::npos ? std::string_view::npos
                                                                          : line.find(' ') - 1);
      step s;
      s.line = lineno;
      s.source = std::string(line);
      if (word == "tls")
        s.type = step::kind::tls;
      else if (word == "eof")
        s.type = step::kind::eof;
      else if (word == "stall")
        s.type = step::kind::stall;
      else if (word == "error") {
        auto sp = line.find(' ');
        if (sp == std::string_view::npos) fail("@error needs a name");
        t.expected_error_ = std::string(line.substr(sp + 1));
        continue;
      } else {
        fail("unknown directive");
      }
      t.steps_.push_back(std::move(s));
      continue;
    }
    if (line.size() < 2 || (line[0] != 'S' && line[0] != 'C') || line[1] != ':')
      fail("expected 'S:', 'C:', '@' or '#'");
    std::string_view body = line.substr(2);
    if (!body.empty() && body[0] == ' ') body.remove_prefix(1);
    step s;
    s.line = lineno;
    s.source = std::string(line);
    if (line[0] == 'S') {
      s.type = step::kind::server;
      bool crlf = true;
      s.bytes = unescape(body, crlf);
      if (crlf) s.bytes += "\r\n";
      if (s.bytes.empty()) fail("an S: line ending in '\\' must send at least one byte");
    } else {
      s.type = step::kind::client;
      static constexpr std::string_view marker = "<redacted>";
      std::vector<std::string> pieces;
      bool crlf = true;
      std::size_t pos = 0;
      for (;;) {
        auto m = body.find(marker, pos);
        bool c2 = true;
        pieces.push_back(unescape(
            body.substr(pos, m == std::string_view::npos ? std::string_view::npos : m - pos), c2));
        if (m == std::string_view::npos) {
          crlf = c2;
          break;
        }
        if (!c2) fail("a lone '\\' before <redacted>: write '\\\\' for a backslash");
        // Two secrets with nothing between them cannot be told apart (where does the
        // first end?).
        if (pieces.size() > 1 && pieces.back().empty())
          fail("two <redacted> markers need literal text between them");
        pos = m + marker.size();
      }
      if (crlf) pieces.back() += "\r\n";
      // A secret that ends an unterminated line would run to wherever the client's write
      // happens to end, swallowing the next line's bytes when writes are coalesced.
      if (pieces.size() > 1 && pieces.back().empty())
        fail("<redacted> cannot end a line without CRLF (nothing would mark where it ends)");
      for (auto& p : pieces) s.bytes += p;
      if (s.bytes.empty() && pieces.size() == 1)
        fail("a C: line ending in '\\' must send at least one byte");
      if (pieces.size() > 1) s.pieces = std::move(pieces);
    }
    t.steps_.push_back(std::move(s));
  }
  return t;
}

transcript transcript::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read transcript " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::size_t transcript::longest_burst() const noexcept {
  std::size_t best = 0, cur = 0;
  for (const auto& s : steps_) {
    if (s.type == step::kind::server) {
      cur += s.bytes.size();
      best = std::max(best, cur);
    } else {
      cur = 0;
    }
  }
  return best;
}

}  // namespace mailproto::testing
