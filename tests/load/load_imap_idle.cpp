// load_imap_idle — many IMAP connections IDLE at once on one thread (issue #9, "Load").
//
//   load_imap_idle [--connections N] [--window W] [--timeout SECONDS] [--plain]
//
// One thread, one asio::io_context: N (default 1000) clients connect to the sandbox's
// IMAPS port (implicit TLS, certificate verified against MAILPROTO_CAFILE), LOGIN as the
// load users load0001..loadN (one mailbox each), SELECT INBOX and IDLE (RFC 2177). When
// every connection is idling (the server's "+ idling" continuation was seen), the memory
// of the process is read, then one message is delivered into each user's Maildir (written
// to tmp/ and renamed into new/, the Maildir delivery protocol) and every connection must
// report an EXISTS larger than the count SELECT gave (RFC 9051 §7.4.1), then DONE and
// LOGOUT. --plain does the same over the plain IMAP port without TLS (a measurement aid:
// the difference is what TLS costs per connection). At most W (default 100) connections are in the
// connect/login/select phase at once, so the server's login processes are not flooded with
// handshakes.
//
// Needs a sandbox started in load mode:
//   MAILPROTO_SANDBOX_LOAD_USERS=1000 scripts/sandbox start && eval "$(scripts/sandbox env)"
// Without MAILPROTO_LOAD_USERS >= N it exits 77 (ctest: skipped). It must run as root or
// as vmail (it writes into the users' Maildirs).
//
// Prints machine-readable lines (bench/ format, design.md §7):
//   RESULT load-imap-idle-memory mailproto <KiB> KiB/conn   RSS growth / N, all idling
//   RESULT load-imap-idle-cpu mailproto <ms> ms/conn        CPU (user+sys) to connect,
//                                                             handshake, log in, select, idle
//   RESULT load-imap-idle-notify mailproto <s> s            delivery -> last EXISTS seen
// Exit status: 0 every connection saw its EXISTS, 1 otherwise, 77 no load sandbox.
#include <mailproto/imap/client.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <fcntl.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mailproto;
using clock_type = std::chrono::steady_clock;

constexpr int exit_skip = 77;

std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

/// VmRSS of this process in KiB (from /proc/self/status).
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

/// User + system CPU time of this process, in milliseconds.
double cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct config {
  int connections = 1000;
  int window = 100;
  int timeout_s = 600;
  std::string host, cafile, password, prefix, mail_root;
  std::uint16_t port = 0, plain_port = 0;
  bool plain = false;
};

/// One load connection and what happened to it.
struct session {
  int index = 0;
  std::string user;
  std::unique_ptr<imap::client> client;
  std::uint32_t exists_at_select = 0;
  bool idling = false;      // "+ idling" seen
  bool saw_exists = false;  // EXISTS above exists_at_select while idling
  bool finished = false;    // LOGOUT done (or failed)
  std::string error;        // first failure: "<step>: <message>"
};

class load_run {
 public:
  load_run(asio::io_context& io, config cfg) : io_(io), cfg_(std::move(cfg)), deadline_(io) {}

