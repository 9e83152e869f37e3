// Drive one net::operation through the synchronous API (connection::run on the connection's
// own io_context) or the asynchronous one (connection::start on `io`, then io.run()), for
// tests that check both read paths of the driver.
#pragma once

#include <mailproto/net/connection.hpp>

#include <asio/io_context.hpp>

#include <system_error>

namespace mailproto::test_support {

// A connection for the chosen path: on `io` when async, else with its own io_context.
inline net::connection make_connection(asio::io_context& io, bool async) {
  return async ? net::connection(io.get_executor()) : net::connection();
}

// Run `op` on `conn` (made by make_connection with the same `async`); the operation's error.
inline std::error_code run_op(net::connection& conn, asio::io_context& io, net::operation& op,
                              bool async) {
  std::error_code ec;
  if (async) {
    conn.start(op, [&](std::error_code e) { ec = e; });
    io.run();
  } else {
    conn.run(op, ec);
  }
  return ec;
}

}  // namespace mailproto::test_support
