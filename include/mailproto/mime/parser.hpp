// mailproto/mime/parser.hpp — an incremental, lenient, bounded MIME message parser.
//
// Bytes go in, in any chunking (one byte at a time gives the same result as one buffer);
// events come out to a `parser_handler`:
//
//   on_entity_begin -> on_header* -> on_headers_end -> (on_preamble | on_body_chunk |
//   children | on_epilogue)* -> on_entity_end
//
// Body chunks are transfer-decoded (base64, quoted-printable) in large pieces, so a caller
// can stream a 1 GiB attachment to disk with flat memory. The parser never throws for bad
// input: each leniency becomes a `defect` on the entity. Every buffer is bounded by
// `parser_limits`. The parser is a mailproto::byte_sink, so POP3 RETR and IMAP FETCH can
// stream straight into it.
//
// Rules applied (RFC 2045, RFC 2046, RFC 5322):
//  - LF-only and CRLF input; header unfolding; "From " mbox line at the start skipped
//  - Content-Type default text/plain (RFC 2045 §5.2), message/rfc822 inside multipart/digest
//    (RFC 2046 §5.1.5); the first of duplicate Content-Type fields wins
//  - a boundary line is a line that starts with "--" boundary (RFC 2046 §5.1.2 forbids an
//    inner boundary that has an enclosing one as prefix, so prefix matching is safe; what
//    follows is ignored, as in dovecot/stalwart); "--" right after it closes. The line
//    break before it belongs to it (§5.1.1). An enclosing multipart's boundary also ends
//    inner entities; missing close delimiters are defects. A delimiter at the very end of
//    the input opens no part. A multipart with no boundary line at all becomes a leaf
//    (its text arrives as preamble events; the tree builder makes it the body).
//  - base64/QP-encoded message/rfc822 is decoded and parsed as a nested message (offsets
//    inside it are offsets in the decoded body)
//  - message/rfc822 and message/global bodies are parsed as nested messages (an mbox "From "
//    line before the first field is skipped); a body whose first line is not a header
//    field is not a message: it stays a leaf with the raw body (missing_header_body_separator)
//  - base64: characters outside the alphabet are skipped (RFC 2045 §6.8), but a body whose
//    first line (at most 1 KiB is looked at) has two or more of them was never encoded and
//    is kept raw (bad_base64 either way)
//  - unknown transfer encodings are passed through raw
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/mime/message.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace mailproto::mime {

/// Bounds of the parser. Past a bound the parser records a defect and degrades (truncates,
/// drops or stops nesting) — or, with `fail_on_limit`, stops with errc::limit_exceeded.
struct parser_limits {
  std::size_t max_header_line = 64 * 1024;     ///< bytes of one (folded) field; longer: truncated
  std::size_t max_header_bytes = 1024 * 1024;  ///< bytes of one entity's header block
  std::size_t max_headers = 2000;              ///< fields of one entity; more are dropped
  std::size_t max_depth = 64;                  ///< nesting of multiparts/messages; deeper: leaf
  std::size_t max_parts = 20000;               ///< entities in the whole message
  std::size_t max_boundary_line = 998;         ///< longer lines are never boundary lines
  bool fail_on_limit = false;                  ///< error instead of defect past a bound
};

/// Receives the parser's events. Every reference is valid only during the call.
class parser_handler {
 public:
  virtual ~parser_handler() = default;
  /// A new entity starts; only depth and header_offset are known.
  virtual void on_entity_begin(const entity_head& e) { (void)e; }
  /// One header field of the current entity, complete (unfolding is up to the reader).
  virtual void on_header(const entity_head& e, const header_field& f) {
    (void)e;
    (void)f;
  }
  /// The header block is complete: media type, disposition, encoding, filename are known.
  virtual void on_headers_end(const entity_head& e) { (void)e; }
  /// Decoded body bytes of a leaf.
  virtual void on_body_chunk(const entity_head& e, std::string_view decoded) {
    (void)e;
    (void)decoded;
  }
  /// Called once per leaf after on_headers_end. A handler that keeps bodies in memory may
  /// return a string: decoded bytes are then appended to it directly (saving a copy) and
  /// on_body_chunk is not called for this entity. The string must outlive the entity.
  virtual std::string* body_target(const entity_head& e) {
    (void)e;
    return nullptr;
  }
  /// Raw preamble bytes of a multipart: before its first boundary line (RFC 2046 §5.1.1).
  virtual void on_preamble(const entity_head& e, std::string_view raw) {
    (void)e;
    (void)raw;
  }
  /// Raw epilogue bytes of a multipart: after its close delimiter (RFC 2046 §5.1.1).
  virtual void on_epilogue(const entity_head& e, std::string_view raw) {
    (void)e;
    (void)raw;
  }
  /// The entity is complete (offsets and defects final). The handler may move from `e`.
  virtual void on_entity_end(entity_head& e) { (void)e; }
};

/// The push parser. Feed bytes, then call finish() once.
class parser final : public byte_sink {
 public:
  /// A parser that reports to `handler` (which must outlive it), within `limits`.
  explicit parser(parser_handler& handler, parser_limits limits = {});
  ~parser() override;
  parser(const parser&) = delete;
  parser& operator=(const parser&) = delete;

  /// Consume `data` (any size, split anywhere). Sets `ec` only with fail_on_limit
  /// (errc::limit_exceeded) or after finish(); then further input is ignored.
  void feed(std::string_view data, std::error_code& ec);
  /// End of input: flushes decoders and closes every open entity.
  void finish(std::error_code& ec) override;
  /// byte_sink interface: same as feed().
  void write(std::string_view bytes, std::error_code& ec) override { feed(bytes, ec); }

  /// Total bytes consumed so far.
  std::uint64_t offset() const noexcept;
  /// True once finish() has run (feed() then sets errc::bad_argument).
  bool finished() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A handler that builds the owned tree. Use with a parser, then take().
class tree_builder final : public parser_handler {
 public:
  /// With `keep_bodies == false` leaves keep no body (structure, headers, offsets only).
  explicit tree_builder(bool keep_bodies = true) : keep_bodies_(keep_bodies) {}
  void on_entity_begin(const entity_head& e) override;
  void on_body_chunk(const entity_head& e, std::string_view decoded) override;
  void on_preamble(const entity_head& e, std::string_view raw) override;
  void on_epilogue(const entity_head& e, std::string_view raw) override;
  void on_entity_end(entity_head& e) override;
  std::string* body_target(const entity_head& e) override;
  /// The finished tree (call after parser::finish()).
  message take();

 private:
  bool keep_bodies_;
  bool started_ = false;
  entity root_;
  std::vector<entity*> stack_;
};

/// Parse a whole message held in memory. Never fails for bad input (see the defects);
/// `ec` is set only with limits.fail_on_limit.
message parse_message(std::string_view bytes, std::error_code& ec,
                      const parser_limits& limits = {});
message parse_message(std::string_view bytes, const parser_limits& limits = {});

/// Parse a file in chunks (ec: the file could not be read, or a limit with fail_on_limit).
message parse_file(const std::string& path, std::error_code& ec, const parser_limits& limits = {});

/// Stream from any byte_source into `handler` in chunks of `chunk_size`.
void parse_stream(byte_source& src, parser_handler& handler, std::error_code& ec,
                  const parser_limits& limits = {}, std::size_t chunk_size = 256 * 1024);

}  // namespace mailproto::mime
