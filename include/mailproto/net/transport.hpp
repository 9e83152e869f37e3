// mailproto/net/transport.hpp — the byte stream under a connection: a TCP/TLS socket, or an
// in-memory peer (the transcript player). Internal to the driver; public so that tests and
// users can plug their own streams in (connect_options::transport).
#pragma once

#include <mailproto/detail/unique_function.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/buffer.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>

namespace mailproto::net {

/// Facts about an established TLS session (for probe output and the trace).
struct tls_info {
  bool active = false;    ///< a TLS session is established on the connection
  bool verified = false;  ///< chain and host name verified
  std::string
      verify_result;     ///< "ok", or OpenSSL's reason ("unable to get local issuer certificate")
  std::string protocol;  ///< "TLSv1.3"
  std::string cipher;    ///< "TLS_AES_256_GCM_SHA384"
  std::string peer_subject;  ///< the leaf certificate's subject
  std::string peer_issuer;   ///< the leaf certificate's issuer
};

/// An asynchronous byte stream. Every handler is called exactly once, never from inside the
/// initiating call (completions are posted), on the transport's executor.
class transport {
 public:
  /// Completion handler: the error and the number of bytes transferred.
  using handler = detail::unique_function<void(std::error_code, std::size_t)>;

  virtual ~transport() = default;
  /// The executor on which the handlers are called.
  virtual asio::any_io_executor get_executor() = 0;
  /// Resolve and connect (for a socket; an in-memory peer completes at once).
  virtual void async_connect(handler h) = 0;
  /// Read at least one byte into `buf` (EOF: asio::error::eof).
  virtual void async_read_some(asio::mutable_buffer buf, handler h) = 0;
  /// Optional fast path for bulk reads: copy what can be had at once without blocking into
  /// `buf` and return the count (0 when nothing is ready or the stream has no such path;
  /// the driver then uses async_read_some). EOF and errors are reported like
  /// async_read_some's. The default reads nothing.
  virtual std::size_t try_read(asio::mutable_buffer buf, std::error_code& ec) {
    (void)buf;
    ec = {};
    return 0;
  }
  /// Write all of `buf`.
  virtual void async_write(asio::const_buffer buf, handler h) = 0;
  /// Optional fast path: write as much of `buf` as the stream takes at once without
  /// blocking, and return that count (0 when it would block or when the stream has no such
  /// path; the driver then uses async_write for the rest). An error ends the write like an
  /// async_write error would. The default writes nothing.
  virtual std::size_t try_write(asio::const_buffer buf, std::error_code& ec) {
    (void)buf;
    ec = {};
    return 0;
  }
  /// Optional hint for bulk reads: at least `n` more bytes will certainly be delivered by
  /// the reads to come (a POP3 message whose size LIST gave, less what was received). A
  /// socket may then wake the reader once for a batch of them instead of once per segment
  /// (SO_RCVLOWAT), falling back to normal wake-ups after a short delay so that a peer that
  /// sends less than announced costs latency, never a hang. It applies to the next wait
  /// only; 0 means nothing is known. The default ignores it.
  virtual void expect_bytes(std::size_t n) { (void)n; }
  /// Optional path for the synchronous API, whose caller is blocked anyway: block the
  /// calling thread (poll(2)) until a try_read can make progress — bytes or an error on the
  /// socket, or bytes the stream already holds — for at most `timeout`, also waking when
  /// `wake_fd` (an eventfd, -1 for none) becomes readable. Returns 1: try_read next; 0: the
  /// timeout passed; 2: `wake_fd` fired (it is left readable); -1: this stream cannot wait
  /// this way now (use async_read_some). `ec`: a failure of the wait itself. The default: -1.
  virtual int wait_readable(std::chrono::milliseconds timeout, int wake_fd, std::error_code& ec) {
    (void)timeout;
    (void)wake_fd;
    ec = {};
    return -1;
  }
  /// Optional path for the synchronous API: one blocking read, for at most `timeout`, into
  /// `buf` (a blocking recv(2) with SO_RCVTIMEO: the wait and the read in one system call;
  /// over TLS inside SSL_read). Returns the count (> 0); 0 with `ec` set: EOF or an error; 0
  /// with no error: the timeout passed or a signal came (the caller checks its deadline and
  /// calls again); -1: this stream cannot read this way now (a low-water batch announced,
  /// TLS that has to write first, an asynchronous operation outstanding): use wait_readable
  /// and try_read. The default: -1.
  virtual std::ptrdiff_t read_blocking(asio::mutable_buffer buf, std::chrono::milliseconds timeout,
                                       std::error_code& ec) {
    (void)buf;
    (void)timeout;
    ec = {};
    return -1;
  }
  /// True when a read should wait before it tries (the driver then skips try_read; the sync
  /// path waits in wait_readable first), because expect_bytes announced a bulk transfer
  /// large enough for a low-water wait: a try would take the few bytes that happen to be
  /// there, and the next wake-up would come after a few more (one recv per ~10 KB instead
  /// of per low-water batch). Default: false.
  virtual bool wait_before_read() const { return false; }
  /// Client-side TLS handshake with verification as configured.
  virtual void async_tls_handshake(handler h) = 0;
  /// TLS close_notify; then the stream is plain again (only for closing).
  virtual void async_tls_shutdown(handler h) = 0;
  /// Cancel outstanding operations (they complete with operation_aborted).
  virtual void cancel() = 0;
  /// Close now; outstanding operations complete with an error.
  virtual void close() = 0;
  /// True while connected (after async_connect succeeded, until close).
  virtual bool is_open() const = 0;
  /// The TLS session's facts (active is false before the handshake).
  virtual const tls_info& tls() const = 0;
};

}  // namespace mailproto::net
