// mailproto/imap/types.hpp — the values IMAP commands take and the results they give.
//
// Builders for command arguments (sequence_set, fetch_items, search_key), the structured
// results decoded from server responses (list_entry, status_info, mailbox_state,
// fetch_message with envelope and body_structure, search_result, ...), the events a session
// reports, and the mailbox-name codec (modified UTF-7, RFC 3501 §5.1.3).
//
// All server-supplied strings here are untrusted text.
#pragma once

#include <mailproto/imap/response_parser.hpp>

#include <mailproto/io.hpp>
#include <mailproto/server_reply.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mailproto::imap {

// ------------------------------------------------------------------ arguments

/// sequence-set (RFC 9051 §9): "1:4,7,9:*". Built from numbers and ranges; `*` is 0.
class sequence_set {
 public:
  sequence_set() = default;
  /// One number (0 means "*").
  static sequence_set single(std::uint32_t n);
  /// A range a:b (0 means "*").
  static sequence_set range(std::uint32_t a, std::uint32_t b);
  /// "1:*".
  static sequence_set all();
  /// The numbers given, compressed into ranges.
  static sequence_set of(std::vector<std::uint32_t> numbers);
  /// Parses "1:4,7,*"; nullopt if it is not a valid sequence-set.
  static std::optional<sequence_set> parse(std::string_view text);

  /// Appends the number `n` (0 means "*").
  sequence_set& add(std::uint32_t n) { return add(n, n); }
  /// Appends the range a:b as given (0 means "*"; not merged with the ranges already there).
  sequence_set& add(std::uint32_t a, std::uint32_t b);
  /// True when nothing was added (an empty set is not a valid sequence-set on the wire).
  bool empty() const noexcept { return ranges_.empty(); }
  /// Wire form, e.g. "1:4,7,9:*".
  std::string to_string() const;
  /// Whether n is in the set (`*` matches only `largest`).
  bool contains(std::uint32_t n, std::uint32_t largest = 0) const noexcept;
  /// The ranges in the order added, each as (first, last); a single number n is (n, n) and
  /// 0 stands for "*".
  const std::vector<std::pair<std::uint32_t, std::uint32_t>>& ranges() const noexcept {
    return ranges_;
  }
  /// Every number in the set, ranges expanded (bounded by `max`; `*` → `largest`).
  std::vector<std::uint32_t> expand(std::uint32_t largest = 0, std::size_t max = 1 << 20) const;

 private:
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges_;
};

/// The items of a FETCH (RFC 9051 §6.4.5), built by name:
///   fetch_items{}.uid().flags().envelope().body_section("HEADER.FIELDS (SUBJECT)")
class fetch_items {
 public:
  /// UID: the message's unique identifier (RFC 9051 §2.3.1.1).
  fetch_items& uid() { return add("UID"); }
  /// FLAGS: the message's flags (RFC 9051 §2.3.2).
  fetch_items& flags() { return add("FLAGS"); }
  /// INTERNALDATE: the date the server received the message (RFC 9051 §2.3.3).
  fetch_items& internal_date() { return add("INTERNALDATE"); }
  /// RFC822.SIZE: the message's size in octets (RFC 9051 §2.3.4).
  fetch_items& size() { return add("RFC822.SIZE"); }
  /// ENVELOPE: the parsed header fields (RFC 9051 §7.5.2).
  fetch_items& envelope() { return add("ENVELOPE"); }
  /// BODYSTRUCTURE: the MIME structure with extension data (RFC 9051 §7.5.2).
  fetch_items& body_structure() { return add("BODYSTRUCTURE"); }
  /// MODSEQ: the message's mod-sequence (CONDSTORE, RFC 7162 §3.1.4.1).
  fetch_items& modseq() { return add("MODSEQ"); }
  /// BODY.PEEK[section]<offset.count> (peek: do not set \\Seen) or BODY[...].
  /// `section` is the section-spec text: "", "HEADER", "TEXT", "1.2", "HEADER.FIELDS (FROM)".
  fetch_items& body_section(std::string_view section = "", bool peek = true,
                            std::optional<std::pair<std::uint64_t, std::uint64_t>> partial = {});
  /// BINARY.PEEK[part] (RFC 3516 / RFC 9051): content transfer decoding by the server.
  fetch_items& binary(std::string_view part, bool peek = true);
  /// Any other item, sent verbatim (must be atom characters and a section).
  fetch_items& add(std::string_view item);
  /// The items in the order added, in their wire form.
  const std::vector<std::string>& items() const noexcept { return items_; }
  /// True when no item was added.
  bool empty() const noexcept { return items_.empty(); }

