// bench_imap_fetch_headers — mailproto side (and the server's reference) of
// bench/jobs/imap-fetch-headers.sh: fetch the headers of every message of one mailbox of the
// sandbox's Dovecot, as ONE pipelined command (UID FETCH 1:* (BODY.PEEK[HEADER])): no
// per-message round trip.
//
//   bench_imap_fetch_headers server MAILBOX      "the server's own time": a minimal raw
//                                                client (socket + OpenSSL, no parsing) that
//                                                sends the command and only looks for the
//                                                tagged OK; everything measured is the
//                                                server producing and sending the bytes
//   bench_imap_fetch_headers mailproto MAILBOX   imap::client::fetch with on_message: every
//                                                response parsed and decoded (UID + the
//                                                header section) one message at a time
//
// Both connect over implicit TLS (IMAPS) to MAILPROTO_HOST:MAILPROTO_IMAPS_PORT, verify the
// certificate with MAILPROTO_CAFILE, LOGIN as MAILPROTO_ALICE_USER, EXAMINE the mailbox,
// and time only the FETCH: from writing the command to reading its tagged completion. They
// print  `TIME <wall ms> <cpu ms> <messages> <bytes>`  (cpu: this process's user+system
// time over the same interval). Loopback only.
#include <mailproto/imap/client.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

namespace {

struct env {
  std::string host, cafile, user, password;
  std::uint16_t port = 0;
};

const char* need(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    std::fprintf(stderr, "bench_imap_fetch_headers: %s is not set (eval scripts/sandbox env)\n",
                 name);
    std::exit(2);
  }
  return v;
}

env read_env() {
  env e;
  e.host = need("MAILPROTO_HOST");
  e.port = static_cast<std::uint16_t>(std::atoi(need("MAILPROTO_IMAPS_PORT")));
  e.cafile = need("MAILPROTO_CAFILE");
  e.user = need("MAILPROTO_ALICE_USER");
  e.password = need("MAILPROTO_ALICE_PASSWORD");
  if (e.host != "127.0.0.1" && e.host != "localhost" && e.host != "::1") {
    std::fprintf(stderr, "bench_imap_fetch_headers: loopback only (MAILPROTO_HOST=%s)\n",
                 e.host.c_str());
    std::exit(2);
  }
  return e;
}

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}
double wall_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bench_imap_fetch_headers: %s\n", what);
  ERR_print_errors_fp(stderr);
  std::exit(1);
}

// ------------------------------------------------------------------ the raw reference
// Blocking socket + OpenSSL, reading until a line starting with `tag` has arrived. It does
// not parse responses at all: it only looks for "\n<tag> " in what it reads.
class raw_client {
 public:
  explicit raw_client(const env& e) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_ || SSL_CTX_load_verify_locations(ctx_, e.cafile.c_str(), nullptr) != 1)
      die("CA file");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(e.port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, e.host.c_str());
    if (SSL_connect(ssl_) != 1) die("TLS handshake");
    buf_.resize(1 << 16);
  }
  ~raw_client() {
    SSL_free(ssl_);
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  void send(std::string_view s) {
    if (SSL_write(ssl_, s.data(), int(s.size())) != int(s.size())) die("write");
  }
  // Reads until a line "<tag> OK ..." arrived; returns the bytes read. Any other
  // completion is an error. Only a window of the last bytes is kept and searched.
  std::size_t until_tagged(std::string_view tag) {
    const std::string needle = "\n" + std::string(tag) + " ";
    std::string win = "\n";
    std::size_t total = 0;
    for (;;) {
      const int n = SSL_read(ssl_, buf_.data(), int(buf_.size()));
      if (n <= 0) die("read");
      total += std::size_t(n);
      win.append(buf_.data(), std::size_t(n));
      if (const auto at = win.find(needle); at != std::string::npos) {
        const std::string_view rest = std::string_view(win).substr(at + needle.size());
        if (rest.size() >= 2 && rest.substr(0, 2) != "OK") die("tagged completion is not OK");
        return total;
      }
      if (win.size() >= needle.size()) win.erase(0, win.size() - (needle.size() - 1));
    }
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string buf_;
};

int run_server(const env& e, const std::string& mailbox) {
  raw_client c(e);
  c.until_tagged("*");  // the greeting is untagged: "* OK ..." starts the stream
  // LOGIN with quoted strings (the sandbox's alice password needs no escaping: checked).
  for (char ch : e.user + e.password + mailbox)
    if (ch == '"' || ch == '\\' || ch == '\r' || ch == '\n') die("credentials need escaping");
  c.send("r1 LOGIN \"" + e.user + "\" \"" + e.password + "\"\r\n");
  c.until_tagged("r1");
  c.send("r2 EXAMINE \"" + mailbox + "\"\r\n");
  c.until_tagged("r2");
  const double w0 = wall_ms(), c0 = cpu_ms();
  c.send("r3 UID FETCH 1:* (BODY.PEEK[HEADER])\r\n");
  const std::size_t bytes = c.until_tagged("r3");
  const double w1 = wall_ms(), c1 = cpu_ms();
  c.send("r4 LOGOUT\r\n");
  std::printf("TIME %.2f %.2f %d %zu\n", w1 - w0, c1 - c0, -1, bytes);
  return 0;
}

// ------------------------------------------------------------------ mailproto
int run_mailproto(const env& e, const std::string& mailbox) {
  using namespace mailproto;
  imap::client c;
  imap::client_options o;
  o.net = {.host = e.host,
           .port = e.port,
           .tls = net::tls_mode::implicit,
           .tls_opts = {.cafile = e.cafile}};
  c.connect(o);
  c.login(e.user, e.password);
  c.examine(mailbox);
  long messages = 0;
  std::size_t bytes = 0;
  imap::fetch_options fo;
  fo.uid = true;
  fo.on_message = [&](imap::fetch_message& m) {
    ++messages;
    if (!m.uid) die("FETCH without UID");
    for (const auto& [name, data] : m.sections)
      if (data) bytes += data->size();
  };
  const double w0 = wall_ms(), c0 = cpu_ms();
  c.fetch(imap::sequence_set::all(), imap::fetch_items{}.uid().body_section("HEADER"),
          std::move(fo));
  const double w1 = wall_ms(), c1 = cpu_ms();
  c.logout();
  std::printf("TIME %.2f %.2f %ld %zu\n", w1 - w0, c1 - c0, messages, bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_imap_fetch_headers server|mailproto MAILBOX\n");
    return 2;
  }
  const env e = read_env();
  const std::string mode = argv[1];
  try {
    if (mode == "server") return run_server(e, argv[2]);
    if (mode == "mailproto") return run_mailproto(e, argv[2]);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_imap_fetch_headers: %s\n", ex.what());
    return 1;
  }
  std::fprintf(stderr, "usage: bench_imap_fetch_headers server|mailproto MAILBOX\n");
  return 2;
}