  int run() {
    // Warm up: one connection through the whole cycle, so that the baseline below already
    // holds what every process pays once (OpenSSL's tables, Asio's reactor, allocator arenas).
    if (!warm_up()) return 1;
    const long rss0 = rss_kib();
    const double cpu0 = cpu_ms();
    const auto t0 = clock_type::now();

    deadline_.expires_after(std::chrono::seconds(cfg_.timeout_s));
    deadline_.async_wait([this](std::error_code ec) {
      if (ec) return;
      std::fprintf(stderr, "load_imap_idle: hard timeout of %d s reached\n", cfg_.timeout_s);
      timed_out_ = true;
      io_.stop();
    });

    sessions_.resize(cfg_.connections);
    for (int i = 0; i < cfg_.connections; ++i) {
      auto& s = sessions_[i];
      s.index = i;
      char name[32];
      std::snprintf(name, sizeof name, "%s%04d", cfg_.prefix.c_str(), i + 1);
      s.user = name;
    }
    for (int i = 0; i < cfg_.window && next_ < cfg_.connections; ++i) start_next();

    // Phase 1: until every connection idles (or failed).
    poll_until([this] { return idling_ + failed_ >= cfg_.connections; });
    if (timed_out_) return report_failure("not every connection reached IDLE");
    const double setup_s = seconds_since(t0);
    const double cpu_setup = cpu_ms() - cpu0;
    const long rss1 = rss_kib();
    std::fprintf(stderr,
                 "load_imap_idle: %d/%d connections idling after %.2f s (%d failed); RSS %ld -> "
                 "%ld KiB\n",
                 idling_, cfg_.connections, setup_s, failed_, rss0, rss1);

    // Phase 2: a message into every mailbox; every connection must see it.
    const auto t_deliver = clock_type::now();
    const double cpu_deliver0 = cpu_ms();
    int delivered = 0;
    for (auto& s : sessions_) {
      if (!s.idling || s.finished) continue;
      if (deliver(s))
        ++delivered;
      else if (s.error.empty())
        s.error = "deliver: cannot write into " + maildir(s);
    }
    std::fprintf(stderr, "load_imap_idle: delivered %d messages in %.3f s\n", delivered,
                 seconds_since(t_deliver));
    poll_until([this] { return finished_ >= cfg_.connections; });
    const double notify_s = seconds_since(t_deliver);
    const double cpu_wait = cpu_ms() - cpu_deliver0;
    deadline_.cancel();
    io_.run();  // let the cancelled timer's handler run

    int saw = 0;
    for (auto& s : sessions_) saw += s.saw_exists ? 1 : 0;
    std::printf("RESULT load-imap-idle-memory mailproto %.1f KiB/conn\n",
                static_cast<double>(rss1 - rss0) / cfg_.connections);
    std::printf("RESULT load-imap-idle-cpu mailproto %.2f ms/conn\n", cpu_setup / cfg_.connections);
    std::printf("RESULT load-imap-idle-notify mailproto %.2f s\n", notify_s);
    std::fprintf(stderr,
                 "load_imap_idle: %d connections, setup %.2f s wall / %.0f ms CPU, RSS +%ld KiB "
                 "while idling; %d/%d saw EXISTS within %.2f s (CPU %.0f ms for notify+DONE+"
                 "LOGOUT)\n",
                 cfg_.connections, setup_s, cpu_setup, rss1 - rss0, saw, cfg_.connections, notify_s,
                 cpu_wait);
    if (saw != cfg_.connections || timed_out_) return report_failure("EXISTS missing");
    return 0;
  }

 private:
  template <class Pred>
  void poll_until(Pred done) {
    io_.restart();
    while (!done() && !timed_out_) {
      if (io_.run_one() == 0) break;  // nothing left to wait for
    }
  }

  imap::client_options options(session* s) {
    imap::client_options o;
    o.net.host = cfg_.host;
    o.net.port = cfg_.port;
    o.net.tls = net::tls_mode::implicit;
    if (cfg_.plain) {  // --plain: no TLS at all, to tell TLS's share of the memory
      o.net.port = cfg_.plain_port;
      o.net.tls = net::tls_mode::none;
      o.allow_plaintext_auth = true;
    }
    o.net.tls_opts.cafile = cfg_.cafile;
    o.net.tls_opts.use_sslkeylogfile_env = false;
    o.net.connect_timeout = std::chrono::seconds(60);
    o.net.io_timeout = std::chrono::seconds(60);
    if (!s && std::getenv("MAILPROTO_LOAD_TRACE")) o.net.trace = net::trace_to(std::cerr);
    if (s) {
      // The trace is the only place the "+ idling" continuation shows (the IDLE operation
      // reports untagged responses only): watch for it, keep nothing.
      o.net.trace = [this, s](std::string_view line) {
        if (!s->idling && line.rfind("S: + ", 0) == 0 && s->client &&
            s->client->state() == imap::session_state::selected) {
          s->idling = true;
          ++idling_;
        }
      };
    }
    return o;
  }

