// Exercise 2: the same as send_mail, with a .rar file attached. The media type comes from
// the extension (application/vnd.rar, not text/plain); the file is read and base64-encoded
// in chunks while it is sent.
//
//   example_send_attachment [FILE.rar]      (without FILE, a small demo .rar is written first)
#include "sandbox_env.hpp"

#include <mailproto/mime/message_builder.hpp>
#include <mailproto/smtp/send.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  using namespace mailproto;

  std::string path = argc > 1 ? argv[1] : "/tmp/bao-cao.rar";
  if (argc <= 1) {  // a tiny file with the RAR 5 signature, so the demo runs anywhere
    std::ofstream(path, std::ios::binary) << std::string("Rar!\x1a\x07\x01\x00demo report", 19);
  }

  mime::message_builder msg;
  msg.from(example::env("MAILPROTO_ALICE_ADDRESS"))
      .to(example::env("MAILPROTO_BOB_ADDRESS"))
      .subject("Báo cáo bài tập (kèm tệp .rar)")
      .text("Gửi An bản báo cáo đính kèm.\n")
      .attach_file(path, "Báo cáo.rar");  // shown to the reader with this (UTF-8) name

  net::connect_options server{.host = example::env("MAILPROTO_HOST"),
                              .port = example::port("MAILPROTO_SMTP_PORT"),
                              .tls = net::tls_mode::starttls};
  server.tls_opts.cafile = example::env("MAILPROTO_CAFILE");
  server.trace = net::trace_to(std::cout);

  std::error_code ec;
  auto result = smtp::send(server, example::env("MAILPROTO_ALICE_USER"),
                           example::env("MAILPROTO_ALICE_PASSWORD"), msg, ec);
  if (ec) {
    std::cerr << "send failed: " << ec.message() << "\n";
    return 1;
  }
  std::cout << "sent " << result.bytes_sent << " bytes; " << result.accepted()
            << " recipient(s) accepted\n";
  return result.delivered ? 0 : 1;
}
