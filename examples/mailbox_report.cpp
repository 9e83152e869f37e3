// Exercise 3: analyse a mailbox — the size of every message over POP3 (LIST, RFC 1939 §5)
// and the name of every folder over IMAP (LIST "" "*", RFC 9051 §6.3.9).
#include "sandbox_env.hpp"

#include <mailproto/imap/client.hpp>
#include <mailproto/pop3/client.hpp>

#include <iostream>

int main() {
  using namespace mailproto;
  const std::string host = example::env("MAILPROTO_HOST"), ca = example::env("MAILPROTO_CAFILE");
  const std::string user = example::env("MAILPROTO_BOB_USER"),
                    pass = example::env("MAILPROTO_BOB_PASSWORD");

  // POP3 over STLS: USER/PASS, LIST, QUIT.
  pop3::client pop;
  pop3::client_options po;
  po.net = {
      .host = host, .port = example::port("MAILPROTO_POP3_PORT"), .tls = net::tls_mode::starttls};
  po.net.tls_opts.cafile = ca;
  pop.connect(po);
  pop.login(user, pass);
  std::cout << "POP3: message sizes\n";
  for (const auto& m : pop.list())
    std::cout << "  message " << m.number << ": " << m.size << " bytes\n";
  pop.quit();

  // IMAP over implicit TLS: LOGIN, LIST, LOGOUT.
  imap::client im;
  imap::client_options io;
  io.net = {
      .host = host, .port = example::port("MAILPROTO_IMAPS_PORT"), .tls = net::tls_mode::implicit};
  io.net.tls_opts.cafile = ca;
  im.connect(io);
  im.login(user, pass);
  std::cout << "IMAP: folders\n";
  for (const auto& f : im.list("", "*")) std::cout << "  " << f.name << "\n";
  im.logout();
  return 0;
}
