// TCP + OpenSSL transport: resolve, connect, optional TLS with verification on by default.
//
// Verification: the peer chain is checked against the caller's CA file or the system store,
// and the host name (or IP address) against the certificate with OpenSSL's own checks
// (SSL_set1_host / X509_VERIFY_PARAM_set1_ip_asc), so a failure comes back with OpenSSL's
// reason, which we turn into certificate_verify_failed or certificate_name_mismatch.
// SNI is sent for host names (RFC 6066 §3 forbids it for IP literals). TLS 1.2 minimum.
//
// TLS runs OpenSSL directly on the connected socket (a BIO of ours on the descriptor, whose
// recv/send are non-blocking per call, MSG_DONTWAIT, except in the synchronous API's blocking
// read): every SSL_* call is tried at once, and when OpenSSL says WANT_READ or WANT_WRITE the
// transport waits with socket.async_wait and calls it again. There is no second copy of the
// record layer (asio::ssl::stream kept two 17 KiB engine buffers and a BIO pair with two
// more, for the connection's whole life). What stays per connection:
//   - the SSL object, created only when TLS starts (a STARTTLS connection that never
//     upgrades has none);
//   - record buffers only while data is in flight: when a read has to wait for the socket
//     after a small exchange (a reply, "+ idling"), SSL_free_buffers releases the read and
//     write buffers (it refuses while they hold data), so an idle connection (IMAP IDLE)
//     holds none. During a bulk transfer they are kept across waits: releasing a 64 KiB
//     buffer at every drained socket (SSL_MODE_RELEASE_BUFFERS) made malloc give the memory
//     back to the kernel and fault it in again, hundreds of times per 100 MB;
//   - read-ahead into a read buffer of tls_read_buffer bytes: during a bulk transfer one
//     recv(2) brings several records instead of one header and one record body.
// OpenSSL's rule for a write that stopped with WANT_WRITE (call it again with the same
// data) holds because the retry is always the rest of the same caller buffer:
// SSL_MODE_ENABLE_PARTIAL_WRITE makes SSL_write_ex return after each record, and
// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets the rest start at another address (try_write's
// leftover handed to async_write).
#include "net/tcp_transport.hpp"

#include <mailproto/net/errc.hpp>

#include <asio/connect.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace mailproto::net {
namespace {

// Read-ahead buffer: four full records and their overhead. It exists only while records are
// being read (see release_if_quiet).
constexpr std::size_t tls_read_buffer = 4 * (16 * 1024 + 512);
// More plaintext than this between two waits for the socket is a bulk transfer.
constexpr std::size_t bulk_bytes = 32 * 1024;
// expect_bytes: a read that has to wait asks the kernel to wake it only once a batch of the
// announced bytes is queued (SO_RCVLOWAT; socket(7)): low_water_batch, or less near the end
// of what was announced — what must still reach the socket (the announcement less
// low_water_margin, which covers what is already off the socket: OpenSSL's read-ahead
// buffer and a record's decrypted rest), in steps of low_water_step so the mark changes
// rarely; below one step it is not worth a wait. If the batch has not come within
// low_water_fallback (a peer that sent less than it announced, or a slow one), the
// low-water mark goes back to 1 byte, which wakes the reader at once (the kernel re-checks
// readiness when SO_RCVLOWAT changes).
constexpr std::size_t low_water_batch = 128 * 1024;
constexpr std::size_t low_water_step = 32 * 1024;
constexpr std::size_t low_water_margin = 2 * tls_read_buffer;
constexpr std::chrono::milliseconds low_water_fallback{10};
// The low-water mark for `announced` bytes: 1 when a batch is not worth the wait.
constexpr int low_water_for(std::size_t announced) {
  if (announced < low_water_margin + low_water_step) return 1;
  const std::size_t coming = announced - low_water_margin;
  return static_cast<int>(std::min(low_water_batch, coming - coming % low_water_step));
}

std::mutex keylog_mutex;

int keylog_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void keylog_callback(const SSL* ssl, const char* line) {
  auto* path =
      static_cast<const std::string*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index()));
  if (!path || path->empty()) return;
  std::lock_guard<std::mutex> lock(keylog_mutex);
  if (std::FILE* f = std::fopen(path->c_str(), "a")) {
    std::fprintf(f, "%s\n", line);
    std::fclose(f);
  }
}

