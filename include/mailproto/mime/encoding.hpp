// mailproto/mime/encoding.hpp — the transfer and header codecs of MIME.
//
//   base64            RFC 2045 §6.8 / RFC 4648 §4
//   quoted-printable  RFC 2045 §6.7
//   encoded words     RFC 2047 (=?charset?B|Q?...?=)
//   parameter values  RFC 2231 (name*0*=utf-8''...)
//
// Every decoder is lenient by default (what real mail needs) and has a strict mode that
// reports the first bad input. The streaming classes accept input split anywhere.
#pragma once

#include <mailproto/mime/errc.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mailproto::mime {

// ---------------------------------------------------------------- base64 (RFC 2045 §6.8)

/// Encode `in`; with `line_length` > 0 (default 76) the output is broken into CRLF lines of
/// at most that many characters (the last line is not CRLF-terminated).
std::string base64_encode(std::string_view in, std::size_t line_length = 76);

/// Encoded size of `n` input bytes with the given line length (CRLFs included).
std::size_t base64_encoded_size(std::size_t n, std::size_t line_length = 76) noexcept;

/// Decode, ignoring CR, LF, spaces and tabs; missing padding is tolerated. In lenient mode
/// (strict == false) other characters outside the alphabet are skipped; in strict mode they
/// set `ec` to errc::bad_base64 and the result holds what was decoded before them.
std::string base64_decode(std::string_view in, std::error_code& ec, bool strict = false);
std::string base64_decode(std::string_view in);  ///< lenient, never fails

/// Streaming base64 encoder: feed any chunks, get CRLF-wrapped lines.
class base64_encoder {
 public:
  /// Lines of `line_length` characters (76, RFC 2045 §6.8); 0: one unwrapped line.
  explicit base64_encoder(std::size_t line_length = 76) noexcept;
  /// Appends encoded output for `in` to `out` (keeps up to 2 bytes and a partial line).
  void update(std::string_view in, std::string& out);
  /// Appends the final quantum and padding; no trailing CRLF is added.
  void finish(std::string& out);

 private:
  std::size_t line_length_;
  std::size_t column_ = 0;
  unsigned char pending_[3] = {};
  std::size_t npending_ = 0;
};

/// Streaming base64 decoder: chunks may split anywhere (inside a quantum or a CRLF).
class base64_decoder {
 public:
  /// Lenient by default (skips characters outside the alphabet); `strict` reports them.
  explicit base64_decoder(bool strict = false) noexcept : strict_(strict) {}
  /// Appends decoded bytes to `out`. Returns false (and sets ec) only in strict mode.
  bool update(std::string_view in, std::string& out, std::error_code& ec);
  /// Flushes a final partial quantum (missing padding tolerated).
  bool finish(std::string& out, std::error_code& ec);

 private:
  bool strict_;
  std::uint32_t acc_ = 0;
  int nbits_ = 0;
  bool seen_pad_ = false;
};

