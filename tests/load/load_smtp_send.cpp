// load_smtp_send — 10,000 messages over 10 parallel SMTP connections, none lost (issue #9).
//
//   load_smtp_send [--messages N] [--connections C] [--timeout SECONDS] [--keep]
//
// One thread, one asio::io_context: C (default 10) clients connect to the sandbox's
// submission port (STARTTLS required, certificate verified against MAILPROTO_CAFILE), AUTH
// as alice and send N (default 10,000) messages in total to bob, one after another on each
// connection (message i goes over connection i % C). Every message carries a Message-ID
// and Subject naming this run and its number. A message counts as sent only when the server
// answered 250 after the data (RFC 5321 §4.1.1.4) with bob's RCPT accepted.
//
// Then it waits until Postfix and dovecot-lda have put every one of them into bob's Maildir
// (MAILPROTO_BOB_MAILDIR, new/ and cur/): each number 0..N-1 must be there exactly once.
// Nothing lost, nothing duplicated, nothing extra from this run. Afterwards the run's
// messages are deleted from the Maildir again (unless --keep).
//
// Needs a sandbox started in load mode (MAILPROTO_SANDBOX_LOAD_USERS > 0, which turns
// Postfix's in-flow throttling off; see scripts/load), else it exits 77 (ctest: skipped):
// ten thousand messages into bob's mailbox are not for the ordinary integration run. It reads
// bob's Maildir, so it runs as root or vmail.
//
// Prints (bench/ format, design.md §7):
//   RESULT load-smtp-send mailproto <msgs/s> msgs/s          sending, over all connections
//   RESULT load-smtp-send-cpu mailproto <us> us/msg          client CPU (user+sys) per message
//   RESULT load-smtp-deliver sandbox <msgs/s> msgs/s         first send -> last one in the Maildir
// Exit status: 0 all delivered exactly once, 1 otherwise, 77 no load sandbox.
#include <mailproto/io.hpp>
#include <mailproto/smtp/client.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

using namespace mailproto;
using clock_type = std::chrono::steady_clock;

constexpr int exit_skip = 77;

std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

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
  int messages = 10000;
  int connections = 10;
  int timeout_s = 1200;
  std::string host, cafile, user, password, from, to, maildir, run_tag;
  std::uint16_t port = 0;
};

/// One message: its bytes must outlive the send operation.
std::string make_message(const config& cfg, int i) {
  std::string m;
  m.reserve(700);
  m += "From: " + cfg.from + "\r\nTo: " + cfg.to + "\r\n";
  m += "Subject: load " + cfg.run_tag + " " + std::to_string(i) + "\r\n";
  m += "Message-ID: <load." + cfg.run_tag + "." + std::to_string(i) + "@example.test>\r\n";
  m += "X-Mailproto-Load: " + cfg.run_tag + " " + std::to_string(i) + "\r\n";
  m += "\r\n";
  for (int k = 0; k < 8; ++k)
    m += "The quick brown fox jumps over the lazy dog, line " + std::to_string(k) + ".\r\n";
  // A line that starts with a dot, so dot-stuffing (RFC 5321 §4.5.2) is part of the load.
  m += ".a line that needs a dot doubled\r\n";
  return m;
}

class sender {
 public:
  sender(asio::io_context& io, const config& cfg, int index, std::vector<int>& sent_ok,
         std::vector<std::string>& errors, int& active)
      : cfg_(cfg),
        index_(index),
        client_(io.get_executor()),
        sent_ok_(sent_ok),
        errors_(errors),
        active_(active) {}

  void start() {
    ++active_;
    net::connect_options o;
    o.host = cfg_.host;
    o.port = cfg_.port;
    o.tls = net::tls_mode::starttls;
    o.tls_opts.cafile = cfg_.cafile;
    o.tls_opts.use_sslkeylogfile_env = false;
    o.connect_timeout = std::chrono::seconds(30);
    o.io_timeout = std::chrono::seconds(60);
    client_.async_connect(o, [this](std::error_code ec) {
      if (ec) return stop("connect", ec);
      client_.async_login(cfg_.user, cfg_.password, [this](std::error_code ec) {
        if (ec) return stop("auth", ec);
        next_ = index_;
        send_next();
      });
    });
  }

 private:
  void send_next() {
    if (next_ >= cfg_.messages) {
      return client_.async_quit([this](std::error_code) { --active_; });
    }
    const int i = next_;
    next_ += cfg_.connections;
    source_ = std::make_unique<string_source>(make_message(cfg_, i));
    env_.from = cfg_.from;
    env_.recipients = {smtp::recipient(cfg_.to)};
    client_.async_send(*source_, env_, [this, i](std::error_code ec, smtp::send_result r) {
      if (ec) return stop(("send " + std::to_string(i)).c_str(), ec);
      if (!r.delivered || r.accepted() != 1) {
        return stop(("send " + std::to_string(i)).c_str(),
                    make_error_code(std::errc::protocol_error));
      }
      sent_ok_[i] = 1;
      send_next();
    });
  }

