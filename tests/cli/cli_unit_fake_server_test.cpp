// The `mailproto` tool against small scripted servers on 127.0.0.1 (no sandbox needed):
// the "STARTTLS not offered" hint, and a hostile server's text made one safe line.
#include "cli_runner.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace {

// A one-connection server: sends each `script` entry in order; an entry starting with '<'
// means "read one line from the client first" (the rest is sent after it).
class scripted_server {
 public:
  explicit scripted_server(std::vector<std::string> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~scripted_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string port() const { return std::to_string(port_); }
  /// What the client sent (lines), after the run.
  const std::string& received() const { return received_; }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{5, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (const auto& step : script_) {
      std::string out = step;
      if (!out.empty() && out[0] == '<') {
        out.erase(0, 1);
        std::string line;
        char ch;
        while (::recv(c, &ch, 1, 0) == 1) {
          line += ch;
          if (ch == '\n') break;
        }
        received_ += line;
        if (line.empty()) break;
      }
      if (!out.empty()) ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    }
    // Drain until the client closes (QUIT and the like).
    char buf[512];
    for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;) received_.append(buf, n);
    ::close(c);
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::vector<std::string> script_;
  std::string received_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("cli hint: an SMTP server without STARTTLS: --tls implicit and the port to use",
          "[cli][errors][hint]") {
  scripted_server srv(
      {"220 fake.test ESMTP\r\n", "<250-fake.test\r\n250 AUTH PLAIN\r\n", "<221 bye\r\n"});
  auto env = cli_test::clean_env();
  env["MAILPROTO_PASSWORD"] = "secret-pw";
  const auto r = cli_test::run({"send", "--server", "127.0.0.1", "--port", srv.port(), "--user",
                                "alice", "--from", "a@example.test", "--to", "b@example.test",
                                "--subject", "s", "--text", "-", "--timeout", "5"},
                               env);
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(cli_test::lines(r.err) == 1);
  CHECK(r.err.find("STARTTLS") != std::string::npos);
  CHECK(r.err.find("--tls implicit") != std::string::npos);
  CHECK(r.err.find("submissions 465") != std::string::npos);
  // Nothing secret went out in clear.
  CHECK(srv.received().find("AUTH") == std::string::npos);
  CHECK(srv.received().find("secret-pw") == std::string::npos);
}

TEST_CASE("cli hint: a POP3 server without STLS", "[cli][errors][hint]") {
  scripted_server srv({"+OK fake POP3\r\n", "<+OK\r\nUSER\r\nUIDL\r\n.\r\n"});
  auto env = cli_test::clean_env();
  env["MAILPROTO_PASSWORD"] = "secret-pw";
  const auto r = cli_test::run(
      {"pop3", "stat", "--server", "127.0.0.1", "--port", srv.port(), "--user", "bob"}, env);
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(cli_test::lines(r.err) == 1);
  CHECK(r.err.find("--tls implicit") != std::string::npos);
  CHECK(r.err.find("pop3s 995") != std::string::npos);
  CHECK(srv.received().find("secret-pw") == std::string::npos);
}

TEST_CASE("cli errors: a hostile multi-line reply becomes one line, control bytes escaped",
          "[cli][errors]") {
  // RFC 5321 §3.1: 554 instead of 220 refuses the session; its text is the server's.
  scripted_server srv({"554-no service\r\n554 go \x1b[31maway\x07\r\n"});
  const auto r = cli_test::run({"send", "--server", "127.0.0.1", "--port", srv.port(), "--from",
                                "a@example.test", "--to", "b@example.test", "--subject", "s",
                                "--text", "-", "--timeout", "5"});
  INFO(r.err);
  CHECK(r.status == 1);
  CHECK(cli_test::lines(r.err) == 1);
  CHECK(r.err.find("no service") != std::string::npos);
  CHECK(r.err.find("\\x1b[31maway\\x07") != std::string::npos);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x07') == std::string::npos);
}