  bool warm_up() {
    imap::client c(io_.get_executor());
    std::error_code result = make_error_code(std::errc::timed_out);
    bool done = false;
    c.async_connect(options(nullptr), [&](std::error_code ec) {
      if (ec) {
        result = ec;
        done = true;
        return;
      }
      c.async_login(cfg_.prefix + "0001", cfg_.password, [&](std::error_code ec) {
        if (ec) {
          result = ec;
          done = true;
          return;
        }
        c.async_logout([&](std::error_code ec) {
          result = ec;
          done = true;
        });
      });
    });
    io_.restart();
    const auto until = clock_type::now() + std::chrono::seconds(30);
    while (!done && clock_type::now() < until) io_.run_one_for(std::chrono::milliseconds(100));
    if (!done || result) {
      std::fprintf(stderr, "load_imap_idle: warm-up connection failed: %s\n",
                   result.message().c_str());
      return false;
    }
    return true;
  }

  void start_next() {
    if (next_ >= cfg_.connections) return;
    session& s = sessions_[next_++];
    s.client = std::make_unique<imap::client>(io_.get_executor());
    s.client->async_connect(options(&s), [this, &s](std::error_code ec) {
      if (ec) return fail(s, "connect", ec);
      s.client->async_login(s.user, cfg_.password, [this, &s](std::error_code ec) {
        if (ec) return fail(s, "login", ec);
        s.client->async_select("INBOX", [this, &s](std::error_code ec, imap::mailbox_state m) {
          if (ec) return fail(s, "select", ec);
          s.exists_at_select = m.exists;
          start_next();  // this one leaves the connect window
          idle(s);
        });
      });
    });
  }

  void idle(session& s) {
    imap::idle_options o;
    o.interval = std::chrono::seconds(cfg_.timeout_s);
    o.on_event = [&s](const imap::event& e) {
      if (e.type == imap::event::kind::exists && e.number > s.exists_at_select) {
        s.saw_exists = true;
        return false;  // DONE
      }
      return true;
    };
    s.client->async_idle(std::move(o), [this, &s](std::error_code ec) {
      if (ec) return fail(s, "idle", ec);
      if (!s.saw_exists) return fail(s, "idle", make_error_code(std::errc::timed_out));
      s.client->async_logout([this, &s](std::error_code ec) {
        if (ec) return fail(s, "logout", ec);
        finish(s);
      });
    });
  }

  void fail(session& s, const char* step, std::error_code ec) {
    if (s.error.empty()) s.error = std::string(step) + ": " + ec.message();
    if (!s.idling) {
      ++failed_;
      start_next();
    }
    finish(s);
  }

  void finish(session& s) {
    if (s.finished) return;
    s.finished = true;
    ++finished_;
  }

  std::string maildir(const session& s) const { return cfg_.mail_root + "/" + s.user + "/Maildir"; }

