// mailproto/mime/message_builder.hpp — compose an RFC 5322 / MIME message.
//
//   mime::message_builder b;
//   b.from("Alice <alice@example.test>")
//       .to("bob@example.test")
//       .subject("Tiêu đề: Lập trình mạng")
//       .text("Thân gửi An, ...")
//       .attach_file("report.rar");
//   std::error_code ec;
//   std::string msg = b.to_string(ec);           // small messages
//   auto src = b.source(ec);                     // pull-based, for SMTP DATA / IMAP APPEND
//   b.write_to(sink, ec);                        // push-based, into any byte_sink
//
// Setters return *this and never throw for bad input: the first error is kept and reported
// by the final call (to_string, write_to, source, size, validate), with error_message()
// naming the bad value. Nothing is ever written when an error is known in advance.
//
// The structure follows the content (RFC 2046):
//   text only / html only        -> text/plain / text/html
//   text + html                  -> multipart/alternative (RFC 2046 §5.1.4)
//   html + inline parts          -> multipart/related (RFC 2387) around the html
//   attachments                  -> multipart/mixed (RFC 2046 §5.1.3) around all that
//
// Output: CRLF line ends, header lines folded at 78 columns and never over 998 octets
// (RFC 5322 §2.1.1, §2.2.3). Bodies are 7bit, quoted-printable or base64 (8bit only when the
// transport has 8BITMIME, RFC 6152). File attachments are read and encoded in chunks, so
// memory stays flat whatever their size; the exact output size is known in advance.
// With date(), message_id() and boundary_seed() fixed, the output is byte-for-byte
// deterministic.
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/mime/address.hpp>
#include <mailproto/mime/errc.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mailproto::mime {

namespace builder_detail {
struct plan;
}

/// What the transport allows; both default to the most portable output.
struct build_options {
  /// The transport has 8BITMIME (RFC 6152): text bodies with non-ASCII may go as 8bit.
  bool eight_bit = false;
  /// The transport has SMTPUTF8 (RFC 6531): UTF-8 addresses and raw UTF-8 display names
  /// and header values (RFC 6532) are allowed. Without it a UTF-8 address is an error.
  bool smtputf8 = false;
  /// Bounds on what the builder accepts.
  std::size_t max_attachments = 1000;
  std::size_t max_recipients = 10000;        ///< most To + Cc + Bcc addresses
  std::size_t max_header_value = 64 * 1024;  ///< longest header value accepted, in bytes
};

/// Composes one message: addresses, headers, text/html bodies, inline parts and
/// attachments; then writes it (to_string, write_to, source). See the file comment.
class message_builder {
 public:
  /// A builder with the portable defaults (no 8BITMIME, no SMTPUTF8).
  message_builder();
  /// A builder for a transport that allows what `opts` says.
  explicit message_builder(build_options opts);
  ~message_builder();
  /// Copies everything set so far (file attachments are still read when written).
  message_builder(const message_builder&);
  /// Copy assignment, as the copy constructor.
  message_builder& operator=(const message_builder&);
  /// Move construction.
  message_builder(message_builder&&) noexcept;
  /// Move assignment.
  message_builder& operator=(message_builder&&) noexcept;

  // ------------------------------------------------------------------ addresses
  /// Author(s) (RFC 5322 §3.6.2), an address list. Several mailboxes require sender().
  message_builder& from(std::string_view address_list);
  /// Author, as a parsed mailbox.
  message_builder& from(const mailbox& m);
  /// The mailbox of the agent that sent the message, if not the author (RFC 5322 §3.6.2).
  message_builder& sender(std::string_view mailbox);
  /// Recipients; each call appends. Bcc is never written into the message; it only
  /// reaches envelope_recipients() (RFC 5322 §3.6.3, the "first method").
  message_builder& to(std::string_view address_list);
  /// A To recipient, as a parsed mailbox.
  message_builder& to(const mailbox& m);
  /// Cc recipients (an address list); each call appends.
  message_builder& cc(std::string_view address_list);
  /// A Cc recipient, as a parsed mailbox.
  message_builder& cc(const mailbox& m);
  /// Bcc recipients: envelope only, never written into the message.
  message_builder& bcc(std::string_view address_list);
  /// A Bcc recipient, as a parsed mailbox.
  message_builder& bcc(const mailbox& m);
  /// Where replies should go (RFC 5322 §3.6.2), an address list.
  message_builder& reply_to(std::string_view address_list);

