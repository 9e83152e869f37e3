// mailproto/testing/transcript.hpp — the transcript format, and its loader.
//
// A transcript is one exchange, written as the textbooks print it (design.md §5):
//
//     # POP3: sizes of every message (RFC 1939 §5)        <- '#' lines are comments
//     S: +OK POP3 server ready                             <- the peer sends this + CRLF
//     C: USER bob                                          <- the client must send this + CRLF
//     C: PASS <redacted>                                   <- any secret the client marked
//     @tls                                                 <- TLS handshake happens here
//     @eof                                                 <- the peer closes the connection
//
// Lines
//   `S: text`   the peer sends `text` followed by CRLF. Consecutive S: lines form one burst,
//               which the player may deliver whole, one byte at a time, or split anywhere.
//   `C: text`   the client must send exactly `text` followed by CRLF. Consecutive C: lines
//               may arrive in one write (pipelining) or in several.
//   `S:` / `C:` with nothing after the colon: an empty line (just CRLF).
//   `<redacted>` inside a C: line matches one non-empty run of bytes without CR or LF that
//               the client sends there (a password, a SASL response); two markers need
//               literal text between them. player::expect_secret() can pin its value.
//   `# ...`     comment; blank lines are ignored.
//
// Escapes inside S:/C: text (anything else, e.g. IMAP's `\Seen`, stays literal):
//   `\r` CR, `\n` LF, `\t` TAB, `\0` NUL, `\xHH` any byte, `\\` one backslash,
//   and a lone `\` as the last character: the line has no CRLF.
//   (An IMAP quoted string "a\\b" is therefore written "a\\\\b".)
//
// Directives
//   `@tls`          the client performs the TLS handshake at this point (STARTTLS, STLS);
//                   the player pretends to be TLS — it checks the timing, not the crypto.
//   `@eof`          the peer closes: the client's next read gets end-of-file.
//   `@stall`        the peer goes silent: reads never complete; the client must time out.
//   `@error NAME`   the outcome the API must report (read by the test: expected_error()).
//
// A `C:` line the client did not send exactly, a read while the client should be writing,
// or a handshake out of place stops the player with a message naming the transcript line.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::testing {

enum class errc {
  mismatch = 1,     ///< the client sent something other than the next C: line
  unexpected_read,  ///< the client waited for data where the transcript expects it to send
  unexpected_tls,   ///< a TLS handshake where the transcript has none, or none where it has
  past_end,         ///< the client went on after the transcript ended
  bad_transcript,   ///< the transcript file itself is malformed
};
const std::error_category& testing_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), testing_category()};
}

/// One line of a transcript, parsed: bytes the peer sends, bytes the client must send, or a
/// directive (`@tls`, `@eof`, `@stall`).
struct step {
  /// `S:`, `C:`, `@tls`, `@eof`, `@stall`.
  enum class kind { server, client, tls, eof, stall };
  kind type = kind::server;  ///< what this step is
  /// server: the bytes to send; client: the bytes expected (with `pieces` when redacted).
  std::string bytes;
  /// client lines with `<redacted>`: the literal pieces around each secret (size = secrets+1).
  std::vector<std::string> pieces;
  int line = 0;        ///< 1-based line number in the file
  std::string source;  ///< the line as written, for messages
};

/// A parsed transcript: its steps, the expected error (`@error`) and the leading comments.
class transcript {
 public:
  /// Parse transcript text. Throws std::invalid_argument naming the line on malformed input.
  static transcript parse(std::string_view text, std::string name = "<memory>");
  /// Load a file. Throws std::runtime_error if it cannot be read.
  static transcript load(const std::string& path);

  /// The name given to parse() or the file path, for messages.
  const std::string& name() const noexcept { return name_; }
  /// The steps in order (comments and blank lines removed).
  const std::vector<step>& steps() const noexcept { return steps_; }
  /// The argument of the `@error` directive, or empty.
  const std::string& expected_error() const noexcept { return expected_error_; }
  /// The comment lines at the top (what the transcript shows, which RFC section).
  const std::vector<std::string>& comments() const noexcept { return comments_; }
  /// The longest server burst, in bytes (for split-everywhere grinding).
  std::size_t longest_burst() const noexcept;

 private:
  std::string name_;
  std::vector<step> steps_;
  std::string expected_error_;
  std::vector<std::string> comments_;
};

/// Decode the escapes of one S:/C: text; `crlf` is false when the text ends in a lone '\'.
std::string unescape(std::string_view text, bool& crlf);
/// The inverse, for messages: bytes as they would be written in a transcript.
std::string escape(std::string_view bytes);

}  // namespace mailproto::testing

template <>
struct std::is_error_code_enum<mailproto::testing::errc> : std::true_type {};