  /// Maildir delivery: write tmp/<unique>, then rename into new/ (atomic for the reader).
  bool deliver(const session& s) {
    const std::string dir = maildir(s);
    char unique[96];
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    std::snprintf(
        unique, sizeof unique, "%lld.M%dP%dQ%d.mailproto-load",
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(now).count()),
        s.index, static_cast<int>(getpid()), ++delivery_serial_);
    const std::string tmp = dir + "/tmp/" + unique, dst = dir + "/new/" + unique;
    std::string body = "From: load@example.test\r\nTo: " + s.user +
                       "@example.test\r\nSubject: load test " + unique + "\r\nMessage-ID: <" +
                       unique + "@example.test>\r\n\r\nhello " + s.user + "\r\n";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
    if (vmail_uid_ >= 0 && ::fchown(fd, vmail_uid_, vmail_gid_) != 0) ok = false;
    ok = (::close(fd) == 0) && ok;
    if (ok) ok = ::rename(tmp.c_str(), dst.c_str()) == 0;
    if (!ok) ::unlink(tmp.c_str());
    return ok;
  }

  int report_failure(const char* what) {
    std::map<std::string, int> errors;
    int not_idle = 0, no_exists = 0;
    for (auto& s : sessions_) {
      if (!s.error.empty()) ++errors[s.error];
      if (!s.idling) ++not_idle;
      if (!s.saw_exists) ++no_exists;
    }
    std::fprintf(stderr, "load_imap_idle: FAILED: %s (%d not idling, %d without EXISTS)\n", what,
                 not_idle, no_exists);
    for (auto& [e, n] : errors) std::fprintf(stderr, "  %5d x %s\n", n, e.c_str());
    return 1;
  }

 public:
  int vmail_uid_ = -1, vmail_gid_ = -1;

 private:
  asio::io_context& io_;
  config cfg_;
  asio::steady_timer deadline_;
  std::vector<session> sessions_;
  int next_ = 0, idling_ = 0, failed_ = 0, finished_ = 0, delivery_serial_ = 0;
  bool timed_out_ = false;
};

bool parse_int(const char* s, int lo, int hi, int& out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (!s[0] || *end || v < lo || v > hi) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--plain") {
      cfg.plain = true;
      continue;
    }
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    bool ok = false;
    if (a == "--connections")
      ok = parse_int(v, 1, 5000, cfg.connections);
    else if (a == "--window")
      ok = parse_int(v, 1, 5000, cfg.window);
    else if (a == "--timeout")
      ok = parse_int(v, 1, 3600, cfg.timeout_s);
    if (!ok) {
      std::fprintf(stderr,
                   "usage: load_imap_idle [--connections 1..5000] [--window 1..5000] "
                   "[--timeout SECONDS] [--plain]\n");
      return 2;
    }
    ++i;
  }

  cfg.host = env_or("MAILPROTO_HOST", "127.0.0.1");
  cfg.cafile = env_or("MAILPROTO_CAFILE");
  cfg.password = env_or("MAILPROTO_LOAD_PASSWORD");
  cfg.prefix = env_or("MAILPROTO_LOAD_USER_PREFIX", "load");
  cfg.mail_root = env_or("MAILPROTO_LOAD_MAIL_ROOT");
  const int port = std::atoi(env_or("MAILPROTO_IMAPS_PORT", "0").c_str());
  const int users = std::atoi(env_or("MAILPROTO_LOAD_USERS", "0").c_str());
  if (users < cfg.connections || cfg.cafile.empty() || cfg.mail_root.empty() || port <= 0 ||
      port > 65535) {
    std::fprintf(stderr,
                 "load_imap_idle: SKIPPED: needs a sandbox with at least %d load users "
                 "(MAILPROTO_SANDBOX_LOAD_USERS=%d scripts/sandbox start; eval \"$(scripts/"
                 "sandbox env)\"); MAILPROTO_LOAD_USERS=%d\n",
                 cfg.connections, cfg.connections, users);
    return exit_skip;
  }
  cfg.port = static_cast<std::uint16_t>(port);
  cfg.plain_port =
      static_cast<std::uint16_t>(std::atoi(env_or("MAILPROTO_IMAP_PORT", "0").c_str()));

  // Two descriptors would do per connection; ask for the hard limit.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
      rl.rlim_cur < static_cast<rlim_t>(cfg.connections) + 64) {
    std::fprintf(stderr, "load_imap_idle: FAILED: descriptor limit %llu is below %d connections\n",
                 static_cast<unsigned long long>(rl.rlim_cur), cfg.connections);
    return 1;
  }

  asio::io_context io(1);
  load_run run(io, cfg);
  if (geteuid() == 0) {
    if (const passwd* pw = getpwnam("vmail")) {
      run.vmail_uid_ = static_cast<int>(pw->pw_uid);
      run.vmail_gid_ = static_cast<int>(pw->pw_gid);
    }
  }
  return run.run();
}
