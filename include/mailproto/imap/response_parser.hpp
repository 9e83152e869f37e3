// mailproto/imap/response_parser.hpp — incremental, bounded IMAP response parser (sans-I/O).
//
// Theory of operation (RFC 9051 §2.2.2, §7, §9; RFC 3501 §7, §9):
//
//   Bytes go in with feed(); next() hands out events. A server response is a line that may
//   be interrupted by literals: "... {n}" CRLF then exactly n octets, after which the line
//   goes on. The parser therefore alternates between two states:
//
//     line     — wait for a CRLF-terminated segment (net::line_buffer, bounded by
//                parser_limits::max_line), tokenise it into the response being built;
//                if the segment ends with a literal announcement {n} / {n+} / ~{n},
//                switch to `literal`, else the response is complete -> event::response.
//     literal  — n octets. n is checked against max_literal BEFORE anything is reserved.
//                n <= stream threshold: collected in memory into the value (a string with
//                `literal` set). Larger: streamed as literal_begin{size} / literal_chunk /
//                literal_end events (the value keeps a `streamed` placeholder), so a FETCH
//                body can go to a byte_sink without ever being held whole.
//
//   The first token decides the shape (RFC 9051 §7): "+" continuation (resp-text), "*"
//   untagged, anything else a tag. Status responses (OK, NO, BAD, BYE, PREAUTH and tagged
//   completions) carry resp-text: an optional "[code args]" then free text. Every other
//   response is a sequence of values: atoms (numbers, flags like \Seen, fetch item names
//   like BODY[HEADER.FIELDS (FROM)]<0> kept as one atom), quoted strings (with the \" and
//   double-backslash escapes), literals, NIL and parenthesised lists, nested at most max_depth
//   deep.
//
//   Tolerated on purpose (named, not silent): several spaces between tokens, a bare LF
//   line end, lower-case names, and unknown response names/codes (kept raw, never fatal).
//   Anything else that breaks the grammar is errc::bad_response; after an error the parser
//   is unusable (the connection has lost framing).
#pragma once

#include <mailproto/imap/errc.hpp>
#include <mailproto/net/line_buffer.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::imap {

/// Bounds of the parser. Plain aggregate with safe defaults.
struct parser_limits {
  std::size_t max_line = 64 * 1024;  ///< one line segment (between literals)
  /// Literals up to this size are kept in the response; larger ones stream as events.
  std::size_t max_literal_in_memory = 1 << 20;
  /// Largest literal accepted at all (announced size); larger: errc::literal_too_large.
  std::uint64_t max_literal = std::uint64_t(4) << 30;
  std::size_t max_depth = 64;  ///< nesting of parenthesised lists
  /// Bytes (lines + in-memory literals) and values one response may hold.
  std::size_t max_response_bytes = 256u << 20;
  /// Values (atoms, strings, NILs, lists) one response may hold; more: errc::response_too_large.
  std::size_t max_values = 4u << 20;
};

/// One value of a response: atom, string (quoted or literal), NIL, list, or a placeholder
/// for a literal that was streamed out as events.
struct value {
  /// The kinds of value (RFC 9051 §4); streamed: a literal that went out as events.
  enum class kind : unsigned char { atom, string, nil, list, streamed };
  /// What this value is; says which fields below are used.
  kind type = kind::atom;
  bool literal = false;     ///< string: arrived as a literal (binary: ~{n})
  bool binary = false;      ///< string: arrived as a literal8 ~{n} (RFC 3516 / RFC 9051)
  std::string text;         ///< atom / string contents (escapes removed)
  std::vector<value> list;  ///< list items
  std::uint64_t size = 0;   ///< streamed: the literal's size

  /// True for an atom (numbers, flags and item names are atoms).
  bool is_atom() const noexcept { return type == kind::atom; }
  /// True for NIL.
  bool is_nil() const noexcept { return type == kind::nil; }
  /// True for a parenthesised list.
  bool is_list() const noexcept { return type == kind::list; }
  /// True for a quoted string or a literal kept in memory.
  bool is_string() const noexcept { return type == kind::string; }
  /// astring (RFC 9051 §9): an atom or a string.
  bool is_astring() const noexcept { return type == kind::atom || type == kind::string; }
  /// The atom as an unsigned number (number64), or nullopt.
  std::optional<std::uint64_t> number() const noexcept;
  /// Case-insensitive comparison of an atom with `s`.
  bool atom_is(std::string_view s) const noexcept;
};

/// One complete server response.
struct response {
  /// The shape (RFC 9051 §7): "tag ...", "* ..." or "+ ...".
  enum class kind : unsigned char { tagged, untagged, continuation };
  /// The shape of this response.
  kind type = kind::untagged;
  std::string tag;  ///< tagged: the tag
  /// "* 23 EXISTS": 23. Set for message-data and for numbers before the name.
  std::optional<std::uint64_t> number;
  /// Upper-cased response name: "OK", "NO", "BAD", "BYE", "PREAUTH", "FETCH", "LIST",
  /// "CAPABILITY", ... Empty for a continuation.
  std::string name;
  /// Status responses: the response code atom upper-cased ("UIDVALIDITY"), its arguments
  /// tokenised, and the raw text between the code and ']' (kept for unknown codes).
  std::string code;
  /// The response code's arguments, tokenised ("[UIDVALIDITY 3857529045]": one atom).
  std::vector<value> code_args;
  /// The raw text between the code and ']' (for codes the library does not know).
  std::string code_raw;
  /// Status responses and continuations: the human-readable text (untrusted).
  std::string text;
  /// Data responses: the values after the name.
  std::vector<value> args;

