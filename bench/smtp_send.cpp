// bench_smtp_send HOST PORT COUNT [MESSAGE_BYTES]: client CPU per message for COUNT small
// messages sent over one plain SMTP connection (a local sink, loopback only).
// Prints `RESULT smtp-send mailproto <us> us/msg` (user+system CPU of this process from after
// the connect to after QUIT, divided by COUNT; getrusage).
#include <mailproto/smtp/client.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
double cpu_us() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_smtp_send HOST PORT COUNT [MESSAGE_BYTES]\n");
    return 2;
  }
  using namespace mailproto;
  const int count = std::atoi(argv[3]);
  const std::size_t bytes = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1000;
  std::string msg = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n";
  while (msg.size() < bytes)
    msg += "The quick brown fox jumps over the lazy dog, again and again.\r\n";
  smtp::client_options o;
  o.session.helo_name = "bench.example.test";
  smtp::client c(o);
  net::connect_options n;
  n.host = argv[1];
  n.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  n.tls = net::tls_mode::none;
  std::error_code ec;
  c.connect(n, ec);
  if (ec) {
    std::fprintf(stderr, "connect: %s\n", describe(ec, c.last_reply()).c_str());
    return 1;
  }
  smtp::envelope env;
  env.from = "alice@example.test";
  env.recipients = {"bob@example.test"};
  const double t0 = cpu_us();
  for (int i = 0; i < count; ++i) {
    auto src = string_source::view(msg);
    c.send(src, env, ec);
    if (ec) {
      std::fprintf(stderr, "send %d: %s\n", i, describe(ec, c.last_reply()).c_str());
      return 1;
    }
  }
  c.quit(ec);
  const double t1 = cpu_us();
  std::printf("RESULT smtp-send mailproto %.1f us/msg\n", (t1 - t0) / count);
  return 0;
}
