// mailproto/pop3/response_parser.hpp — sans-I/O parser of POP3 server responses.
//
// POP3 responses (RFC 1939 §3) are one status line, "+OK text" or "-ERR text", optionally
// carrying an RFC 2449 §8 extended response code ("-ERR [IN-USE] locked"). Some commands
// (CAPA, LIST, UIDL, RETR, TOP) follow a "+OK" with data lines ended by a line holding a
// single "." — lines beginning with "." are dot-stuffed by the server and unstuffed here.
// During AUTH (RFC 5034 §4) the server may also send a continuation "+ base64".
//
// The wire does not say which responses are multi-line: the caller does, by calling
// expect_multiline() before each response. Then:
//
//     parser.feed(bytes);
//     for (;;) {
//       auto ev = parser.next(ec);            // ec: line_too_long, bad_response
//       if (ev == event::need_more) break;    // feed more bytes
//       if (ev == event::status)   use(parser.status());
//       if (ev == event::data_line) use(parser.data());   // unstuffed, without CRLF
//       if (ev == event::end_of_data) ...;    // the "." terminator
//     }
//
// Incremental: a response may arrive one byte at a time, the "." terminator may be split
// across reads; scanning resumes where it stopped (net::line_buffer). Bounded: every line
// by parser_limits::max_line (errc::line_too_long); the data lines of one response by
// max_lines when the caller asks for it (buffered lists), never for streamed RETR/TOP.
#pragma once

#include <mailproto/net/line_buffer.hpp>
#include <mailproto/server_reply.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace mailproto::pop3 {

/// Bounds of the parser. Plain aggregate with safe defaults.
struct parser_limits {
  /// Longest line accepted (status or data), without CRLF. RFC 1939 §3 allows 512 octets
  /// for a status line; message lines may be longer, so the default is generous.
  std::size_t max_line = 64 * 1024;
  /// Most data lines a buffered multi-line response (CAPA, LIST, UIDL) may have.
  std::size_t max_lines = 1'000'000;
};

/// One status line.
struct response {
  /// `+OK`, `-ERR`, or a `+ ` SASL continuation.
  enum class kind { ok, err, continuation };
  kind type = kind::ok;  ///< which status
  /// RFC 2449 §8 extended response code without brackets ("IN-USE", "SYS/TEMP"), or "".
  std::string code;
  /// The text after the status (and after the response code), or, for a continuation, the
  /// base64 challenge.
  std::string text;

  /// True for `+OK`.
  bool ok() const noexcept { return type == kind::ok; }
  /// As a server_reply: status "+OK"/"-ERR"/"+", enhanced = code, lines = {text} (none if
  /// the text is empty).
  server_reply to_reply() const;
};

/// Parses one status line (without CRLF). Returns false if it is not a POP3 status line.
/// `allow_continuation`: accept "+ text" / "+" (only valid during AUTH).
bool parse_status_line(std::string_view line, bool allow_continuation, response& out);

/// The sans-I/O POP3 response parser: status lines and dot-terminated multi-line data,
/// bounded by parser_limits, fed in any chunking; next() reports one event at a time.
class response_parser {
 public:
  /// What next() found.
  enum class event {
    need_more,    ///< feed more bytes
    status,       ///< a status line: see status()
    data_line,    ///< a data line of a multi-line response: see data()
    data_bytes,   ///< (bulk mode) complete CRLF lines, none starting with ".": see data()
    end_of_data,  ///< the "." line ending a multi-line response
  };

  /// A parser with the given bounds.
  explicit response_parser(parser_limits limits = {});

  /// Append received bytes.
  void feed(std::string_view bytes) { lines_.feed(bytes); }
  /// Zero-copy feed (net::line_buffer::feed_borrowed): `bytes` are read in place until
  /// keep(), which the caller must call before that memory changes.
  void feed_borrowed(std::string_view bytes) { lines_.feed_borrowed(bytes); }
  /// Copy what is pending of borrowed bytes into the parser's own buffer.
  void keep() { lines_.keep(); }

  /// Whether the next status line starts a multi-line response if it is "+OK" (the caller
  /// knows from the command it sent). `allow_continuation`: accept "+ " (during AUTH).
  void expect(bool multiline, bool allow_continuation = false) noexcept {
    multiline_ = multiline;
    continuation_ = allow_continuation;
  }
  /// Count data lines against limits().max_lines for the current response (buffered lists).
  void count_lines(bool on) noexcept { count_ = on; }
  /// Bulk mode for streamed responses (RETR, TOP): runs of ordinary CRLF-terminated lines
  /// (no leading ".", no bare LF, each within max_line) come out as one data_bytes event,
  /// with their CRLFs, straight from the buffer; other lines still come one by one as
  /// data_line. The concatenation (data_line + CRLF, data_bytes) is the same whatever the
  /// chunking.
  void bulk(bool on) noexcept { bulk_ = on; }

  /// The next event. On error returns need_more with `ec` set: net::errc::line_too_long,
  /// errc::bad_response, errc::response_too_large. After an error the parser is unusable.
  event next(std::error_code& ec);

  /// The last status line (valid after event::status, until the next status).
  const response& status() const noexcept { return status_; }
  /// The last data line, dot-unstuffed, without its line ending; for data_bytes, the run of
  /// lines with their CRLFs. Valid until the next call of a non-const member.
  std::string_view data() const noexcept { return data_; }
  /// True while inside the data lines of a multi-line response.
  bool in_data() const noexcept { return in_data_; }
  /// Bytes received and not yet parsed (non-empty after STLS +OK means injection).
  bool has_buffered() const noexcept { return !lines_.empty(); }
  /// Forget everything buffered (after the TLS handshake).
  void reset() noexcept;
  /// The bounds in force.
  const parser_limits& limits() const noexcept { return limits_; }
  /// Change the bounds (e.g. after the options are known).
  void set_limits(parser_limits l) noexcept;

 private:
  parser_limits limits_;
  net::line_buffer lines_;
  response status_;
  std::string_view data_;
  std::size_t lines_seen_ = 0;
  bool multiline_ = false;
  bool continuation_ = false;
  bool count_ = false;
  bool bulk_ = false;
  bool in_data_ = false;
};

}  // namespace mailproto::pop3