struct ssl_ctx_free {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
  void operator()(SSL* s) const { SSL_free(s); }
};

// OpenSSL's first queued error as an error_code in Asio's SSL category (what
// asio::ssl::stream reported), and the queue cleared.
std::error_code last_ssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  return {static_cast<int>(e), asio::error::get_ssl_category()};
}

// One SSL_CTX per TLS configuration, shared by the connections that use it at the same time.
// A context holds the parsed trust store (the CA file, or the system store: hundreds of
// certificates), which is large and slow to load; a client holding many connections
// (tests/load: 1000 IDLE sessions) would otherwise keep one copy per connection. Keyed by
// verification, CA file (with its size and modification time, so a replaced file is loaded
// again) and key-log path; the cache holds weak references, so a context lives only while a
// connection uses it, and a context whose CA file failed to load is never shared.
struct shared_context {
  std::unique_ptr<SSL_CTX, ssl_ctx_free> ctx{SSL_CTX_new(TLS_client_method())};
  std::string keylog_path;  // SSL_CTX ex_data points here
  std::error_code ca_error;
};

std::shared_ptr<shared_context> context_for(const connect_options& o) {
  std::string keylog = o.tls_opts.keylog_file;
  if (keylog.empty() && o.tls_opts.use_sslkeylogfile_env) {
    if (const char* env = std::getenv("SSLKEYLOGFILE")) keylog = env;
  }
  const bool verify = o.tls_opts.verify == tls_verify::peer;
  std::string key =
      std::string(verify ? "peer" : "none") + '\0' + o.tls_opts.cafile + '\0' + keylog;
  struct stat st {};
  if (verify && !o.tls_opts.cafile.empty() && ::stat(o.tls_opts.cafile.c_str(), &st) == 0) {
    key += '\0' + std::to_string(st.st_size) + '/' + std::to_string(st.st_mtim.tv_sec) + '.' +
           std::to_string(st.st_mtim.tv_nsec);
  }
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<shared_context>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = cache.begin(); it != cache.end();) {
    if (it->first == key) {
      if (auto c = it->second.lock()) return c;
    }
    it = it->second.expired() ? cache.erase(it) : std::next(it);
  }
  auto c = std::make_shared<shared_context>();
  SSL_CTX* ctx = c->ctx.get();
  if (!ctx) {
    c->ca_error = last_ssl_error();
    return c;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  c->keylog_path = keylog;
  if (!c->keylog_path.empty()) {
    SSL_CTX_set_ex_data(ctx, keylog_index(), &c->keylog_path);
    SSL_CTX_set_keylog_callback(ctx, keylog_callback);
  }
  if (verify) {
    ERR_clear_error();
    const int ok = o.tls_opts.cafile.empty()
                       ? SSL_CTX_set_default_verify_paths(ctx)
                       : SSL_CTX_load_verify_locations(ctx, o.tls_opts.cafile.c_str(), nullptr);
    if (ok != 1) c->ca_error = last_ssl_error();
  }
  if (!c->ca_error) cache[key] = c;
  return c;
}

// What the socket BIO works on: the descriptor (not owned: the asio socket closes it) and
// the flags of its next recv (MSG_DONTWAIT, except in the one read that read_blocking lets
// block).
struct bio_target {
  int fd = -1;
  int recv_flags = MSG_DONTWAIT;
};

// A socket BIO of our own: recv(2) and send(2) on the descriptor, with MSG_NOSIGNAL so a
// peer that has gone away gives EPIPE instead of killing the process with SIGPIPE (OpenSSL's
// BIO_s_socket writes with write(2)). Non-blocking per call (MSG_DONTWAIT), whatever the
// descriptor's mode (the synchronous API may leave it blocking, see read_blocking), except
// a read that bio_target::recv_flags lets block: EAGAIN (or SO_RCVTIMEO passing) becomes a
// retry, which SSL_* reports as WANT_READ / WANT_WRITE; errno is left for the error mapping.
int socket_bio_read(BIO* b, char* data, std::size_t len, std::size_t* got) {
  BIO_clear_retry_flags(b);
  const auto* t = static_cast<const bio_target*>(BIO_get_data(b));
  ssize_t n;
  do {
    n = ::recv(t->fd, data, len, t->recv_flags);
  } while (n < 0 && errno == EINTR && t->recv_flags == MSG_DONTWAIT);
  if (n > 0) {
    *got = static_cast<std::size_t>(n);
    return 1;
  }
  *got = 0;
  // EINTR in a blocking read: a retry too (the caller re-checks its deadline).
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return 0;
}