  /// OK / NO / BAD / BYE / PREAUTH (tagged or untagged).
  bool is_status() const noexcept;
  /// Back to an empty untagged response (every field cleared).
  void clear();
};

/// What next() found.
struct parser_event {
  /// The kinds of event.
  enum class type : unsigned char {
    need_more,      ///< feed more bytes
    response,       ///< a complete response: parser.get()
    literal_begin,  ///< a streamed literal starts: size, item, number
    literal_chunk,  ///< bytes of the streamed literal (view valid until the next call)
    literal_end,    ///< the streamed literal is complete
  };
  /// Which event this is; says which fields below are set.
  type kind = type::need_more;
  std::uint64_t size = 0;  ///< literal_begin: total size
  std::string_view chunk;  ///< literal_chunk: the bytes
  /// literal_begin: the atom just before the literal in the same list ("BODY[]"), and the
  /// response's number ("* 12 FETCH": 12), so a FETCH body can be routed to a sink.
  std::string_view item;
  /// literal_begin: the response's number, if it has one.
  std::optional<std::uint64_t> number;
};

/// Incremental, bounded parser of IMAP server responses (see the file comment): bytes in
/// with feed(), parser_event out of next(). Sans-I/O.
class response_parser {
 public:
  /// A parser with these bounds; the stream threshold starts at limits.max_literal_in_memory.
  explicit response_parser(parser_limits limits = {});

  /// Append received bytes.
  void feed(std::string_view bytes);
  /// The next event. On a malformed response `ec` is set (errc::bad_response,
  /// literal_too_large, nesting_too_deep, response_too_large, net::errc::line_too_long) and
  /// need_more is returned; the parser is then unusable.
  parser_event next(std::error_code& ec);

  /// The response completed by the last event::response (valid until the next next()).
  const response& get() const noexcept { return cur_; }
  /// Moves the last completed response out (the parser then builds the next one from new
  /// nodes instead of overwriting these; prefer get() on hot paths).
  response take() { return std::move(cur_); }

  /// Bytes received and not yet parsed (e.g. data after a STARTTLS go-ahead).
  bool has_buffered() const noexcept { return !lines_.empty(); }
  /// The bytes received and not yet parsed.
  std::string_view buffered() const noexcept { return lines_.pending(); }
  /// Whether the next byte begins a new response (no response is half parsed).
  bool at_response_start() const noexcept { return st_ == state::start; }
  /// Literals larger than this stream as events (default: limits.max_literal_in_memory).
  /// An operation fetching a body into a sink may set it to 0 to stream every literal.
  void set_stream_threshold(std::size_t n) noexcept { stream_threshold_ = n; }
  /// Literals larger than this stream as events.
  std::size_t stream_threshold() const noexcept { return stream_threshold_; }
  /// Stream every literal that is the value of a message body item (BODY[...],
  /// BINARY[...], RFC822, RFC822.TEXT, RFC822.HEADER), whatever its size: FETCH into a sink.
  void set_stream_bodies(bool on) noexcept { stream_bodies_ = on; }
  /// The bounds given to the constructor.
  const parser_limits& limits() const noexcept { return limits_; }
  /// Forget everything buffered (after a TLS handshake nothing may be left anyway).
  void reset();

 private:
  enum class state : unsigned char {
    start,
    line,
    literal_mem,
    literal_stream,
    literal_end,
    failed
  };
  void parse_segment(std::string_view line, std::error_code& ec);
  void parse_first(std::string_view& s, std::error_code& ec);
  void parse_values(std::string_view s, std::error_code& ec);
  void parse_resp_text(std::string_view s, std::error_code& ec);
  void parse_literal(const char* p, const char* end, std::error_code& ec);
  /// A value of kind `k` at the next position of the innermost open list, overwriting the
  /// node a previous response left there (its string and list keep their capacity).
  value& push(value::kind k, std::error_code& ec);
  void begin_root(std::vector<value>& root);
  void close_top();  // cuts the innermost list to the items this response put there
  void cut(std::vector<value>& l, std::size_t n);  // l.resize(n), the rest to pool_
  void soft_clear();

  parser_limits limits_;
  std::size_t stream_threshold_;
  net::line_buffer lines_;
  state st_ = state::start;
  response cur_;
  struct open_list {
    std::vector<value>* list;
    std::size_t used;  // items of the current response in `list`
  };
  std::vector<open_list> stack_;  // [0]: the response's args (or code_args); innermost last
  std::vector<value> spare_;      // data tree parked during status responses, for reuse
  std::vector<value> pool_;       // nodes cut from lists, reused as new items (see cut())
  static constexpr std::size_t max_pool = 1024;
  std::size_t bytes_ = 0, values_ = 0;
  std::uint64_t lit_left_ = 0;
  value* lit_target_ = nullptr;
  bool completed_ = false;
  bool stream_bodies_ = false;
  std::string lit_item_;
};

}  // namespace mailproto::imap
