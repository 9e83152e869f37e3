// mailproto/smtp/reply_parser.hpp — sans-I/O parser of SMTP replies (RFC 5321 §4.2).
//
//   smtp::reply_parser p;
//   p.feed(bytes);                         // any chunking: whole, one byte at a time, ...
//   server_reply r; std::error_code ec;
//   while (p.next(r, ec)) use(r);          // each complete reply, in order
//   if (ec) ...                            // malformed or over a bound: the session is over
//
// Grammar (RFC 5321 §4.2):
//   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//                   Reply-code [ SP textstring ] CRLF
//   Reply-code = %x32-35 %x30-35 %x30-39
// Every line of a multi-line reply must carry the same code. When enhanced status codes are
// enabled (the server advertised ENHANCEDSTATUSCODES, RFC 2034), a 2xx/4xx/5xx reply's text
// may start with "class.subject.detail " (RFC 3463 §2), whose class must match the reply's
// first digit; it is moved into server_reply::enhanced and removed from each line.
// Tolerated: a bare LF as line end (some old servers), and a reply line with the code alone.
#pragma once

#include <mailproto/net/line_buffer.hpp>
#include <mailproto/server_reply.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>

namespace mailproto::smtp {

/// Bounds of the reply parser (a reply over either is an error, never unbounded growth).
struct reply_limits {
  /// Longest reply line accepted (RFC 5321 §4.5.3.1.5 says 512; servers send longer text).
  std::size_t max_line = 8 * 1024;
  /// Most lines in one multi-line reply (an EHLO reply has about 20).
  std::size_t max_lines = 256;
};

/// The sans-I/O SMTP reply parser (RFC 5321 §4.2): single- and multi-line replies, with
/// enhanced status codes, fed in any chunking, bounded by reply_limits.
class reply_parser {
 public:
  /// A parser with the given bounds.
  explicit reply_parser(reply_limits limits = {});

  /// Append received bytes. Nothing is parsed until next() is called.
  void feed(std::string_view bytes);

  /// The next complete reply. Returns false when more bytes are needed, or when `ec` is set
  /// (smtp::errc::bad_reply, inconsistent_reply, reply_too_long, net::errc::line_too_long);
  /// after an error the parser stays failed.
  bool next(server_reply& out, std::error_code& ec);

  /// Parse RFC 3463 enhanced status codes from now on (set after EHLO lists
  /// ENHANCEDSTATUSCODES).
  void set_enhanced_status(bool on) noexcept { enhanced_ = on; }
  /// Whether enhanced status codes are parsed.
  bool enhanced_status() const noexcept { return enhanced_; }

  /// True when bytes are buffered that are not yet part of a returned reply (a partial reply,
  /// or whole replies not yet taken). Used for the RFC 3207 §4 check before a TLS handshake.
  bool has_buffered() const noexcept { return !lines_.lines.empty() || !buf_.empty(); }
  /// The raw bytes not yet consumed (for diagnostics, e.g. "TLS record instead of greeting").
  std::string_view buffered_bytes() const noexcept { return buf_.pending(); }

  /// Forget everything buffered (after a handshake or on reconnect).
  void reset();

  /// The bounds in force.
  const reply_limits& limits() const noexcept { return limits_; }

 private:
  reply_limits limits_;
  net::line_buffer buf_;
  bool enhanced_ = false;
  bool failed_ = false;
  std::error_code error_;
  // The reply being assembled.
  int code_ = 0;
  server_reply lines_;
};

/// Parse an RFC 3463 enhanced status code at the start of `text` ("5.1.1 text"). Returns its
/// length including the following space (0 if there is none). `reply_class` is the reply's
/// first digit ('2', '4', '5'); the status class must equal it.
std::size_t parse_enhanced_status(std::string_view text, char reply_class) noexcept;

}  // namespace mailproto::smtp
