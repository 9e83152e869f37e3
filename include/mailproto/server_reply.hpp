// mailproto/server_reply.hpp — one type for what a server said, in all three protocols.
#pragma once

#include <string>
#include <vector>

namespace mailproto {

/// The last reply of a server, kept beside an error_code so callers can show it.
/// Server text is untrusted: it may contain anything the server chose to send.
struct server_reply {
  /// SMTP: the 3-digit reply code (250, 550, ...). POP3 and IMAP: 0.
  int code = 0;
  /// POP3: "+OK" / "-ERR"; IMAP: "OK" / "NO" / "BAD" / "BYE" / "PREAUTH"; SMTP: empty.
  std::string status;
  /// SMTP: the RFC 3463 enhanced status ("5.7.8"); POP3: the RFC 2449 response code
  /// ("IN-USE", "SYS/TEMP"); IMAP: the response code atom ("TRYCREATE"). Empty if none.
  std::string enhanced;
  /// The human-readable text, one entry per reply line (without code, status, CRLF).
  std::vector<std::string> lines;

  /// True when no reply was recorded (no code, no status, no text).
  bool empty() const noexcept { return code == 0 && status.empty() && lines.empty(); }
  /// All lines joined with "\n".
  std::string text() const;
  /// A one-line rendering for messages: "550 5.1.1 No such user" / "-ERR [IN-USE] locked".
  std::string to_string() const;
};

}  // namespace mailproto
