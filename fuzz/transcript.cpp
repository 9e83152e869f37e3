// libFuzzer target: the transcript loader (testing::transcript::parse, escape, unescape) and
// the player that plays it (testing::player).
//
// Invariants:
//  1. parse() either returns a transcript or throws std::invalid_argument — nothing else.
//  2. escape() writes no CR, LF, NUL or other control byte, and unescape(escape(x)) == x with
//     a CRLF (the text has no lone trailing backslash).
//  3. Written back as transcript text (S:/C: lines through escape(), the directives, the
//     leading comments), a parsed transcript parses to the same steps, secrets, error and
//     comments (a comment or @error name loses trailing CRs: the loader strips one CR per
//     line, as it must for CRLF files).
//  4. An obedient client — one that sends exactly the C: lines (secrets as one byte), reads
//     each S: burst to its end, hands over at @tls and expects end-of-file at @eof — is
//     accepted by the player under the delivery and write chunking that byte 0 selects:
//     every read returns the transcript's bytes in order, nothing fails, and at the end the
//     player reports finished().
#include <mailproto/testing/player.hpp>
#include <mailproto/testing/transcript.hpp>

#include <asio/error.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using mailproto::testing::step;
namespace testing = mailproto::testing;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_transcript: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::string strip_cr(std::string s) {
  while (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

// escape() for a C: piece: a piece that decodes to the marker text must not be written
// as the marker.
std::string escape_piece(std::string_view bytes) {
  std::string e = testing::escape(bytes);
  static constexpr std::string_view marker = "<redacted>";
  for (std::size_t p = e.find(marker); p != std::string::npos; p = e.find(marker, p + 1))
    e.replace(p, 1, "\\x3C");
  return e;
}

// One S:/C: text for `bytes`: CRLF-terminated bytes lose the CRLF, others get a lone '\'.
std::string line_text(std::string_view bytes, bool piece) {
  const bool crlf = bytes.size() >= 2 && bytes.substr(bytes.size() - 2) == "\r\n";
  if (crlf) bytes.remove_suffix(2);
  std::string e = piece ? escape_piece(bytes) : testing::escape(bytes);
  if (!crlf) e += '\\';
  return e;
}

std::string write_back(const testing::transcript& t) {
  std::string out;
  for (const auto& c : t.comments()) out += "# " + c + "\n";
  if (!t.expected_error().empty()) out += "@error " + t.expected_error() + "\n";
  for (const auto& s : t.steps()) {
    switch (s.type) {
      case step::kind::server:
        out += "S: " + line_text(s.bytes, false) + "\n";
        break;
      case step::kind::client:
        if (s.pieces.empty()) {
          out += "C: " + line_text(s.bytes, true) + "\n";
        } else {
          out += "C: ";
          for (std::size_t i = 0; i < s.pieces.size(); ++i) {
            if (i) out += "<redacted>";
            const bool last = i + 1 == s.pieces.size();
            out += last ? line_text(s.pieces[i], true) : escape_piece(s.pieces[i]);
          }
          out += "\n";
        }
        break;
      case step::kind::tls:
        out += "@tls\n";
        break;
      case step::kind::eof:
        out += "@eof\n";
        break;
      case step::kind::stall:
        out += "@stall\n";
        break;
    }
  }
  return out;
}

void check_escape(std::string_view bytes) {
  const std::string e = testing::escape(bytes);
  for (unsigned char c : e)
    if (c < 0x20 || c == 0x7f) fail("escape() left a control byte", e);
  bool crlf = false;
  if (testing::unescape(e, crlf) != bytes || !crlf) fail("unescape(escape(x)) != x", e);
}

void check_round_trip(const testing::transcript& t) {
  const std::string text = write_back(t);
  testing::transcript u;
  try {
    u = testing::transcript::parse(text);
  } catch (const std::invalid_argument& e) {
    fail("the transcript written back does not parse", std::string(e.what()) + "\n" + text);
  }
  if (u.steps().size() != t.steps().size()) fail("written back: step count differs", text);
  for (std::size_t i = 0; i < t.steps().size(); ++i) {
    const auto& a = t.steps()[i];
    const auto& b = u.steps()[i];
    if (a.type != b.type || a.bytes != b.bytes || a.pieces != b.pieces)
      fail("written back: a step differs", a.source + "\n" + text);
  }
  if (strip_cr(t.expected_error()) != strip_cr(u.expected_error()))
    fail("written back: @error differs", text);
  if (t.comments().size() != u.comments().size()) fail("written back: comments differ", text);
  for (std::size_t i = 0; i < t.comments().size(); ++i)
    if (strip_cr(t.comments()[i]) != strip_cr(u.comments()[i]))
      fail("written back: a comment differs", text);
}

// Runs one asynchronous transport operation to completion.
struct runner {
  asio::io_context ctx;
  std::error_code ec;
  std::size_t n = 0;
  bool done = false;

  mailproto::net::transport::handler handler() {
    done = false;
    return [this](std::error_code e, std::size_t k) {
      ec = e;
      n = k;
      done = true;
    };
  }
  void wait() {
    ctx.restart();
    while (!done && ctx.run_one() > 0) {
    }
    if (!done) fail("a player operation never completed");
  }
};

void play(const testing::transcript& t, std::uint8_t opt) {
  testing::delivery d;
  switch (opt & 3) {
    case 0:
      d = testing::delivery::whole_bursts();
      break;
    case 1:
      d = testing::delivery::byte_by_byte();
      break;
    default:
      d = testing::delivery::split_at(1 + ((opt >> 2) & 7));
      break;
  }
  const std::size_t chunk = (opt >> 5) ? (opt >> 5) : std::size_t(-1);  // write size
  testing::player p(t, d);
  runner r;
  auto tr = p.transport()(r.ctx.get_executor(), mailproto::net::connect_options{});
  tr->async_connect(r.handler());
  r.wait();
  if (r.ec) fail("connect failed", p.report());

  const auto& steps = t.steps();
  std::size_t i = 0;
  while (i < steps.size()) {
    const auto& s = steps[i];
    if (s.type == step::kind::server) {
      std::string burst;
      for (; i < steps.size() && steps[i].type == step::kind::server; ++i) burst += steps[i].bytes;
      std::string got;
      char buf[64];
      do {
        tr->async_read_some(asio::buffer(buf), r.handler());
        r.wait();
        if (r.ec) fail("a read of an S: burst failed", p.report());
        got.append(buf, r.n);
        if (got.size() > burst.size() || r.n > sizeof buf) fail("read past the burst", p.report());
        if (r.n == 0 && !burst.empty()) fail("an empty read inside a burst", p.report());
      } while (got.size() < burst.size());
      if (got != burst) fail("the bytes read differ from the S: lines", p.report());
      continue;
    }
    if (s.type == step::kind::client) {
      std::string out;
      for (; i < steps.size() && steps[i].type == step::kind::client; ++i) {
        const auto& c = steps[i];
        if (c.pieces.empty()) {
          out += c.bytes;
          continue;
        }
        for (std::size_t k = 0; k < c.pieces.size(); ++k) {
          if (k) out += 's';
          out += c.pieces[k];
        }
      }
      for (std::size_t pos = 0; pos < out.size();) {
        const std::size_t n = std::min(chunk, out.size() - pos);
        tr->async_write(asio::buffer(out.data() + pos, n), r.handler());
        r.wait();
        if (r.ec || r.n != n) fail("a write of the C: lines was refused", p.report());
        pos += n;
      }
      continue;
    }
    ++i;
    if (s.type == step::kind::tls) {
      tr->async_tls_handshake(r.handler());
      r.wait();
      if (r.ec) fail("the handshake at @tls was refused", p.report());
    } else if (s.type == step::kind::eof) {
      char b[8];
      tr->async_read_some(asio::buffer(b), r.handler());
      r.wait();
      if (r.ec != asio::error::eof) fail("no end-of-file at @eof", p.report());
    } else {  // stall: the read must wait until cancelled; the transcript ends there for us
      char b[8];
      tr->async_read_some(asio::buffer(b), r.handler());
      r.ctx.restart();
      r.ctx.poll();
      if (r.done) fail("a read completed at @stall", p.report());
      tr->cancel();
      r.wait();
      if (r.ec != asio::error::operation_aborted) fail("a stalled read not aborted", p.report());
      return;
    }
  }
  if (!p.failure().empty() || !p.finished()) fail("the player did not finish", p.report());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t opt = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_escape(in);
  testing::transcript t;
  try {
    t = testing::transcript::parse(in);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  for (const auto& s : t.steps()) check_escape(s.bytes);
  check_round_trip(t);
  play(t, opt);
  return 0;
}