 private:
  std::vector<std::string> items_;
};

/// A search-key (RFC 9051 §6.4.4) built from typed parts, e.g.
///   search_key::all().and_(search_key::from("alice")).and_(search_key::unseen())
/// String arguments go out as quoted strings or literals as their content needs.
class search_key {
 public:
  /// One piece of the search key on the wire.
  struct token {
    /// atom: sent as is; string: sent quoted or as a literal; open / close: "(" and ")".
    enum class kind : unsigned char { atom, string, open, close };
    /// How `text` goes out.
    kind type = kind::atom;
    /// The atom or string contents (empty for open / close).
    std::string text;
  };
  /// ALL: every message in the mailbox (RFC 9051 §6.4.4).
  static search_key all() { return atom("ALL"); }
  /// SEEN: messages with the \\Seen flag.
  static search_key seen() { return atom("SEEN"); }
  /// UNSEEN: messages without the \\Seen flag.
  static search_key unseen() { return atom("UNSEEN"); }
  /// ANSWERED: messages with the \\Answered flag.
  static search_key answered() { return atom("ANSWERED"); }
  /// DELETED: messages with the \\Deleted flag.
  static search_key deleted() { return atom("DELETED"); }
  /// UNDELETED: messages without the \\Deleted flag.
  static search_key undeleted() { return atom("UNDELETED"); }
  /// FLAGGED: messages with the \\Flagged flag.
  static search_key flagged() { return atom("FLAGGED"); }
  /// DRAFT: messages with the \\Draft flag.
  static search_key draft() { return atom("DRAFT"); }
  /// RECENT: messages with the \\Recent flag (IMAP4rev1 only; RFC 3501 §6.4.4).
  static search_key recent() { return atom("RECENT"); }
  /// KEYWORD flag: messages with that keyword (sent as an atom).
  static search_key keyword(std::string_view flag) { return atom("KEYWORD").arg_atom(flag); }
  /// FROM s: the envelope's From field contains `s` (a substring; case-insensitive).
  static search_key from(std::string_view s) { return atom("FROM").arg(s); }
  /// TO s: the envelope's To field contains `s`.
  static search_key to(std::string_view s) { return atom("TO").arg(s); }
  /// CC s: the envelope's Cc field contains `s`.
  static search_key cc(std::string_view s) { return atom("CC").arg(s); }
  /// BCC s: the envelope's Bcc field contains `s`.
  static search_key bcc(std::string_view s) { return atom("BCC").arg(s); }
  /// SUBJECT s: the envelope's Subject field contains `s`.
  static search_key subject(std::string_view s) { return atom("SUBJECT").arg(s); }
  /// BODY s: the body (not the header) contains `s`.
  static search_key body(std::string_view s) { return atom("BODY").arg(s); }
  /// TEXT s: the header or the body contains `s`.
  static search_key text(std::string_view s) { return atom("TEXT").arg(s); }
  /// HEADER field s: the header field `field` contains `s` ("" matches any message that has
  /// the field).
  static search_key header(std::string_view field, std::string_view s) {
    return atom("HEADER").arg(field).arg(s);
  }
  /// Dates are "1-Feb-2026" (date-text, RFC 9051 §9); checked when written.
  static search_key since(std::string_view date) { return atom("SINCE").arg_atom(date); }
  /// BEFORE date: internal date earlier than `date` (time and zone ignored).
  static search_key before(std::string_view date) { return atom("BEFORE").arg_atom(date); }
  /// ON date: internal date within `date`.
  static search_key on(std::string_view date) { return atom("ON").arg_atom(date); }
  /// LARGER n: RFC822.SIZE larger than `n` octets.
  static search_key larger(std::uint64_t n) { return atom("LARGER").arg_atom(std::to_string(n)); }
  /// SMALLER n: RFC822.SIZE smaller than `n` octets.
  static search_key smaller(std::uint64_t n) { return atom("SMALLER").arg_atom(std::to_string(n)); }
  /// UID set: messages whose UIDs are in `s`.
  static search_key uid(const sequence_set& s) { return atom("UID").arg_atom(s.to_string()); }
  /// A bare sequence-set: messages whose numbers are in `s`.
  static search_key seq(const sequence_set& s) { return atom(s.to_string()); }
  /// MODSEQ n (CONDSTORE, RFC 7162 §3.1.5).
  static search_key modseq(std::uint64_t n) { return atom("MODSEQ").arg_atom(std::to_string(n)); }
  /// NOT (k): messages that do not match `k` (parenthesised, so `k` may have several parts).
  static search_key not_(const search_key& k);
  /// OR (a) (b): messages that match either key.
  static search_key or_(const search_key& a, const search_key& b);
  /// Both this and `k` (keys side by side are ANDed).
  search_key& and_(const search_key& k);
  /// A raw atom (a key this builder does not name).
  static search_key atom(std::string_view a);
  /// Appends a string argument (quoted or literal, as its content needs).
  search_key& arg(std::string_view s);
  /// Appends an atom argument, sent as is (checked when written).
  search_key& arg_atom(std::string_view s);
  /// The key as tokens, in wire order (command_writer::search writes them).
  const std::vector<token>& tokens() const noexcept { return tokens_; }