int socket_bio_write(BIO* b, const char* data, std::size_t len, std::size_t* put) {
  BIO_clear_retry_flags(b);
  const int fd = static_cast<const bio_target*>(BIO_get_data(b))->fd;
  ssize_t n;
  do {
    n = ::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    *put = static_cast<std::size_t>(n);
    return 1;
  }
  *put = 0;
  if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
  return 0;
}

long socket_bio_ctrl(BIO* b, int cmd, long, void* ptr) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing buffered here
    case BIO_C_GET_FD: {
      const int fd = static_cast<const bio_target*>(BIO_get_data(b))->fd;
      if (ptr) *static_cast<int*>(ptr) = fd;
      return fd;
    }
    default:
      return 0;
  }
}

int socket_bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const m = [] {
    BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                  "mailproto socket");
    if (bm) {
      BIO_meth_set_read_ex(bm, socket_bio_read);
      BIO_meth_set_write_ex(bm, socket_bio_write);
      BIO_meth_set_ctrl(bm, socket_bio_ctrl);
      BIO_meth_set_create(bm, socket_bio_create);
    }
    return bm;
  }();
  return m;
}

// A BIO on `t` (which must outlive it).
BIO* socket_bio(bio_target& t) {
  const BIO_METHOD* m = socket_bio_method();
  BIO* b = m ? BIO_new(m) : nullptr;
  if (b) BIO_set_data(b, &t);
  return b;
}

std::string x509_name(X509_NAME* n) {
  if (!n) return {};
  char buf[512];
  X509_NAME_oneline(n, buf, sizeof buf);
  return buf;
}

class tcp_transport final : public transport {
 public:
  tcp_transport(asio::any_io_executor ex, const connect_options& o,
                detail::unique_function<void(std::string_view)> note)
      : ex_(ex), opts_(o), note_(std::move(note)), resolver_(ex), sock_(ex) {}

  asio::any_io_executor get_executor() override { return ex_; }

  void async_connect(handler h) override {
    resolver_.async_resolve(
        opts_.host, std::to_string(opts_.port),
        [this, h = std::move(h)](std::error_code ec,
                                 asio::ip::tcp::resolver::results_type r) mutable {
          if (ec)
            return h(
                ec == asio::error::operation_aborted ? ec : make_error_code(errc::resolve_failed),
                0);
          asio::async_connect(sock_, r,
                              [this, h = std::move(h)](std::error_code ec,
                                                       const asio::ip::tcp::endpoint& ep) mutable {
                                if (ec) return h(ec, 0);
                                note_("connected to " + ep.address().to_string() + " port " +
                                      std::to_string(ep.port()));
                                if (opts_.tls != tls_mode::implicit) return h({}, 0);
                                async_tls_handshake(std::move(h));
                              });
        });
  }

  // ------------------------------------------------------------------ reads

  void async_read_some(asio::mutable_buffer buf, handler h) override {
    if (!ssl_) {
      set_low_water();
      return sock_.async_read_some(buf, std::move(h));
    }
    read_buf_ = buf;
    reading_ = true;
    // The last SSL_read_ex stopped for want of bytes from the socket: wait for them rather
    // than spend a recv(2) that would fail again. Likewise when a low-water batch was
    // announced and OpenSSL holds nothing: a read now would take the few bytes there.
    if (read_blocked_ || (wait_before_read() && !SSL_has_pending(ssl_.get())))
      return wait_read(std::move(h));
    run_read(std::move(h), false);
  }