  void stop(const char* step, std::error_code ec) {
    errors_.push_back("connection " + std::to_string(index_) + ": " + step + ": " + ec.message() +
                      " (" + client_.last_reply().text() + ")");
    --active_;
  }

  const config& cfg_;
  int index_, next_ = 0;
  smtp::client client_;
  std::unique_ptr<string_source> source_;
  smtp::envelope env_;
  std::vector<int>& sent_ok_;
  std::vector<std::string>& errors_;
  int& active_;
};

/// The X-Mailproto-Load number of a message file of this run, or -1.
int load_number(const std::string& path, const std::string& tag) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  const std::string key = "X-Mailproto-Load: " + tag + " ";
  while (std::getline(in, line)) {
    if (line == "\r" || line.empty()) break;  // end of the header section
    if (line.rfind(key, 0) == 0) {
      char* end = nullptr;
      const long v = std::strtol(line.c_str() + key.size(), &end, 10);
      if (end != line.c_str() + key.size() && (*end == '\r' || *end == '\0')) {
        return static_cast<int>(v);
      }
      return -1;
    }
  }
  return -1;
}

/// Bob's Maildir, scanned incrementally: every file is read once (a file keeps its base name,
/// the part before ':', when Dovecot moves it from new/ to cur/).
class maildir_tally {
 public:
  maildir_tally(std::string dir, std::string tag, int n)
      : dir_(std::move(dir)), tag_(std::move(tag)), count_(n, 0) {}

  void scan() {
    for (const char* sub : {"/new", "/cur"}) {
      const std::string d = dir_ + sub;
      DIR* h = ::opendir(d.c_str());
      if (!h) continue;
      while (const dirent* e = ::readdir(h)) {
        const std::string name = e->d_name;
        if (name.empty() || name[0] == '.') continue;
        const std::string base = name.substr(0, name.find(':'));
        if (seen_.count(base)) continue;
        const int v = load_number(d + "/" + name, tag_);
        if (v == -1 && !std::ifstream(d + "/" + name)) continue;  // moved meanwhile: next scan
        seen_.insert(base);
        if (v < 0) continue;  // not ours
        ours_.insert(base);
        if (v >= static_cast<int>(count_.size())) {
          ++out_of_range_;
          continue;
        }
        if (count_[v]++ == 0) ++distinct_;
      }
      ::closedir(h);
    }
  }

  int distinct() const { return distinct_; }
  int duplicates() const {
    int d = 0;
    for (int c : count_) d += c > 1 ? c - 1 : 0;
    return d;
  }
  int out_of_range() const { return out_of_range_; }

  /// Delete this run's messages (Maildir allows it: Dovecot notices at its next sync), so a
  /// sandbox shared with other tests does not keep ten thousand extra messages in bob's INBOX.
  int remove_ours() {
    int removed = 0;
    for (const char* sub : {"/new", "/cur"}) {
      const std::string d = dir_ + sub;
      DIR* h = ::opendir(d.c_str());
      if (!h) continue;
      while (const dirent* e = ::readdir(h)) {
        const std::string name = e->d_name;
        if (ours_.count(name.substr(0, name.find(':'))) && ::unlink((d + "/" + name).c_str()) == 0)
          ++removed;
      }
      ::closedir(h);
    }
    return removed;
  }
  std::vector<int> missing() const {
    std::vector<int> m;
    for (std::size_t i = 0; i < count_.size(); ++i)
      if (!count_[i]) m.push_back(static_cast<int>(i));
    return m;
  }

