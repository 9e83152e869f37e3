// bench_pop3_retrieve: retrieve every message of a POP3 mailbox over one connection and
// report the client's CPU time per megabyte (10^6 bytes of message data as delivered to the
// sink, CRLF lines, dot-unstuffed).
//
//   bench_pop3_retrieve HOST PORT CAFILE USER   (password in MAILPROTO_PASSWORD; POP3S)
//
// Prints `RESULT pop3-retrieve mailproto <ms> ms/MB`, then `messages <n> bytes <b>` so the
// job can check that every tool got the same amount. The CPU time is getrusage(RUSAGE_SELF)
// user+system around login..QUIT (connect and TLS handshake excluded); the sink only
// counts bytes, so the number is the client's own cost (parsing, TLS decryption, copies).
#include <mailproto/pop3/client.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

double cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s HOST PORT CAFILE USER (password in MAILPROTO_PASSWORD)\n",
                 argv[0]);
    return 2;
  }
  const char* pw = std::getenv("MAILPROTO_PASSWORD");
  if (!pw) {
    std::fprintf(stderr, "MAILPROTO_PASSWORD is not set\n");
    return 2;
  }
  using namespace mailproto;
  pop3::client_options o;
  o.net.host = argv[1];
  o.net.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  o.net.tls = net::tls_mode::implicit;
  o.net.tls_opts.cafile = argv[3];
  o.net.tls_opts.server_name = "localhost";
  try {
    pop3::client c;
    c.connect(o);
    const double t0 = cpu_ms();
    c.login(argv[4], pw);
    c.capa();  // PIPELINING, if offered
    std::uint64_t bytes = 0;
    pop3::fetch_options f;
    f.open_sink = [&](const pop3::fetched_message&) -> std::unique_ptr<byte_sink> {
      return std::make_unique<callback_sink>(
          [&](std::string_view b, std::error_code&) { bytes += b.size(); });
    };
    const auto r = c.fetch(f);  // keep mode, then QUIT
    const double t1 = cpu_ms();
    const double mb = static_cast<double>(bytes) / 1e6;
    std::printf("RESULT pop3-retrieve mailproto %.3f ms/MB\n", (t1 - t0) / mb);
    std::printf("messages %zu bytes %llu\n", r.stored.size(),
                static_cast<unsigned long long>(bytes));
  } catch (const mailproto::error& e) {
    std::fprintf(stderr, "bench_pop3_retrieve: %s\n", e.what());
    return 1;
  }
  return 0;
}