 private:
  std::vector<token> tokens_;
};

/// STORE modes (RFC 9051 §6.4.6).
enum class store_mode { replace, add, remove };

/// STATUS data items (RFC 9051 §6.3.11, RFC 7162 HIGHESTMODSEQ).
enum status_item : unsigned {
  status_messages = 1,
  status_uidnext = 2,
  status_uidvalidity = 4,
  status_unseen = 8,
  status_deleted = 16,
  status_size = 32,
  status_recent = 64,  ///< IMAP4rev1 only
  status_highestmodseq = 128,
};

// ------------------------------------------------------------------ results

/// The server's capabilities (RFC 9051 §7.2.2), names as sent.
struct capabilities {
  /// Every capability name as the server sent it ("IMAP4rev2", "AUTH=PLAIN", "IDLE", ...).
  std::vector<std::string> names;
  /// Case-insensitive: has("IDLE"), has("AUTH=PLAIN").
  bool has(std::string_view name) const noexcept;
  /// The SASL mechanisms from AUTH=... entries.
  std::vector<std::string> auth_mechanisms() const;
  /// True when no capability is known.
  bool empty() const noexcept { return names.empty(); }
};

/// STATUS response (RFC 9051 §7.3.5).
struct status_info {
  std::string mailbox;  ///< decoded to UTF-8
  ///@{
  /// MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, RECENT: set when the server sent the item.
  std::optional<std::uint32_t> messages, uidnext, uidvalidity, unseen, recent;
  ///@}
  ///@{
  /// DELETED, SIZE (RFC 9051), HIGHESTMODSEQ (RFC 7162): set when the server sent the item.
  std::optional<std::uint64_t> deleted, size, highestmodseq;
  ///@}
};

/// One LIST / LSUB entry (RFC 9051 §7.3.1, RFC 6154 SPECIAL-USE).
struct list_entry {
  std::string name;                     ///< decoded to UTF-8 (modified UTF-7 or UTF8=ACCEPT)
  std::string raw_name;                 ///< as sent by the server
  std::string delimiter;                ///< "/" or "." ...; empty for NIL (flat namespace)
  std::vector<std::string> attributes;  ///< "\HasNoChildren", "\Sent", ...
  std::optional<status_info> status;    ///< LIST-STATUS (RFC 5819)
  /// Case-insensitive attribute test: has_attribute("\\Noselect").
  bool has_attribute(std::string_view a) const noexcept;
};

/// The selected mailbox, from SELECT/EXAMINE and kept up to date by unsolicited responses.
struct mailbox_state {
  std::string name;  ///< UTF-8
  /// EXAMINE, or the tagged OK had [READ-ONLY] (RFC 9051 §6.3.2).
  bool read_only = false;
  /// The number of messages (EXISTS).
  std::uint32_t exists = 0;
  /// RECENT count (IMAP4rev1 only).
  std::uint32_t recent = 0;
  ///@{
  /// The [UIDVALIDITY], [UIDNEXT] and [UNSEEN] response codes, when sent.
  std::optional<std::uint32_t> uidvalidity, uidnext, unseen;
  ///@}
  /// [HIGHESTMODSEQ] (RFC 7162 §3.1.2.1), when sent.
  std::optional<std::uint64_t> highestmodseq;
  /// [NOMODSEQ]: the mailbox does not support mod-sequences (RFC 7162 §3.1.2.2).
  bool nomodseq = false;
  ///@{
  /// FLAGS (the flags defined in the mailbox) and [PERMANENTFLAGS] (those the client can
  /// change permanently; "\\*" = new keywords allowed).
  std::vector<std::string> flags, permanent_flags;
  ///@}
  /// SELECT/EXAMINE with QRESYNC (RFC 7162 §3.2.5): the UIDs expunged since the given
  /// mod-sequence (VANISHED (EARLIER), §3.2.10) and the FETCH responses of the messages
  /// changed since (flags, MODSEQ). Empty otherwise.
  sequence_set vanished;
  /// See `vanished`: the FETCH responses of the messages changed since the mod-sequence.
  std::vector<struct fetch_message> changed;
};

