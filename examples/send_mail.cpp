// Exercise 1: send a UTF-8 mail through a submission server (port 587) with STARTTLS and a
// login — the course's smtplib exercise, in C++:
//
//   server = smtplib.SMTP(host, 587); server.starttls(); server.login(user, password)
//   server.send_message(msg); server.quit()
//
// Run against the sandbox: eval "$(scripts/sandbox env)"; build/default/examples/example_send_mail
#include "sandbox_env.hpp"

#include <mailproto/mime/message_builder.hpp>
#include <mailproto/smtp/send.hpp>

#include <iostream>

int main() {
  using namespace mailproto;

  mime::message_builder msg;
  msg.from("Alice <" + example::env("MAILPROTO_ALICE_ADDRESS") + ">")
      .to("Bob <" + example::env("MAILPROTO_BOB_ADDRESS") + ">")
      .subject("Tiêu đề: Lập trình mạng")
      .text("Thân gửi An,\n\nĐây là thư gửi qua SMTP với STARTTLS.\n\nAlice\n");

  net::connect_options server{.host = example::env("MAILPROTO_HOST"),
                              .port = example::port("MAILPROTO_SMTP_PORT"),  // submission
                              .tls = net::tls_mode::starttls};               // required
  server.tls_opts.cafile = example::env("MAILPROTO_CAFILE");                 // verify the server
  server.trace = net::trace_to(std::cout);                                   // show C:/S: lines

  std::error_code ec;
  auto result = smtp::send(server, example::env("MAILPROTO_ALICE_USER"),
                           example::env("MAILPROTO_ALICE_PASSWORD"), msg, ec);
  if (ec) {
    std::cerr << "send failed: " << ec.message() << "\n";
    return 1;
  }
  for (const auto& r : result.recipients)
    std::cout << r.address << ": " << (r.accepted ? "accepted" : "refused") << " ("
              << r.reply.to_string() << ")\n";
  return result.delivered ? 0 : 1;
}
