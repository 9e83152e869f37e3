// Private: the streaming transform applied to a message body on its way to the server.
//
// RFC 5321 §2.3.8: lines end in CRLF; a bare CR or bare LF is normalised to CRLF.
// RFC 5321 §4.5.2 (DATA only): a line that starts with "." gets one more "." in front
// ("transparency"), and the data ends with CRLF "." CRLF — a last line without CRLF gets
// one first. The state (at line start, CR pending) survives chunk boundaries, so a body
// can be fed in pieces of any size. With `binary` (BDAT BODY=BINARYMIME) bytes pass as-is.
#pragma once

#include <string>
#include <string_view>

namespace mailproto::smtp::detail {

class body_encoder {
 public:
  enum class mode { data, bdat, binary };
  explicit body_encoder(mode m = mode::data) : mode_(m) {}

  /// Append the encoding of `in` to `out`.
  void encode(std::string_view in, std::string& out) {
    if (mode_ == mode::binary) {
      out.append(in);
      return;
    }
    for (char c : in) {
      if (cr_pending_) {
        cr_pending_ = false;
        out += '\n';
        at_line_start_ = true;
        if (c == '\n') continue;  // the LF of a CRLF
      }
      if (c == '\r') {
        out += '\r';
        cr_pending_ = true;
        continue;
      }
      if (c == '\n') {  // bare LF
        out += "\r\n";
        at_line_start_ = true;
        continue;
      }
      if (at_line_start_ && c == '.' && mode_ == mode::data) out += '.';
      at_line_start_ = false;
      out += c;
    }
  }

  /// Append what ends the body: a CRLF if the last line lacks one, and for DATA the
  /// terminating "." CRLF.
  void finish(std::string& out) {
    if (mode_ == mode::binary) return;
    if (cr_pending_) {
      out += '\n';
      cr_pending_ = false;
      at_line_start_ = true;
    }
    if (!at_line_start_) out += "\r\n";
    at_line_start_ = true;
    if (mode_ == mode::data) out += ".\r\n";
  }

 private:
  mode mode_;
  bool at_line_start_ = true;
  bool cr_pending_ = false;
};

}  // namespace mailproto::smtp::detail
