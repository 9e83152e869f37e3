// mailproto/smtp/envelope.hpp — who a message goes to, and what happened to each recipient.
//
// The envelope (RFC 5321 §2.3.1) is separate from the message's headers: MAIL FROM and
// RCPT TO say where it goes; From/To/Cc are only text inside the message. Bcc recipients
// appear in the envelope and never in the bytes sent.
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/server_reply.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace mailproto::smtp {

/// DSN NOTIFY values (RFC 3461 §4.1), combinable with |. `never` excludes the others.
enum class notify : unsigned {
  none = 0,  ///< no NOTIFY parameter (server default)
  never = 1,
  success = 2,
  failure = 4,
  delay = 8,
};
constexpr notify operator|(notify a, notify b) {
  return static_cast<notify>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has_flag(notify set, notify f) {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(f)) != 0;
}

/// DSN RET (RFC 3461 §4.3): return the full message or only the headers in a bounce.
enum class dsn_return { none, full, headers };

/// The body type declared with MAIL FROM BODY= (RFC 6152, RFC 3030).
enum class body_type {
  unspecified,  ///< no BODY parameter (7-bit content)
  eight_bit,    ///< BODY=8BITMIME (needs 8BITMIME)
  binary,       ///< BODY=BINARYMIME (needs BINARYMIME and CHUNKING; sent with BDAT)
};

/// One RCPT TO: the address and its DSN parameters. Converts from a string.
struct recipient {
  std::string address;              ///< addr-spec, without angle brackets: "bob@example.test"
  notify notify_on = notify::none;  ///< DSN NOTIFY (RFC 3461 §4.1; needs DSN)
  /// DSN ORCPT (RFC 3461 §4.2): the original recipient, sent as "rfc822;" + xtext.
  std::string original_recipient;

  recipient() = default;
  /// A recipient with only an address (implicit, so `{"bob@x", "carol@y"}` works).
  recipient(std::string a) : address(std::move(a)) {}  // NOLINT: implicit on purpose
  /// A recipient with only an address.
  recipient(const char* a) : address(a) {}  // NOLINT
};

/// Where the message goes. Plain aggregate.
struct envelope {
  /// MAIL FROM addr-spec; empty string = the null reverse-path "<>" (bounces).
  std::string from;
  std::vector<recipient> recipients;        ///< RCPT TO, one per recipient, in order
  body_type body = body_type::unspecified;  ///< BODY= parameter (RFC 6152, RFC 3030)
  /// SMTPUTF8 (RFC 6531 §3.4): sent automatically when an address is not ASCII; set this
  /// to send it anyway (UTF-8 in the headers).
  bool smtputf8 = false;
  dsn_return ret = dsn_return::none;  ///< DSN RET (needs DSN)
  std::string envid;                  ///< DSN ENVID (needs DSN), sent as xtext
  bool require_tls = false;           ///< REQUIRETLS (RFC 8689; needs TLS and the extension)
  /// The message size for SIZE= (RFC 1870); default: the byte_source's size() if known.
  std::optional<std::uint64_t> size;
};

/// How the message body travels.
enum class transfer_mode {
  automatic,  ///< BDAT when the server offers CHUNKING, else DATA
  data,       ///< always DATA (dot-stuffed)
  bdat,       ///< always BDAT (errc::extension_not_supported without CHUNKING)
};

/// Per-send options. Plain aggregate.
struct send_options {
  /// Fail the whole send (nothing is transferred, RSET) if any recipient is refused.
  bool all_or_nothing = false;
  transfer_mode transfer = transfer_mode::automatic;  ///< DATA or BDAT
  /// Bytes per BDAT chunk, and per write of a DATA body.
  std::size_t chunk_size = 64 * 1024;
};

/// What the server said about one recipient.
struct recipient_result {
  std::string address;    ///< the envelope address
  bool accepted = false;  ///< RCPT TO got 2xx
  server_reply reply;     ///< the RCPT TO reply (untrusted text)
};

/// The outcome of one send. Filled as far as the send got, also when it fails.
struct send_result {
  std::vector<recipient_result> recipients;  ///< one per envelope recipient, in order
  server_reply mail_reply;                   ///< reply to MAIL FROM
  server_reply final_reply;      ///< reply to the end of data (queue id in its text, usually)
  std::uint64_t bytes_sent = 0;  ///< message bytes sent (after dot-stuffing/normalising)
  bool delivered = false;        ///< the server took responsibility (2xx after the data)

  /// Recipients accepted.
  std::size_t accepted() const noexcept;
  /// Recipients refused.
  std::size_t rejected() const noexcept { return recipients.size() - accepted(); }
};

/// One message of a batch (client::send_batch): where its bytes come from, and where it goes.
struct batch_message {
  /// Read in chunks while the batch runs; must stay alive until the batch completes.
  /// A null source fails this message with std::errc::invalid_argument (nothing sent).
  byte_source* source = nullptr;
  envelope env;  ///< MAIL FROM, RCPT TO and the parameters, as for client::send
};

/// What happened to one message of a batch.
struct batch_result {
  /// This message's outcome, as client::send would have reported it: empty when the server
  /// took the message (result.delivered); a refusal (reply category, all_recipients_rejected,
  /// ...) when the server refused it; the fatal error when the connection failed before its
  /// final reply (then not sent); net::errc::connection_unusable when the batch never got to
  /// it because an earlier message ended the session.
  std::error_code error;
  send_result result;  ///< recipients, replies, delivered: as client::send returns them
};

/// A streamed batch's supply (client::send_batch with callbacks): the next message, or
/// nullptr when there are no more. The message, and its source, must stay valid until its
/// result has been reported; at most two are in flight at once (the one whose replies are
/// read, and the next, whose commands went out with the end of the first one's data), so
/// two message objects used in turn are enough.
using batch_next = std::function<const batch_message*()>;
/// A streamed batch's results: the message's index (0, 1, ... in the order batch_next gave
/// them) and what happened to it; the callee may move from it.
using batch_report = std::function<void(std::size_t index, batch_result& result)>;

}  // namespace mailproto::smtp
