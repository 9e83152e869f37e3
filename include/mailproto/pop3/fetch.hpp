// mailproto/pop3/fetch.hpp — "download and keep" / "download and delete" in one call.
//
// client::fetch() lists the mailbox (LIST, and UIDL for the unique ids), retrieves every
// message (or, in keep mode with `seen`, only the ones whose UID the caller has not stored
// yet) into a sink the caller opens per message, and in remove mode marks a message with
// DELE only after its sink's finish() succeeded. It then sends QUIT, which is when the
// server removes the marked messages (RFC 1939 §6). On any failure it closes the connection
// WITHOUT QUIT, so the server skips the update state and the mailbox stays untouched.
#pragma once

#include <mailproto/io.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mailproto::pop3 {

enum class fetch_mode {
  keep,    ///< download and leave on the server
  remove,  ///< download, then delete what was stored (DELE + QUIT)
};

/// A message fetch() is about to retrieve, or has stored.
struct fetched_message {
  std::uint32_t number = 0;  ///< message number in this session (RFC 1939 §5)
  std::uint64_t size = 0;    ///< as LIST reports it
  std::string uid;           ///< from UIDL, or "" if the server has no UIDL
};

/// How client::fetch downloads: keep or remove, where each message goes, which to skip.
struct fetch_options {
  fetch_mode mode = fetch_mode::keep;  ///< keep on the server, or remove what was stored
  /// Opens the sink for one message (required). Return nullptr to skip the message (it is
  /// then neither stored nor deleted).
  std::function<std::unique_ptr<byte_sink>(const fetched_message&)> open_sink;
  /// Optional: true for a UID the caller has stored before; such messages are skipped
  /// ("only new messages"). Needs UIDL on the server (else errc::rejected).
  std::function<bool(std::string_view uid)> seen;
  /// Send QUIT at the end (required for remove mode to take effect). When false, the
  /// session stays in the transaction state and the caller decides.
  bool quit = true;
};

/// What client::fetch did.
struct fetch_result {
  /// Messages whose sink finished successfully, in retrieval order.
  std::vector<fetched_message> stored;
  /// Numbers the server removed in the update state (remove mode, after QUIT).
  std::vector<std::uint32_t> deleted;
};

}  // namespace mailproto::pop3
