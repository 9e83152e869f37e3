// mailproto/net/trace.hpp — the textbook C:/S: transcript of a session.
//
// Every line the client sends is reported as "C: <line>", every line it receives as
// "S: <line>", and events (TLS handshake, verification result, errors, disconnects) as
// "# <text>" comment lines — the same format the transcript player reads (design.md §5).
// Bytes a protocol marks secret (passwords, SASL responses) print as "<redacted>".
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace mailproto::net {

/// Receives one complete trace line at a time, without CRLF ("C: EHLO x", "# TLS ...").
using trace_sink = std::function<void(std::string_view line)>;

/// A trace sink that writes each line and '\n' to `os` (e.g. std::cerr).
trace_sink trace_to(std::ostream& os);

/// A byte range of an outgoing write that must never be shown.
struct secret_span {
  std::size_t offset = 0;  ///< first byte of the secret in the write
  std::size_t length = 0;  ///< number of bytes
};

/// Turns raw bytes into trace lines. Used by the connection; public so protocol tests and
/// tools can format bytes the same way. Non-printable bytes print as `\xHH` escapes, and at
/// most `max_line` characters of a line are shown ("..." marks the cut).
class tracer {
 public:
  /// A tracer writing to `sink` (empty: tracing off), lines cut at `max_line` characters.
  explicit tracer(trace_sink sink = {}, std::size_t max_line = 1000);

  /// True when a sink is set.
  bool enabled() const noexcept { return static_cast<bool>(sink_); }
  /// Bytes the client wrote; spans are relative to `bytes` and print as `<redacted>`.
  void client(std::string_view bytes, const std::vector<secret_span>& secrets = {});
  /// Bytes the client received.
  void server(std::string_view bytes);
  /// A comment line ("# ...").
  void note(std::string_view text);
  /// Emit any partial line held back (at close or before a note).
  void flush();

 private:
  void emit(char who, std::string& partial, std::string_view bytes);
  trace_sink sink_;
  std::size_t max_line_;
  std::string client_partial_;
  std::string server_partial_;
};

}  // namespace mailproto::net