/// address (RFC 9051 §7.5.2 ENVELOPE); a group start has host NIL, its end mailbox NIL too.
struct address {
  ///@{
  /// addr-name (display name), addr-adl (source route, obsolete), addr-mailbox (local part,
  /// or the group name), addr-host (domain); nullopt for NIL.
  std::optional<std::string> name, adl, mailbox, host;
  ///@}
  /// "mailbox@host", or "" when either is missing.
  std::string email() const;
};

/// ENVELOPE (RFC 9051 §7.5.2): every field may be NIL.
struct envelope {
  ///@{
  /// The Date and Subject header fields (raw, not decoded).
  std::optional<std::string> date, subject;
  ///@}
  ///@{
  /// The address header fields (empty for NIL).
  std::vector<address> from, sender, reply_to, to, cc, bcc;
  ///@}
  ///@{
  /// The In-Reply-To and Message-ID header fields.
  std::optional<std::string> in_reply_to, message_id;
  ///@}
};

/// BODYSTRUCTURE / BODY (RFC 9051 §7.5.2), every field incl. extension data.
struct body_structure {
  /// Media type and subtype (body-fld-type / media-subtype).
  std::string type, subtype;  ///< upper-cased by most servers; compare case-insensitively
  std::vector<std::pair<std::string, std::string>> params;  ///< body-fld-param
  ///@{
  /// Content-ID and Content-Description (body-fld-id, body-fld-desc).
  std::optional<std::string> id, description;
  ///@}
  std::string encoding;                     ///< "7BIT", "BASE64", ...
  std::uint64_t size = 0;                   ///< body-fld-octets
  std::optional<std::uint64_t> lines;       ///< text/* and message/rfc822
  std::optional<struct envelope> envelope;  ///< message/rfc822
  /// multipart: the parts; message/rfc822: the one encapsulated body.
  std::vector<body_structure> parts;
  // extension data (BODYSTRUCTURE only)
  /// Content-MD5 (body-fld-md5).
  std::optional<std::string> md5;
  std::optional<std::string> disposition;  ///< "attachment", "inline"
  /// The Content-Disposition parameters.
  std::vector<std::pair<std::string, std::string>> disposition_params;
  /// Content-Language tags (body-fld-lang).
  std::vector<std::string> language;
  /// Content-Location (body-fld-loc).
  std::optional<std::string> location;
  std::vector<value> extensions;  ///< body-extension values after location, kept raw
  /// type is MULTIPART (then `parts` holds the parts and subtype says which kind).
  bool is_multipart() const noexcept;
};

/// One FETCH response (RFC 9051 §7.5.2): the items the server sent.
struct fetch_message {
  /// The message sequence number (the number before FETCH).
  std::uint32_t seq = 0;
  /// UID, when sent.
  std::optional<std::uint32_t> uid;
  /// FLAGS, when sent.
  std::optional<std::vector<std::string>> flags;
  /// INTERNALDATE as sent ("17-Jul-1996 02:44:25 -0700").
  std::optional<std::string> internal_date;
  /// RFC822.SIZE, when sent.
  std::optional<std::uint64_t> size;
  /// ENVELOPE, when sent.
  std::optional<struct envelope> envelope;
  std::optional<body_structure> body;  ///< BODYSTRUCTURE (or BODY without section)
  /// MODSEQ (RFC 7162 §3.1.4.1), when sent.
  std::optional<std::uint64_t> modseq;
  /// `BODY[section]<origin>` / `BINARY[...]` contents by item name as the server sent it
  /// ("BODY[]", "BODY[HEADER]", "BINARY[1]", "BODY[]<0>"); nullopt for NIL; a body that was
  /// streamed to a sink is not stored here (see `streamed`).
  std::map<std::string, std::optional<std::string>> sections;
  std::vector<std::string> streamed;  ///< items whose data went to a sink
  /// Items this decoder does not know, raw: name -> value.
  std::vector<std::pair<std::string, value>> other;
  /// The first section's data, or "" (convenience).
  std::string section(std::string_view name) const;
};