/// The scalar reference decoder and the SIMD one, exposed for tests and benchmarks: both
/// decode unwrapped, valid base64 (no whitespace) and return false on a bad character.
/// `out` must have room for in.size() / 4 * 3 bytes; `*out_len` receives the length.
bool base64_decode_scalar(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept;
bool base64_decode_simd(const char* in, std::size_t n, char* out, std::size_t* out_len) noexcept;
/// Whether base64_decode_simd uses a vector path on this CPU (else it calls the scalar one).
bool base64_simd_available() noexcept;

// ------------------------------------------------------ quoted-printable (RFC 2045 §6.7)

enum class qp_mode {
  text,    ///< line breaks in the input are CRLF/LF and become hard CRLF line breaks
  binary,  ///< CR and LF are data and are encoded as =0D / =0A
};

/// Encode with soft line breaks at 76 columns; trailing space/tab before a line break is
/// encoded; "." and "From " at line start are left alone (SMTP dot-stuffing is SMTP's job).
std::string qp_encode(std::string_view in, qp_mode mode = qp_mode::text);

/// Decode: soft breaks removed; "=XX" decoded (lower-case hex accepted). Lenient mode keeps
/// a malformed "=" sequence as literal text; strict mode sets errc::bad_quoted_printable.
/// Trailing whitespace at the end of lines is removed (RFC 2045 §6.7 rule 3).
std::string qp_decode(std::string_view in, std::error_code& ec, bool strict = false);
std::string qp_decode(std::string_view in);

/// Streaming QP decoder; chunks may split anywhere.
class qp_decoder {
 public:
  /// Lenient by default (keeps malformed `=` escapes literally); `strict` reports them.
  explicit qp_decoder(bool strict = false) noexcept : strict_(strict) {}
  /// Appends decoded bytes of `in` to `out`. Returns false (and sets ec) only in strict mode.
  bool update(std::string_view in, std::string& out, std::error_code& ec);
  /// End of input: flushes what is held back (a partial line or escape).
  bool finish(std::string& out, std::error_code& ec);

 private:
  /// One byte through the decoder's state machine (the slow path of update()).
  bool step(char c, std::string& out, std::error_code& ec);

  bool strict_;
  std::string pending_;  // an incomplete "=", "=X", or trailing whitespace run
};

// ------------------------------------------------------------ RFC 2047 encoded words

/// Where the encoded text goes: unstructured text (Subject) or a phrase (display name),
/// which restricts the characters allowed in Q encoding (RFC 2047 §5 rules 1 and 3).
enum class word_context { text, phrase };

/// Encode UTF-8 `text` as needed: pure printable ASCII is returned as is (folded if long);
/// otherwise runs of words become =?UTF-8?B?...?= or =?UTF-8?Q?...?= (chosen per word,
/// whichever is shorter), each at most 75 characters, never splitting a UTF-8 sequence.
/// `header_name_length` is the length of "Subject: " already on the first line, so the
/// folded result keeps every line <= 78 columns. Lines are joined with CRLF + space.
std::string rfc2047_encode(std::string_view utf8, word_context ctx = word_context::text,
                           std::size_t header_name_length = 0);

/// Decode all encoded words in a header value to UTF-8. Whitespace between adjacent
/// encoded words is dropped (RFC 2047 §6.2); adjacent B- or Q-words in the same charset
/// are joined before charset conversion, so a character split across words survives
/// ("=?UTF-8?B?bmg=?= =?UTF-8?B?4buvbmc=?=" is "những"). A word with an unknown charset
/// is kept raw (as it appeared); `ec` (if given) then reports errc::unknown_charset.
std::string rfc2047_decode(std::string_view value);
std::string rfc2047_decode(std::string_view value, std::error_code& ec);

// ------------------------------------------------------------ RFC 2231 parameters

/// One parameter as it should appear in a header, e.g. {"filename*", "UTF-8''B%C3%A1o.rar"}
/// or, when split, {"filename*0*", ...}, {"filename*1*", ...}. ASCII values that fit are
/// returned as one plain {name, value} (the caller quotes it as needed).
std::vector<std::pair<std::string, std::string>> rfc2231_encode(std::string_view name,
                                                                std::string_view utf8_value,
                                                                std::size_t max_line = 78);

/// Collects raw parameters (name as written, e.g. "filename*1*", and unquoted value) and
/// produces decoded UTF-8 values: joins continuations in numeric order, percent-decodes
/// and converts the charset of extended ones, and decodes RFC 2047 words inside plain
/// quoted values (the common non-standard "=?UTF-8?B?...?=" filename form).
class rfc2231_decoder {
 public:
  /// One parameter as written: `raw_name` with any `*N` / `*` suffix, `value` unquoted.
  void add(std::string_view raw_name, std::string_view value);
  /// Decoded parameters in first-seen order; names lower-cased, without '*' suffixes.
  std::vector<std::pair<std::string, std::string>> result() const;

 private:
  struct piece {
    std::string name;
    int section;    // -1 for unsectioned
    bool extended;  // had a trailing '*'
    std::string value;
  };
  std::vector<piece> pieces_;
};

}  // namespace mailproto::mime
