// mailproto/imap/detail/ops.hpp — factories of the IMAP operations (defined in src/imap/).
// Not part of the public API: client.hpp's async initiations use them.
#pragma once

#include <mailproto/imap/protocol.hpp>
#include <mailproto/imap/types.hpp>
#include <mailproto/io.hpp>
#include <mailproto/mime/message.hpp>
#include <mailproto/mime/parser.hpp>
#include <mailproto/net/operation.hpp>
#include <mailproto/sasl/mechanism.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mailproto::imap::detail {

template <class R>
using op_ptr = std::unique_ptr<net::result_operation<R>>;

op_ptr<void> make_connect_op(protocol& p);
op_ptr<void> make_login_op(protocol& p, std::string user, std::string password);
op_ptr<void> make_authenticate_op(protocol& p, sasl::credentials creds);
op_ptr<capabilities> make_capability_op(protocol& p);
op_ptr<std::vector<std::string>> make_enable_op(protocol& p, std::vector<std::string> exts);
op_ptr<id_fields> make_id_op(protocol& p, id_fields fields);
op_ptr<namespace_info> make_namespace_op(protocol& p);
op_ptr<std::vector<list_entry>> make_list_op(protocol& p, std::string reference,
                                             std::string pattern, list_options o, bool lsub);
op_ptr<status_info> make_status_op(protocol& p, std::string mailbox, unsigned items);
/// STATUS for several mailboxes, pipelined in one write.
op_ptr<std::vector<status_entry>> make_status_many_op(protocol& p,
                                                      std::vector<std::string> mailboxes,
                                                      unsigned items);
/// A command_batch pipelined (RFC 9051 §5.5).
op_ptr<std::vector<batch_result>> make_batch_op(protocol& p, command_batch batch);
/// SELECT / EXAMINE, with CONDSTORE / QRESYNC parameters when `o` asks.
op_ptr<mailbox_state> make_select_op(protocol& p, std::string mailbox, bool read_only,
                                     select_options o = {});
/// CREATE, DELETE, RENAME (with `to`), SUBSCRIBE, UNSUBSCRIBE.
op_ptr<void> make_mailbox_op(protocol& p, std::string verb, std::string mailbox,
                             std::string to = {});
/// NOOP, CHECK, CLOSE, UNSELECT.
op_ptr<void> make_simple_op(protocol& p, std::string verb);
op_ptr<append_result> make_append_op(protocol& p, std::string mailbox, byte_source& message,
                                     std::vector<std::string> flags,
                                     std::optional<std::string> date);
op_ptr<std::vector<fetch_message>> make_fetch_op(protocol& p, sequence_set set, fetch_items items,
                                                 fetch_options o);
/// One message's BODY.PEEK[] streamed into the MIME parser (BODYSTRUCTURE replacement).
op_ptr<mime::message> make_fetch_mime_op(protocol& p, std::uint32_t n, bool uid,
                                         mime::parser_limits limits);
op_ptr<std::vector<fetch_message>> make_store_op(protocol& p, sequence_set set, store_mode mode,
                                                 std::vector<std::string> flags, store_options o);
op_ptr<search_result> make_search_op(protocol& p, search_key key, search_options o);
op_ptr<copy_result> make_copy_op(protocol& p, sequence_set set, std::string dest, bool uid,
                                 bool move);
/// EXPUNGE, or UID EXPUNGE `uids` (UIDPLUS) when given. Result: expunged numbers.
op_ptr<std::vector<std::uint32_t>> make_expunge_op(protocol& p, std::optional<sequence_set> uids);
op_ptr<void> make_idle_op(protocol& p, idle_options o);
op_ptr<void> make_logout_op(protocol& p);

}  // namespace mailproto::imap::detail