/// SEARCH / ESEARCH result (RFC 9051 §7.3.4, RFC 4731).
struct search_result {
  /// Message numbers or UIDs. ESEARCH ALL is expanded here: at most 4,194,304 numbers per
  /// response; a larger set, or one holding "*", fails the decode.
  std::vector<std::uint32_t> ids;
  /// `ids` are UIDs (UID SEARCH).
  bool uid = false;
  ///@{
  /// ESEARCH MIN, MAX and COUNT (RFC 4731), when returned.
  std::optional<std::uint32_t> min, max, count;
  ///@}
  /// The highest mod-sequence of the matches (MODSEQ search key, RFC 7162 §3.1.5).
  std::optional<std::uint64_t> modseq;
};

/// One answer of a pipelined STATUS (client::status_many): the data, or why it failed.
struct status_entry {
  /// The mailbox as asked for (UTF-8).
  std::string mailbox;
  /// The data (meaningful only when `error` is not set).
  status_info status;
  std::error_code error;  ///< errc::no / bad for this mailbox only
  server_reply reply;     ///< the NO/BAD text, if any
};

/// NAMESPACE (RFC 2342, RFC 9051 §7.3.7).
struct namespace_info {
  /// One namespace: its prefix and hierarchy delimiter.
  struct entry {
    ///@{
    /// The prefix ("", "#shared/") and hierarchy delimiter ("/"; "" for NIL).
    std::string prefix, delimiter;
    ///@}
  };
  ///@{
  /// Personal, other users' and shared namespaces (each may be empty).
  std::vector<entry> personal, other_users, shared;
  ///@}
};

/// Results of COPY/MOVE/APPEND with UIDPLUS (RFC 4315) response codes.
struct copy_result {
  /// The destination mailbox's UIDVALIDITY, from [COPYUID].
  std::optional<std::uint32_t> uidvalidity;
  ///@{
  /// The UIDs copied and the UIDs they got in the destination, in the same order ([COPYUID]).
  sequence_set source_uids, dest_uids;
  ///@}
};
/// Result of APPEND with UIDPLUS: [APPENDUID uidvalidity uid] (RFC 4315 §3).
struct append_result {
  ///@{
  /// The destination's UIDVALIDITY and the appended message's UID, when sent.
  std::optional<std::uint32_t> uidvalidity, uid;
  ///@}
};

/// ID (RFC 2971) field/value pairs.
using id_fields = std::vector<std::pair<std::string, std::optional<std::string>>>;

/// Something the server reported that the caller did not ask for (RFC 9051 §7, §5.2):
/// delivered to client::set_event_handler. The handler must not call back into the client.
struct event {
  /// What happened; says which of the fields below are set.
  enum class kind {
    exists,    ///< `number` = new EXISTS count
    recent,    ///< `number` = RECENT count (IMAP4rev1)
    expunge,   ///< `number` = the expunged message number
    vanished,  ///< `uids` vanished (QRESYNC, RFC 7162 §3.2.10); `earlier` set for EARLIER
    fetch,     ///< an unsolicited FETCH (flag change): `message`
    flags,     ///< FLAGS of the mailbox changed: `flags`
    alert,     ///< [ALERT] text the RFC says must be shown to the user: `text`
    bye,       ///< the server is closing: `text`
    status,    ///< an untagged OK/NO/BAD with text (and maybe a code): `text`, `code`
  };
  /// Which event this is.
  kind type = kind::exists;
  /// exists, recent, expunge: the number.
  std::uint32_t number = 0;
  /// fetch: the decoded FETCH response.
  fetch_message message;
  /// vanished: the UIDs.
  sequence_set uids;
  /// vanished: VANISHED (EARLIER): old expunges reported for a QRESYNC resync (RFC 7162
  /// §3.2.10), not new ones.
  bool earlier = false;
  /// flags: the mailbox's new FLAGS.
  std::vector<std::string> flags;
  ///@{
  /// alert, bye, status: the response code (upper-cased, "" if none) and the text (untrusted).
  std::string code, text;
  ///@}
};

