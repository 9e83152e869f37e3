// The three course exercises again, asynchronously: C++20 coroutines (asio::co_spawn,
// asio::use_awaitable) on ONE io_context and one thread. The two sends and the mailbox
// report run concurrently; each `co_await` lets the others run while it waits for the
// network. A failure throws (mailproto::error / std::system_error) out of the coroutine
// into its completion handler, which prints it.
//
//   eval "$(scripts/sandbox env)"; build/default/examples/example_async_coroutines
#include "sandbox_env.hpp"

#include <mailproto/imap/client.hpp>
#include <mailproto/pop3/client.hpp>
#include <mailproto/smtp/send.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <exception>
#include <iostream>

using namespace mailproto;
using asio::use_awaitable;

net::connect_options server(const char* port_var, net::tls_mode tls) {
  net::connect_options o{
      .host = example::env("MAILPROTO_HOST"), .port = example::port(port_var), .tls = tls};
  o.tls_opts.cafile = example::env("MAILPROTO_CAFILE");  // verify the server's certificate
  return o;
}

// Exercises 1 and 2: submission with STARTTLS and AUTH; `rar` adds a .rar attachment.
asio::awaitable<void> send(bool rar) {
  auto ex = co_await asio::this_coro::executor;
  smtp::client c(ex);
  const auto where = server("MAILPROTO_SMTP_PORT", net::tls_mode::starttls);
  co_await c.async_connect(where, use_awaitable);
  const auto user = example::env("MAILPROTO_ALICE_USER"),
             pass = example::env("MAILPROTO_ALICE_PASSWORD");
  co_await c.async_login(user, pass, use_awaitable);
  mime::message_builder msg;
  msg.from(example::env("MAILPROTO_ALICE_ADDRESS")).to(example::env("MAILPROTO_BOB_ADDRESS"));
  msg.subject(rar ? "Báo cáo (async, .rar)" : "Chào Bob (async)").text("Gửi từ coroutine.\n");
  if (rar) msg.attach(std::string("Rar!\x1a\x07\x01\x00async report", 20), "bao-cao.rar");
  std::error_code ec;
  auto source = msg.source(ec);  // the message, produced lazily while DATA is sent
  if (ec) throw mailproto::error(ec, msg.error_message());
  const auto envelope = smtp::envelope_of(msg);  // MAIL FROM and RCPT TO, from the headers
  auto r = co_await c.async_send(*source, envelope, use_awaitable);
  std::cout << "exercise " << (rar ? 2 : 1) << ": sent " << r.bytes_sent << " bytes, "
            << r.accepted() << " recipient(s) accepted\n";
  co_await c.async_quit(use_awaitable);
}

// Exercise 3: every message's size over POP3 (STLS), every folder's name over IMAPS.
asio::awaitable<void> report() {
  auto ex = co_await asio::this_coro::executor;
  const auto user = example::env("MAILPROTO_BOB_USER"),
             pass = example::env("MAILPROTO_BOB_PASSWORD");
  pop3::client pop(ex);
  pop3::client_options po;
  po.net = server("MAILPROTO_POP3_PORT", net::tls_mode::starttls);
  co_await pop.async_connect(po, use_awaitable);
  co_await pop.async_login(user, pass, use_awaitable);
  const auto sizes = co_await pop.async_list(use_awaitable);
  for (const auto& m : sizes)
    std::cout << "exercise 3: POP3 message " << m.number << ": " << m.size << " bytes\n";
  co_await pop.async_quit(use_awaitable);

  imap::client im(ex);
  imap::client_options io;
  io.net = server("MAILPROTO_IMAPS_PORT", net::tls_mode::implicit);
  co_await im.async_connect(io, use_awaitable);
  co_await im.async_login(user, pass, use_awaitable);
  const auto folders = co_await im.async_list("", "*", imap::list_options{}, use_awaitable);
  for (const auto& f : folders) std::cout << "exercise 3: IMAP folder " << f.name << "\n";
  co_await im.async_logout(use_awaitable);
}

int main() {
  asio::io_context io;
  int failures = 0;
  auto done = [&](const char* what) {
    return [&failures, what](std::exception_ptr e) {
      if (!e) return;
      ++failures;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::cerr << what << " failed: " << x.what() << "\n";
      }
    };
  };
  asio::co_spawn(io, send(false), done("exercise 1"));
  asio::co_spawn(io, send(true), done("exercise 2"));
  asio::co_spawn(io, report(), done("exercise 3"));
  io.run();  // one thread runs all three until each has finished
  return failures == 0 ? 0 : 1;
}