 private:
  std::string dir_, tag_;
  std::vector<int> count_;
  std::unordered_set<std::string> seen_, ours_;
  int distinct_ = 0, out_of_range_ = 0;
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
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--keep") {
      keep = true;
      continue;
    }
    const char* v = i + 1 < argc ? argv[i + 1] : "";
    bool ok = false;
    if (a == "--messages")
      ok = parse_int(v, 1, 1000000, cfg.messages);
    else if (a == "--connections")
      ok = parse_int(v, 1, 100, cfg.connections);
    else if (a == "--timeout")
      ok = parse_int(v, 1, 7200, cfg.timeout_s);
    if (!ok) {
      std::fprintf(stderr,
                   "usage: load_smtp_send [--messages N] [--connections 1..100] "
                   "[--timeout SECONDS] [--keep]\n");
      return 2;
    }
    ++i;
  }
  cfg.host = env_or("MAILPROTO_HOST", "127.0.0.1");
  cfg.cafile = env_or("MAILPROTO_CAFILE");
  cfg.user = env_or("MAILPROTO_ALICE_USER");
  cfg.password = env_or("MAILPROTO_ALICE_PASSWORD");
  cfg.from = env_or("MAILPROTO_ALICE_ADDRESS");
  cfg.to = env_or("MAILPROTO_BOB_ADDRESS");
  cfg.maildir = env_or("MAILPROTO_BOB_MAILDIR");
  const int port = std::atoi(env_or("MAILPROTO_SMTP_PORT", "0").c_str());
  if (std::atoi(env_or("MAILPROTO_LOAD_USERS", "0").c_str()) <= 0 || cfg.cafile.empty() ||
      cfg.user.empty() || cfg.to.empty() || cfg.maildir.empty() || port <= 0 || port > 65535) {
    std::fprintf(stderr,
                 "load_smtp_send: SKIPPED: needs a sandbox started in load mode "
                 "(MAILPROTO_SANDBOX_LOAD_USERS=1000 scripts/sandbox start; eval \"$(scripts/"
                 "sandbox env)\"), or run scripts/load\n");
    return exit_skip;
  }
  cfg.port = static_cast<std::uint16_t>(port);
  cfg.run_tag = std::to_string(static_cast<long long>(::getpid())) + "-" +
                std::to_string(std::chrono::system_clock::now().time_since_epoch().count());

  asio::io_context io(1);
  std::vector<int> sent_ok(cfg.messages, 0);
  std::vector<std::string> errors;
  int active = 0;
  std::vector<std::unique_ptr<sender>> senders;
  for (int c = 0; c < cfg.connections; ++c)
    senders.push_back(std::make_unique<sender>(io, cfg, c, sent_ok, errors, active));

  bool timed_out = false;
  asio::steady_timer deadline(io);
  deadline.expires_after(std::chrono::seconds(cfg.timeout_s));
  deadline.async_wait([&](std::error_code ec) {
    if (ec) return;
    timed_out = true;
    io.stop();
  });

  const auto t0 = clock_type::now();
  const double cpu0 = cpu_ms();
  for (auto& s : senders) s->start();
  while (active > 0 && !timed_out && io.run_one() > 0) {
  }
  const double send_s = seconds_since(t0);
  const double cpu_send = cpu_ms() - cpu0;
  int sent = 0;
  for (int v : sent_ok) sent += v;
  std::fprintf(stderr, "load_smtp_send: %d/%d messages accepted by Postfix in %.2f s%s\n", sent,
               cfg.messages, send_s, timed_out ? " (hard timeout)" : "");
  for (auto& e : errors) std::fprintf(stderr, "  %s\n", e.c_str());
  if (sent == 0) return 1;

  // Delivery: every accepted message must reach bob's Maildir exactly once.
  maildir_tally tally(cfg.maildir, cfg.run_tag, cfg.messages);
  const auto until = t0 + std::chrono::seconds(cfg.timeout_s);
  int last = -1;
  auto last_change = clock_type::now();
  for (;;) {
    tally.scan();
    if (tally.distinct() != last) {
      last = tally.distinct();
      last_change = clock_type::now();
    }
    if (tally.distinct() >= sent || clock_type::now() >= until) break;
    // Give up early when nothing arrived for two minutes (a stuck queue).
    if (clock_type::now() - last_change > std::chrono::minutes(2)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const double deliver_s = seconds_since(t0);
  tally.scan();  // a late duplicate would show here

  std::printf("RESULT load-smtp-send mailproto %.1f msgs/s\n", sent / send_s);
  std::printf("RESULT load-smtp-send-cpu mailproto %.1f us/msg\n", cpu_send * 1e3 / sent);
  std::printf("RESULT load-smtp-deliver sandbox %.1f msgs/s\n", tally.distinct() / deliver_s);
  std::fprintf(stderr,
               "load_smtp_send: %d connections, %d sent in %.2f s (%.0f ms CPU), %d in bob's "
               "Maildir after %.2f s, %d duplicates, %d out of range\n",
               cfg.connections, sent, send_s, cpu_send, tally.distinct(), deliver_s,
               tally.duplicates(), tally.out_of_range());

  bool ok = sent == cfg.messages && errors.empty() && !timed_out;
  const auto missing = tally.missing();
  if (!missing.empty()) {
    std::ostringstream os;
    for (std::size_t k = 0; k < missing.size() && k < 20; ++k) os << ' ' << missing[k];
    std::fprintf(stderr, "load_smtp_send: %zu messages missing from the Maildir:%s%s\n",
                 missing.size(), os.str().c_str(), missing.size() > 20 ? " ..." : "");
    ok = false;
  }
  // A message the server never accepted must not show up either ("never reported as
  // failed" would be wrong then); one it accepted must.
  for (int i = 0; i < cfg.messages; ++i) {
    if (!sent_ok[i] && !std::binary_search(missing.begin(), missing.end(), i)) {
      std::fprintf(stderr, "load_smtp_send: message %d was delivered but reported as failed\n", i);
      ok = false;
    }
  }
  if (tally.duplicates() || tally.out_of_range()) ok = false;
  if (!keep) {
    std::fprintf(stderr, "load_smtp_send: removed this run's %d messages from bob's Maildir\n",
                 tally.remove_ours());
  }
  std::fprintf(stderr, "load_smtp_send: %s\n", ok ? "PASSED" : "FAILED");
  return ok ? 0 : 1;
}