// ------------------------------------------------------------------ command options

/// LIST options (RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS).
struct list_options {
  /// Ask for RETURN (SPECIAL-USE) when the server offers SPECIAL-USE.
  bool special_use = true;
  /// status_item bits: ask for RETURN (STATUS (...)) when LIST-STATUS is offered (else
  /// ignored). 0 = none.
  unsigned status_items = 0;
};

/// SELECT / EXAMINE parameters (RFC 7162 CONDSTORE / QRESYNC).
struct select_options {
  /// (CONDSTORE) (RFC 7162 §3.1.8): enables CONDSTORE for the session; the result then has
  /// highestmodseq. Needs the CONDSTORE capability (else errc::not_supported, nothing sent).
  bool condstore = false;
  /// (QRESYNC (uidvalidity modseq [known-uids [(known-seqs known-uids)]])) (RFC 7162
  /// §3.2.5): quick resynchronisation. Needs ENABLE QRESYNC first (client_options::enable or
  /// client::enable), else errc::not_supported and nothing is sent.
  struct qresync_params {
    std::uint32_t uidvalidity = 0;  ///< the UIDVALIDITY the cache is valid for
    std::uint64_t modseq = 0;       ///< the last known HIGHESTMODSEQ
    sequence_set known_uids;        ///< optional: the UIDs the client knows
    ///@{
    /// optional seq-match-data: message numbers and their UIDs (same length)
    sequence_set known_seqs, known_seq_uids;
    ///@}
  };
  /// The QRESYNC parameters; nullopt: no QRESYNC.
  std::optional<qresync_params> qresync;
};

/// FETCH options.
struct fetch_options {
  bool uid = false;  ///< UID FETCH; the set holds UIDs
  /// CHANGEDSINCE (CONDSTORE, RFC 7162 §3.1.4.1); 0 = not sent.
  std::uint64_t changed_since = 0;
  /// Called once per message as its FETCH response completes (the result vector then
  /// stays empty, so 100k messages are never held at once).
  std::function<void(fetch_message&)> on_message;
  /// Receives the bytes of every BODY[...]/BINARY[...] literal as they arrive (streamed,
  /// never held whole); `on_body` is told which message/item each belongs to first.
  byte_sink* body_sink = nullptr;
  /// Called before the bytes of each streamed item reach body_sink: the message number, the
  /// item name ("BODY[]") and its size.
  std::function<void(std::uint32_t seq, std::string_view item, std::uint64_t size)> on_body;
};

/// STORE options (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE).
struct store_options {
  /// UID STORE; the set holds UIDs.
  bool uid = false;
  bool silent = false;  ///< .SILENT: no FETCH responses back
  /// UNCHANGEDSINCE mod-sequence (CONDSTORE, RFC 7162 §3.1.3): only messages not changed
  /// since are stored.
  std::optional<std::uint64_t> unchanged_since;
};

/// SEARCH options.
struct search_options {
  /// UID SEARCH: the result holds UIDs.
  bool uid = false;
  /// Use ESEARCH (RETURN (ALL COUNT MIN MAX)) when the server offers it.
  bool esearch = true;
  /// CHARSET argument ("UTF-8"); empty: none (IMAP4rev2 is UTF-8 anyway).
  std::string charset;
};

/// IDLE options (RFC 2177, RFC 9051 §6.3.13).
struct idle_options {
  /// Finish (DONE) after this long; the RFC asks clients to re-issue IDLE at least every
  /// 29 minutes. Values of 29 minutes or more are clamped below it.
  std::chrono::milliseconds interval{std::chrono::minutes(28)};
  /// Every response seen while idling; return false to send DONE and finish.
  std::function<bool(const event&)> on_event;
};

// ------------------------------------------------------------------ pipelining

