// mailproto/imap/command_writer.hpp — builds IMAP commands from grammar-named pieces.
//
// Theory of operation (RFC 9051 §4.3, §7.5, §9; RFC 7888 LITERAL+ / LITERAL-):
//
//   command_writer w(literal_mode::synchronizing, /*utf8=*/false);
//   w.begin("a3", "LOGIN").astring(user).astring_secret(password).finish(ec);
//   for (auto& part : w.parts()) { send part.bytes; if (part.wait_continuation) wait "+"; }
//
//   Each method appends one token, with the separating space where the grammar puts one
//   (none after "(" or before ")"). A value goes out as an atom, a quoted string or a
//   literal as its content requires: quoted when every byte fits a quoted string, else a
//   literal. With synchronising literals the command is split into parts: a part ending in
//   "{n}" CRLF must wait for the server's "+" continuation before the next part is sent
//   (RFC 9051 §7.5). LITERAL+ sends "{n+}" and does not wait; LITERAL- does that only up to
//   4096 octets (RFC 7888 §4).
//
//   CR, LF or NUL in a value that cannot carry them (atoms, quoted strings, mailbox names,
//   search strings, user names, passwords) sets net::errc::unsafe_argument; a value that
//   does not fit the grammar (an empty atom, a flag with spaces) sets errc::invalid_argument.
//   The first error sticks: finish() reports it and the command must not be sent — nothing
//   has gone on the wire because the writer only builds bytes.
#pragma once

#include <mailproto/imap/types.hpp>
#include <mailproto/net/trace.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::imap {

/// How literals are announced (RFC 7888).
enum class literal_mode {
  synchronizing,  ///< "{n}" and wait for "+" (always valid)
  plus,           ///< LITERAL+: "{n+}", never wait
  minus,          ///< LITERAL-: "{n+}" up to 4096 octets, else synchronising
};

/// Builds one IMAP command from grammar-named pieces into parts ready to send (see the
/// file comment). Writes nothing itself; the first error sticks and finish() returns it.
class command_writer {
 public:
  /// One piece to send; when `wait_continuation` is set, wait for "+" before the next.
  struct part {
    /// The bytes to write (ends with CRLF, or with a literal announcement and CRLF).
    std::string bytes;
    /// Ranges of `bytes` that hold secrets (passwords): the trace shows them redacted.
    std::vector<net::secret_span> secrets;
    /// Wait for the server's "+" continuation before sending the next part (RFC 9051 §7.5).
    bool wait_continuation = false;
  };

  /// `utf8`: UTF8=ACCEPT is enabled (RFC 6855) or IMAP4rev2: 8-bit text and mailbox names
  /// go in quoted strings as UTF-8 instead of literals / modified UTF-7.
  explicit command_writer(literal_mode mode = literal_mode::synchronizing, bool utf8 = false);

  /// Starts a command: `tag SP name`. Clears any previous command.
  command_writer& begin(std::string_view tag, std::string_view name);
  /// atom = 1*ATOM-CHAR (RFC 9051 §9); also used for keywords like "UID", "FLAGS".
  command_writer& atom(std::string_view a);
  /// number / number64.
  command_writer& number(std::uint64_t n);
  /// astring = 1*ASTRING-CHAR / string: an atom when it is one, else a string.
  command_writer& astring(std::string_view s);
  /// string = quoted / literal, as the content requires.
  command_writer& string(std::string_view s);
  /// nstring = string / nil.
  command_writer& nstring(const std::optional<std::string>& s);
  /// quoted = DQUOTE *QUOTED-CHAR DQUOTE; errors if `s` cannot be quoted.
  command_writer& quoted(std::string_view s);
  /// A literal "{n}" CRLF + bytes (any bytes but NUL).
  command_writer& literal(std::string_view s);
  /// astring / string whose bytes are secret (password): traced as `<redacted>`.
  command_writer& astring_secret(std::string_view s);
  /// mailbox (RFC 9051 §5.1): INBOX, else the UTF-8 name in modified UTF-7 (or UTF-8).
  command_writer& mailbox(std::string_view utf8_name);
  /// A LIST pattern (list-mailbox): like mailbox, but '*' and '%' stay wildcards.
  command_writer& list_pattern(std::string_view utf8_pattern);
  /// sequence-set; an empty set is errc::invalid_argument.
  command_writer& sequence(const sequence_set& s);
  /// flag-list = "(" [flag *(SP flag)] ")"; each flag "\Seen" or a keyword atom.
  command_writer& flag_list(const std::vector<std::string>& flags);
  /// fetch-att or "(" fetch-att *(SP fetch-att) ")".
  command_writer& fetch_atts(const fetch_items& items);
  /// search keys, in order.
  command_writer& search(const search_key& key);
  /// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
  command_writer& date_time(std::string_view dt);
  /// "(": opens a parenthesised list (no space follows).
  command_writer& open_list();
  /// ")": closes the list (no space before it).
  command_writer& close_list();
  /// Text the library itself composes (e.g. "BODY.PEEK[]"), checked for CR/LF/NUL only.
  command_writer& raw(std::string_view s);
  /// A literal announcement only ("{n}" / "{n+}"; with `binary` the literal8 form "~{n}" /
  /// "~{n+}" of RFC 3516 / RFC 7888 §4): the caller streams the n bytes itself after this
  /// part (APPEND). Ends the current part.
  command_writer& literal_header(std::uint64_t n, bool binary = false);
  /// Ends the command with CRLF. Returns the first error of the build, if any.
  std::error_code finish();

  /// The command as parts, in sending order (valid after finish()).
  const std::vector<part>& parts() const noexcept { return parts_; }
  /// Moves the parts out.
  std::vector<part> take_parts() { return std::move(parts_); }
  /// The first error of the build so far, if any.
  std::error_code error() const noexcept { return ec_; }
  /// The whole command as one string (transcripts, tests).
  std::string str() const;

 private:
  void space();
  void set_error(std::error_code e) {
    if (!ec_) ec_ = e;
  }
  void put_literal(std::string_view s, bool secret);
  void put_string(std::string_view s, bool secret);
  part& cur() { return parts_.back(); }

  literal_mode mode_;
  bool utf8_;
  bool need_sp_ = false;
  std::vector<part> parts_;
  std::error_code ec_;
};

/// Whether `s` is a valid atom (1*ATOM-CHAR, RFC 9051 §9).
bool is_atom(std::string_view s) noexcept;

}  // namespace mailproto::imap
