// Private: the TCP / TLS transport used when connect_options::transport is empty.
#pragma once

#include <mailproto/net/options.hpp>
#include <mailproto/net/transport.hpp>

#include <memory>

namespace mailproto::net {

/// `trace_note` receives human-readable notes (TLS details, verification result).
std::unique_ptr<transport> make_tcp_transport(
    asio::any_io_executor ex, const connect_options& o,
    detail::unique_function<void(std::string_view)> trace_note);

}  // namespace mailproto::net