  // A non-blocking read, completed inline: used by the driver for bulk transfers, where the
  // next bytes are usually in the kernel (or in OpenSSL's read-ahead buffer) already. When
  // OpenSSL needs more than the socket has, it stops with WANT_READ having consumed nothing
  // of what it holds; a TLS 1.3 post-handshake message (a session ticket, a KeyUpdate) is
  // processed on the way. A read that would have to write (a KeyUpdate answer that does not
  // fit in the socket) returns 0, and async_read_some finishes it.
  std::size_t try_read(asio::mutable_buffer buf, std::error_code& ec) override {
    ec = {};
    if (!sock_.is_open() || reading_) return 0;
    if (!ssl_) {
      ssize_t n;
      do {
        n = ::recv(sock_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      return plain_result(n, ec);
    }
    int want = 0;
    return tls_read(buf, ec, want);
  }

  // The synchronous API's read (transport.hpp): with nothing announced, the descriptor is
  // made blocking (Asio's own operations make it non-blocking again when they run; every
  // other read and write here passes MSG_DONTWAIT) and one recv(2) with SO_RCVTIMEO both
  // waits and reads: one system call per reply instead of a poll and a recv.
  // Over TLS the same: what OpenSSL already holds is read without blocking; else the first
  // SSL_read_ex of tls_read may block in the BIO's recv (until a whole record is in, or
  // SO_RCVTIMEO passes: WANT_READ, no bytes, the driver re-checks its deadline); the rest of
  // that read is non-blocking again. A read that has to write first (SSL_want_write) takes
  // the poll path.
  std::ptrdiff_t read_blocking(asio::mutable_buffer buf, std::chrono::milliseconds timeout,
                               std::error_code& ec) override {
    ec = {};
    if (!sock_.is_open() || reading_ || writing_ || wait_before_read()) return -1;
    if (ssl_) {
      if (SSL_has_pending(ssl_.get()) || read_error_) {
        int want = 0;
        const std::size_t n = tls_read(buf, ec, want);
        if (n > 0 || ec) return static_cast<std::ptrdiff_t>(n);
      }
      if (SSL_want_write(ssl_.get())) return -1;
      release_buffers_if_quiet();
    }
    apply_low_water();  // a mark left from a bulk read would hold a blocking recv back
    if (low_water_ > 1) return -1;
    if (sock_.non_blocking() || sock_.native_non_blocking()) {
      std::error_code bec;
      sock_.non_blocking(false, bec);  // clears Asio's flags too: its next operation re-sets
      if (bec) return -1;
    }
    if (!set_receive_timeout(timeout)) return -1;
    if (ssl_) {
      int want = 0;
      bio_.recv_flags = 0;
      const std::size_t n = tls_read(buf, ec, want, &bio_.recv_flags);
      bio_.recv_flags = MSG_DONTWAIT;
      if (n > 0 || ec || want == SSL_ERROR_WANT_READ) return static_cast<std::ptrdiff_t>(n);
      return -1;  // OpenSSL has to write before it can read on: the poll path
    }
    const ssize_t n = ::recv(sock_.native_handle(), buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    return static_cast<std::ptrdiff_t>(plain_result(n, ec));
  }

  // The synchronous API's wait (transport.hpp): poll(2) in the caller's thread instead of a
  // trip through the reactor (epoll_wait, the scheduler, a handler) per wait. Same buffer
  // policy and low-water mark as wait_read; the low-water fallback is the poll's own timeout
  // here, not a timer.
  int wait_readable(std::chrono::milliseconds timeout, int wake_fd, std::error_code& ec) override {
    ec = {};
    if (!sock_.is_open() || reading_ || writing_) return -1;
    if (ssl_) {
      if (SSL_has_pending(ssl_.get())) return 1;
      if (SSL_want_write(ssl_.get())) return -1;  // progress needs a write: the async path
      release_buffers_if_quiet();
    }
    apply_low_water();
    using clock = std::chrono::steady_clock;
    using std::chrono::ceil;
    using ms = std::chrono::milliseconds;
    const auto limit = clock::now() + timeout;
    pollfd fds[2] = {{sock_.native_handle(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    for (;;) {
      const auto now = clock::now();
      if (now >= limit) return 0;
      ms left = ceil<ms>(limit - now);
      if (low_water_ > 1) {
        const auto fallback_at = low_water_since_ + low_water_fallback;
        if (now >= fallback_at) {
          set_low_water_option(1);
          continue;
        }
        left = std::min(left, ceil<ms>(fallback_at - now));
      }
      const int r = ::poll(fds, wake_fd >= 0 ? 2 : 1,
                           static_cast<int>(std::min<ms::rep>(left.count(), INT_MAX)));
      if (r < 0) {
        if (errno == EINTR) continue;
        ec = std::error_code(errno, std::system_category());
        return 0;
      }
      if (r == 0) continue;
      if (wake_fd >= 0 && (fds[1].revents & POLLIN)) return 2;
      return 1;  // readable, or an error / hang-up that the read will report
    }
  }

  // ------------------------------------------------------------------ writes

  void async_write(asio::const_buffer buf, handler h) override {
    if (!ssl_) return asio::async_write(sock_, buf, std::move(h));
    write_buf_ = buf;
    write_done_ = 0;
    writing_ = true;
    run_write(std::move(h), false);
  }

  // One non-blocking attempt, completed inline, so a command costs one system call and no
  // trip through the reactor. Over TLS: whole records as far as the socket takes them; a
  // record the socket took only in part stays in OpenSSL's write buffer and is finished by
  // the async_write of the rest that the driver issues next (same data, moved buffer).
  std::size_t try_write(asio::const_buffer buf, std::error_code& ec) override {
    ec = {};
    if (!sock_.is_open() || writing_) return 0;
    if (!ssl_) {
      ssize_t n;
      do {
        n = ::send(sock_.native_handle(), buf.data(), buf.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      if (n == 0) return 0;  // nothing taken: async_write goes on
      return plain_result(n, ec);
    }
    std::size_t done = 0;
    int want = 0;
    tls_write(buf, done, ec, want);
    return ec ? 0 : done;
  }

  void expect_bytes(std::size_t n) override { expect_ = n; }
  bool wait_before_read() const override { return low_water_for(expect_) > 1; }

  // ------------------------------------------------------------------ TLS set-up

  void async_tls_handshake(handler h) override {
    if (!shared_) shared_ = context_for(opts_);
    if (opts_.tls_opts.verify == tls_verify::peer && shared_->ca_error) {
      auto ec = shared_->ca_error;
      note_("cannot load trusted CAs from '" + opts_.tls_opts.cafile + "': " + ec.message());
      return post(std::move(h), make_error_code(errc::certificate_verify_failed), 0);
    }
    if (ssl_ || !sock_.is_open()) {
      return post(std::move(h), make_error_code(errc::tls_handshake_failed), 0);
    }
    ERR_clear_error();
    ssl_.reset(SSL_new(shared_->ctx.get()));
    SSL* ssl = ssl_.get();
    bio_.fd = sock_.native_handle();
    BIO* bio = ssl ? socket_bio(bio_) : nullptr;
    if (bio) SSL_set_bio(ssl, bio, bio);  // the SSL object owns it
    if (!ssl || !bio) {
      note_("TLS handshake failed: " + last_ssl_error().message());
      ssl_.reset();
      return post(std::move(h), make_error_code(errc::tls_handshake_failed), 0);
    }
    SSL_set_min_proto_version(ssl, TLS1_2_VERSION);
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_read_ahead(ssl, 1);
    SSL_set_default_read_buffer_len(ssl, tls_read_buffer);
    SSL_set_connect_state(ssl);
    const std::string name =
        opts_.tls_opts.server_name.empty() ? opts_.host : opts_.tls_opts.server_name;
    std::error_code aec;
    (void)asio::ip::make_address(name, aec);
    const bool is_ip = !aec;
    if (!is_ip) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (opts_.tls_opts.verify == tls_verify::peer) {
      SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
      if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
      else
        SSL_set1_host(ssl, name.c_str());
    } else {
      SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
      note_("WARNING: certificate verification is disabled (tls_verify::none)");
    }
    note_("TLS handshake with " + name);
    run_handshake(std::move(h), false);
  }

  void async_tls_shutdown(handler h) override {
    if (!info_.active || !ssl_ || !sock_.is_open()) return post(std::move(h), {}, 0);
    run_shutdown(std::move(h), false);
  }

  void cancel() override {
    resolver_.cancel();
    std::error_code ignored;
    sock_.cancel(ignored);
  }

  void close() override {
    std::error_code ignored;
    sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  bool is_open() const override { return sock_.is_open(); }
  const tls_info& tls() const override { return info_; }

 private:
  using step_fn = void (tcp_transport::*)(std::error_code, handler);

  // A plain recv(2)/send(2) result as the transport reports it: the count; 0 with no error
  // when it would block; 0 and asio::error::eof for a read of EOF; else errno's error.
  static std::size_t plain_result(ssize_t n, std::error_code& ec) {
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      ec = asio::error::eof;
      return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    ec = std::error_code(errno, asio::error::get_system_category());
    return 0;
  }

  // SO_RCVTIMEO for read_blocking. Kept while it is no more than receive_timeout_slack
  // beyond `t` (the step ends at most that late) and at least half of `t` (an earlier expiry
  // costs one spurious return, after which the driver asks again with what is left): a run
  // of steps with the same timeout sets it once.
  bool set_receive_timeout(std::chrono::milliseconds t) {
    using std::chrono::milliseconds;
    t = std::max(t, milliseconds(1));  // 0 would mean "no timeout"
    if (rcv_timeout_ >= t / 2 && rcv_timeout_ <= t + receive_timeout_slack) return true;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    if (::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
      return false;
    rcv_timeout_ = t;
    return true;
  }
  static constexpr std::chrono::milliseconds receive_timeout_slack{20};

  void post(handler h, std::error_code ec, std::size_t n) {
    asio::post(ex_, [h = std::move(h), ec, n]() mutable { h(ec, n); });
  }

  // Complete `h`: directly when we are already in a completion handler, posted when still
  // inside the initiating call (transport.hpp: never inline).
  void complete(handler h, bool in_handler, std::error_code ec, std::size_t n) {
    if (in_handler)
      h(ec, n);
    else
      post(std::move(h), ec, n);
  }

  // Wait until the socket is ready for what OpenSSL asked for, then call `next`. The
  // caller's handler travels with the wait (it keeps the connection, and so this transport,
  // alive; an io_context destroyed with the wait pending destroys it with the wait).
  void wait(int ssl_error, step_fn next, handler h) {
    sock_.async_wait(ssl_error == SSL_ERROR_WANT_WRITE ? asio::ip::tcp::socket::wait_write
                                                       : asio::ip::tcp::socket::wait_read,
                     [this, next, h = std::move(h)](std::error_code ec) mutable {
                       (this->*next)(ec, std::move(h));
                     });
  }

  // The error an SSL call ended with, in the codes asio::ssl::stream used: a close_notify
  // is eof; a TCP EOF without one is stream_truncated; a socket error keeps its errno.
  std::error_code map_error(int ssl_error) {
    if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
    if (ssl_error == SSL_ERROR_SYSCALL) {
      const int e = errno;
      if (ERR_peek_error() != 0) return last_ssl_error();
      if (e != 0 && e != EAGAIN) return {e, asio::error::get_system_category()};
      return asio::ssl::error::stream_truncated;
    }
    const unsigned long e = ERR_peek_error();
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ERR_clear_error();
      return asio::ssl::error::stream_truncated;
    }
    return last_ssl_error();
  }

  // Decrypts into `buf` what OpenSSL holds and what non-blocking recv(2)s bring, up to the
  // buffer's size, while OpenSSL still holds unread bytes (so a drained socket costs at most
  // one failed recv per call). Returns the count; `want` is the SSL_ERROR_WANT_* that
  // stopped it with nothing read (0 otherwise). An error after some bytes is kept for the
  // next call, so the bytes are delivered first.
  // `block_once`: the BIO's recv flags, set back to MSG_DONTWAIT after the first
  // SSL_read_ex (read_blocking lets only that one block).
  std::size_t tls_read(asio::mutable_buffer buf, std::error_code& ec, int& want,
                       int* block_once = nullptr) {
    want = 0;
    if (read_error_) {
      ec = read_error_;
      return 0;
    }
    ERR_clear_error();
    char* p = static_cast<char*>(buf.data());
    std::size_t total = 0;
    while (total < buf.size()) {
      std::size_t n = 0;
      errno = 0;
      const int r = SSL_read_ex(ssl_.get(), p + total, buf.size() - total, &n);
      if (block_once) {
        *block_once = MSG_DONTWAIT;
        block_once = nullptr;
      }
      if (r == 1) {
        total += n;
        read_since_wait_ += n;
        read_blocked_ = false;
        if (!SSL_has_pending(ssl_.get())) break;
        continue;
      }
      const int e = SSL_get_error(ssl_.get(), r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        read_blocked_ = e == SSL_ERROR_WANT_READ;
        if (total == 0) want = e;
        break;
      }
      read_error_ = map_error(e);
      if (total == 0) ec = read_error_;
      break;
    }
    return total;
  }

  void run_read(handler h, bool in_handler) {
    std::error_code ec;
    std::size_t n = 0;
    int want = 0;
    if (!sock_.is_open())
      ec = asio::error::bad_descriptor;
    else
      n = tls_read(read_buf_, ec, want);
    if (ec || n > 0 || read_buf_.size() == 0) {
      reading_ = false;
      return complete(std::move(h), in_handler, ec, n);
    }
    if (want == SSL_ERROR_WANT_READ) return wait_read(std::move(h));
    wait(want, &tcp_transport::resume_read, std::move(h));
  }

  // The read waits for the socket. After a small exchange the connection is probably going
  // quiet (a reply, IDLE): give OpenSSL's record buffers back. After a bulk read the next
  // bytes are probably on their way: keep them.
  void wait_read(handler h) {
    release_buffers_if_quiet();
    set_low_water();
    wait(SSL_ERROR_WANT_READ, &tcp_transport::resume_read, std::move(h));
  }

  void release_buffers_if_quiet() {
    if (read_since_wait_ < bulk_bytes) (void)SSL_free_buffers(ssl_.get());
    read_since_wait_ = 0;
  }

  // Before a wait for data: the low-water mark from the expect_bytes hint (used once).
  void set_low_water() {
    apply_low_water();
    if (low_water_ > 1 && !fallback_armed_) arm_fallback(low_water_fallback);
  }

  void apply_low_water() {
    const std::size_t announced = std::exchange(expect_, 0);
    const int want = low_water_for(announced);
    if (want != low_water_) set_low_water_option(want);
    if (low_water_ > 1) low_water_since_ = std::chrono::steady_clock::now();
  }

  void set_low_water_option(int v) {
    if (!sock_.is_open()) return;
    if (::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0)
      low_water_ = v;
  }

  // The fallback: a wait that has not been satisfied within low_water_fallback drops the
  // low-water mark to 1 byte. One timer, re-armed lazily (not once per wait).
  void arm_fallback(std::chrono::steady_clock::duration d) {
    if (!fallback_) fallback_.emplace(ex_);
    fallback_armed_ = true;
    fallback_->expires_after(d);
    fallback_->async_wait([this](std::error_code ec) {
      if (ec) return;  // destroyed with the transport: touch nothing
      fallback_armed_ = false;
      if (low_water_ <= 1) return;
      const auto waited = std::chrono::steady_clock::now() - low_water_since_;
      if (waited < low_water_fallback) return arm_fallback(low_water_fallback - waited);
      set_low_water_option(1);
    });
  }

  void resume_read(std::error_code ec, handler h) {
    if (ec) {
      reading_ = false;
      return complete(std::move(h), true, ec, 0);
    }
    read_blocked_ = false;
    run_read(std::move(h), true);
  }

  // SSL_write_ex over the rest of `buf` from `done`, record by record, until all is taken or
  // OpenSSL has to wait (`want`) or fails (`ec`).
  void tls_write(asio::const_buffer buf, std::size_t& done, std::error_code& ec, int& want) {
    want = 0;
    ERR_clear_error();
    const char* p = static_cast<const char*>(buf.data());
    while (done < buf.size()) {
      std::size_t n = 0;
      errno = 0;
      const int r = SSL_write_ex(ssl_.get(), p + done, buf.size() - done, &n);
      if (r == 1) {
        done += n;
        continue;
      }
      const int e = SSL_get_error(ssl_.get(), r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        want = e;
        return;
      }
      ec = map_error(e);
      return;
    }
  }

  void run_write(handler h, bool in_handler) {
    std::error_code ec;
    int want = 0;
    if (!sock_.is_open())
      ec = asio::error::bad_descriptor;
    else
      tls_write(write_buf_, write_done_, ec, want);
    if (ec || write_done_ == write_buf_.size()) {
      writing_ = false;
      return complete(std::move(h), in_handler, ec, write_done_);
    }
    wait(want, &tcp_transport::resume_write, std::move(h));
  }

  void resume_write(std::error_code ec, handler h) {
    if (ec) {
      writing_ = false;
      return complete(std::move(h), true, ec, write_done_);
    }
    run_write(std::move(h), true);
  }

  void run_handshake(handler h, bool in_handler) {
    if (!sock_.is_open())
      return handshake_done(std::move(h), in_handler, asio::error::bad_descriptor);
    ERR_clear_error();
    errno = 0;
    const int r = SSL_connect(ssl_.get());
    if (r == 1) return handshake_done(std::move(h), in_handler, {});
    const int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return wait(e, &tcp_transport::resume_handshake, std::move(h));
    handshake_done(std::move(h), in_handler, map_error(e));
  }

  void resume_handshake(std::error_code ec, handler h) {
    if (ec) return handshake_done(std::move(h), true, ec);
    run_handshake(std::move(h), true);
  }

  void handshake_done(handler h, bool in_handler, std::error_code ec) {
    SSL* s = ssl_.get();
    const long vr = SSL_get_verify_result(s);
    info_.verify_result = X509_verify_cert_error_string(vr);
    if (ec) {
      std::error_code out = ec;
      if (ec != asio::error::operation_aborted) {
        out = make_error_code(errc::tls_handshake_failed);
        if (opts_.tls_opts.verify == tls_verify::peer && vr != X509_V_OK) {
          out = (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
                    ? make_error_code(errc::certificate_name_mismatch)
                    : make_error_code(errc::certificate_verify_failed);
          note_("certificate NOT verified: " + info_.verify_result);
        } else {
          note_("TLS handshake failed: " + ec.message());
        }
      }
      return complete(std::move(h), in_handler, out, 0);
    }
    info_.active = true;
    info_.verified = opts_.tls_opts.verify == tls_verify::peer && vr == X509_V_OK;
    info_.protocol = SSL_get_version(s);
    info_.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(s));
    if (X509* peer = SSL_get1_peer_certificate(s)) {
      info_.peer_subject = x509_name(X509_get_subject_name(peer));
      info_.peer_issuer = x509_name(X509_get_issuer_name(peer));
      X509_free(peer);
    }
    note_("TLS established: " + info_.protocol + ", " + info_.cipher);
    note_(std::string("certificate: ") + (info_.verified ? "verified" : "NOT verified") + " (" +
          info_.peer_subject + ", issuer " + info_.peer_issuer + ")");
    complete(std::move(h), in_handler, {}, 0);
  }

  // close_notify, then the peer's (as asio::ssl::stream's shutdown did); the driver bounds
  // the wait and ignores the outcome.
  void run_shutdown(handler h, bool in_handler) {
    if (!sock_.is_open()) return complete(std::move(h), in_handler, asio::error::bad_descriptor, 0);
    ERR_clear_error();
    errno = 0;
    int r = SSL_shutdown(ssl_.get());
    if (r == 0) r = SSL_shutdown(ssl_.get());
    if (r == 1) return complete(std::move(h), in_handler, {}, 0);
    const int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return wait(e, &tcp_transport::resume_shutdown, std::move(h));
    complete(std::move(h), in_handler, map_error(e), 0);
  }

  void resume_shutdown(std::error_code ec, handler h) {
    if (ec) return complete(std::move(h), true, ec, 0);
    run_shutdown(std::move(h), true);
  }

  asio::any_io_executor ex_;
  connect_options opts_;
  detail::unique_function<void(std::string_view)> note_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket sock_;
  std::shared_ptr<shared_context> shared_;  // from the first TLS handshake on
  bio_target bio_;                          // the BIO's descriptor; outlives ssl_
  std::unique_ptr<SSL, ssl_free> ssl_;      // only once TLS starts
  tls_info info_;
  // The outstanding TLS read and write (their handlers travel with the socket waits).
  asio::mutable_buffer read_buf_;
  asio::const_buffer write_buf_;
  std::size_t write_done_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool read_blocked_ = false;        // the last SSL_read_ex wanted bytes the socket did not have
  std::size_t read_since_wait_ = 0;  // plaintext read since the last wait for the socket
  // expect_bytes and SO_RCVLOWAT (see low_water_batch).
  std::size_t expect_ = 0;
  int low_water_ = 1;
  std::chrono::steady_clock::time_point low_water_since_{};
  std::optional<asio::steady_timer> fallback_;  // created on first use
  bool fallback_armed_ = false;
  std::error_code read_error_;  // a read error found after bytes that were delivered first
  std::chrono::milliseconds rcv_timeout_{0};  // SO_RCVTIMEO as set (0: never set)
};

}  // namespace

std::unique_ptr<transport> make_tcp_transport(
    asio::any_io_executor ex, const connect_options& o,
    detail::unique_function<void(std::string_view)> note) {
  return std::make_unique<tcp_transport>(ex, o, std::move(note));
}

}  // namespace mailproto::net