/// Commands sent together without waiting for each completion (RFC 9051 §5.5): built here,
/// run by client::pipeline. FETCH, STORE, SEARCH and STATUS, in any mix:
///   command_batch b;
///   b.fetch(sequence_set::range(1, 10), fetch_items{}.uid().flags())
///    .store(sequence_set::single(3), store_mode::add, {"\\Seen"})
///    .status("Archive", status_messages);
/// The commands go out in as few writes as the RFC's ambiguity rule allows: after a command
/// during which the server may send EXPUNGE (UID FETCH/STORE/SEARCH, STATUS), a command that
/// uses message sequence numbers (FETCH, STORE, SEARCH without UID; any SEARCH, whose keys
/// may hold sequence numbers) waits until the commands before it have completed. A
/// command that would need a synchronising literal (no LITERAL+) and a FETCH into a body
/// sink are refused (errc::invalid_argument) before anything is sent.
class command_batch {
 public:
  /// One command of the batch.
  struct entry {
    /// Which command this is (and which fields below it uses).
    enum class kind : unsigned char { fetch, store, status, search };
    /// The command.
    kind type = kind::fetch;
    sequence_set set;                   ///< fetch, store
    fetch_items items;                  ///< fetch
    fetch_options fetch;                ///< fetch (on_message is honoured; body_sink is not)
    store_mode mode = store_mode::add;  ///< store
    std::vector<std::string> flags;     ///< store
    store_options store;                ///< store
    std::string mailbox;                ///< status (UTF-8)
    unsigned status_items = 0;          ///< status: status_item bits
    search_key key;                     ///< search
    search_options search;              ///< search
    /// Uses message sequence numbers (must not follow an EXPUNGE-permitting command).
    bool uses_sequence_numbers() const noexcept;
    /// The server may send EXPUNGE while it runs (RFC 9051 §5.5).
    bool permits_expunge() const noexcept;
  };
  /// Adds FETCH (UID FETCH with o.uid).
  command_batch& fetch(sequence_set set, fetch_items items, fetch_options o = {});
  /// Adds STORE (UID STORE with o.uid).
  command_batch& store(sequence_set set, store_mode mode, std::vector<std::string> flags,
                       store_options o = {});
  /// Adds STATUS mailbox (`items`: status_item bits).
  command_batch& status(std::string mailbox, unsigned items);
  /// Adds SEARCH (UID SEARCH with o.uid).
  command_batch& search(search_key key, search_options o = {});
  /// The commands in the order added.
  const std::vector<entry>& entries() const noexcept { return entries_; }
  /// True when no command was added.
  bool empty() const noexcept { return entries_.empty(); }
  /// The number of commands.
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::vector<entry> entries_;
};

/// The answer to one command of a command_batch (same index).
struct batch_result {
  std::error_code error;  ///< errc::no / bad (or a decoding error) for this command only
  server_reply reply;     ///< its NO/BAD text and response code, if any
  std::vector<fetch_message> messages;  ///< FETCH (unless on_message), STORE
  std::optional<status_info> status;    ///< STATUS
  std::optional<search_result> search;  ///< SEARCH
};

// ------------------------------------------------------------------ mailbox names

/// Modified UTF-7 (RFC 3501 §5.1.3) from UTF-8. Invalid UTF-8: errc::invalid_argument.
std::string encode_mailbox_utf7(std::string_view utf8, std::error_code& ec);
/// Modified UTF-7 to UTF-8. A malformed name is returned unchanged with `ec` set.
std::string decode_mailbox_utf7(std::string_view name, std::error_code& ec);

// ------------------------------------------------------------------ decoders
// Each takes one parsed response and fills the result; a response of the wrong shape sets
// errc::bad_response. `utf8` says whether mailbox names are UTF-8 (UTF8=ACCEPT enabled).

capabilities decode_capability(const std::vector<value>& names);
list_entry decode_list(const response& r, bool utf8, std::error_code& ec);
status_info decode_status(const response& r, bool utf8, std::error_code& ec);
fetch_message decode_fetch(const response& r, std::error_code& ec);
/// The same into an existing message, reusing the capacity of its strings and vectors: a
/// caller that handles a stream of FETCH responses one at a time can decode every one into
/// the same object without allocating per field. Items absent from `r` are reset.
void decode_fetch(const response& r, fetch_message& out, std::error_code& ec);
envelope decode_envelope(const value& v, std::error_code& ec);
body_structure decode_body(const value& v, std::error_code& ec);
/// SEARCH (r.name "SEARCH") or ESEARCH (r.name "ESEARCH"): merged into `out`.
void decode_search(const response& r, search_result& out, std::error_code& ec);
namespace_info decode_namespace(const response& r, std::error_code& ec);
id_fields decode_id(const response& r, std::error_code& ec);
std::vector<std::string> decode_flags(const value& v, std::error_code& ec);
/// VANISHED [(EARLIER)] uid-set.
sequence_set decode_vanished(const response& r, bool& earlier, std::error_code& ec);

}  // namespace mailproto::imap
