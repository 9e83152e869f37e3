// mailproto/pop3/detail/ops.hpp — factories of the POP3 operations (defined in src/pop3/).
// Not API: client.hpp's async initiations call these so that headers stay thin.
#pragma once

#include <mailproto/io.hpp>
#include <mailproto/net/operation.hpp>
#include <mailproto/net/options.hpp>
#include <mailproto/pop3/fetch.hpp>
#include <mailproto/pop3/protocol.hpp>
#include <mailproto/sasl/mechanism.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mailproto::pop3::detail {

template <class R>
using op_ptr = std::unique_ptr<net::result_operation<R>>;

/// Connect, read the greeting, and negotiate STLS per `tls` (RFC 2595 §4).
op_ptr<void> make_connect_op(protocol& p, net::tls_mode tls);
op_ptr<capabilities> make_capa_op(protocol& p);
op_ptr<void> make_login_op(protocol& p, std::string user, std::string pass);
op_ptr<void> make_apop_op(protocol& p, std::string user, std::string secret);
op_ptr<void> make_auth_op(protocol& p, sasl::credentials creds, std::string mechanism,
                          sasl::mechanism_options mech_opts);
op_ptr<mailbox_stat> make_stat_op(protocol& p);
op_ptr<std::vector<message_info>> make_list_op(protocol& p);
op_ptr<message_info> make_list_one_op(protocol& p, std::uint32_t n);
op_ptr<std::vector<message_uid>> make_uidl_op(protocol& p);
op_ptr<message_uid> make_uidl_one_op(protocol& p, std::uint32_t n);
op_ptr<std::uint64_t> make_retr_op(protocol& p, std::uint32_t n, byte_sink& sink);
op_ptr<std::uint64_t> make_top_op(protocol& p, std::uint32_t n, std::uint32_t lines,
                                  byte_sink& sink);
op_ptr<void> make_dele_op(protocol& p, std::uint32_t n);
op_ptr<void> make_rset_op(protocol& p);
op_ptr<void> make_noop_op(protocol& p);
op_ptr<quit_result> make_quit_op(protocol& p);
op_ptr<fetch_result> make_fetch_op(protocol& p, fetch_options o);

}  // namespace mailproto::pop3::detail