  // ------------------------------------------------------------------ other headers
  /// Subject, UTF-8; encoded with RFC 2047 when not ASCII.
  message_builder& subject(std::string_view utf8);
  /// Fix the Date (RFC 5322 §3.3) with its zone offset; default: now, local offset.
  message_builder& date(std::chrono::system_clock::time_point t, std::chrono::minutes offset);
  /// Fix the Message-ID, "<id@domain>" or "id@domain" (RFC 5322 §3.6.4). Default: a
  /// generated unique id at the From domain.
  message_builder& message_id(std::string_view id);
  /// Msg-ids of the message replied to, and of the thread (RFC 5322 §3.6.4).
  message_builder& in_reply_to(std::string_view msg_ids);
  /// Msg-ids of the thread, oldest first (RFC 5322 §3.6.4).
  message_builder& references(std::string_view msg_ids);
  /// Any other header. The name must be RFC 5322 ftext (printable ASCII but ':') and not
  /// one the builder writes itself (From, To, Date, Content-*, MIME-Version...); the value
  /// must not hold CR, LF or NUL. A UTF-8 value is RFC 2047-encoded (raw with SMTPUTF8).
  message_builder& header(std::string_view name, std::string_view value);

  // ------------------------------------------------------------------ bodies
  /// The text/plain body (UTF-8; LF or CRLF line ends, written as CRLF).
  message_builder& text(std::string_view utf8);
  /// The text/html body (UTF-8).
  message_builder& html(std::string_view utf8);
  /// A part shown inside the html (multipart/related, RFC 2387), referred to from the html
  /// as "cid:<content_id>". Empty media_type: from the filename's extension.
  message_builder& inline_data(std::string content_id, std::string data, std::string_view filename,
                               std::string_view media_type = {});
  /// An inline part read from `path` in chunks when written (see inline_data).
  message_builder& inline_file(std::string content_id, std::string path,
                               std::string_view media_type = {});
  /// An attachment from memory. Empty media_type: from the filename's extension.
  message_builder& attach(std::string data, std::string_view filename,
                          std::string_view media_type = {});
  /// An attachment read from `path` in chunks when the message is written. `filename`
  /// defaults to the last component of the path; `media_type` to the extension's. A ".eml"
  /// file becomes a message/rfc822 part (see attach_message_file).
  message_builder& attach_file(std::string path, std::string_view filename = {},
                               std::string_view media_type = {});
  /// A message/rfc822 attachment (RFC 2046 §5.2.1): raw message bytes, forwarded as they
  /// are (line ends normalised to CRLF; 7bit or 8bit). When they cannot go unencoded (8-bit
  /// data without 8BITMIME, a NUL, or a line over 998 octets) they go as
  /// application/octet-stream in base64 instead, since message/rfc822 may not be encoded.
  /// A file is read once more to find this out (and its exact size) before writing.
  message_builder& attach_message(std::string raw, std::string_view filename = "message.eml");
  /// A message/rfc822 attachment read from the file at `path` (see attach_message).
  message_builder& attach_message_file(std::string path, std::string_view filename = {});

  // ------------------------------------------------------------------ output control
  /// Seed of the boundary generator (deterministic output for tests). Default: random.
  message_builder& boundary_seed(std::uint64_t seed);
  /// What the transport allows (8BITMIME, SMTPUTF8) and the builder's bounds.
  build_options& options() noexcept { return opts_; }
  /// What the transport allows, read-only.
  const build_options& options() const noexcept { return opts_; }

  // ------------------------------------------------------------------ results
  /// The envelope (RFC 5321 MAIL FROM): the Sender's addr-spec, else the first From's.
  std::string envelope_sender() const;
  /// The envelope recipients (RCPT TO): To, Cc and Bcc addr-specs, duplicates removed.
  std::vector<std::string> envelope_recipients() const;

  /// Check everything that can be checked without writing (addresses, headers, files
  /// exist). Returns the first error; error_message() explains it.
  std::error_code validate() const;
  /// The message of the error last reported, naming the bad value (empty when none).
  const std::string& error_message() const noexcept { return error_text_; }

  /// The whole message in memory.
  std::string to_string(std::error_code& ec) const;
  /// Write the message to `sink` in chunks (at most ~64 KiB each), then sink.finish().
  void write_to(byte_sink& sink, std::error_code& ec) const;
  /// A source that produces the message lazily (it owns what it needs: the builder may
  /// go away). Its size() is the exact size.
  std::unique_ptr<byte_source> source(std::error_code& ec) const;
  /// The exact size in octets of what the other three produce, or nullopt if not
  /// computable without encoding (`ec` set on error).
  std::optional<std::uint64_t> size(std::error_code& ec) const;

  /// Throwing variants (mailproto::error with error_message()).
  std::string to_string() const;

  struct part_spec;  // implementation detail (src/mime/builder_*.cpp)
  struct state;

 private:
  void fail(errc e, std::string message);
  std::error_code make_plan(builder_detail::plan& p) const;
  message_builder& add_addresses(std::vector<address>& dest, std::string_view list,
                                 const char* header);

  build_options opts_;
  std::unique_ptr<state> st_;
  std::error_code error_;
  mutable std::string error_text_;
};

}  // namespace mailproto::mime
