// TCP + OpenSSL transport: resolve, connect, optional TLS with verification on by default.
//
// Verification: the peer chain is checked against the caller's CA file or the system store,
// and the host name (or IP address) against the certificate with OpenSSL's own checks
// (SSL_set1_host / X509_VERIFY_PARAM_set1_ip_asc), so a failure comes back with OpenSSL's
// reason, which we turn into certificate_verify_failed or certificate_name_mismatch.
// SNI is sent for host names (RFC 6066 §3 forbids it for IP literals). TLS 1.2 minimum.
#include "net/tcp_transport.hpp"

#include <mailproto/net/errc.hpp>

#include <asio/connect.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

namespace mailproto::net {
namespace {

std::mutex keylog_mutex;

// Our own ex_data slot: Asio keeps its callbacks in the SSL_CTX "app data" slot.
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

// One SSL_CTX per TLS configuration, shared by the connections that use it at the same time.
// A context holds the parsed trust store (the CA file, or the system store: hundreds of
// certificates), which is large and slow to load; a client holding many connections
// (tests/load: 1000 IDLE sessions) would otherwise keep one copy per connection. Keyed by
// verification, CA file (with its size and modification time, so a replaced file is loaded
// again) and key-log path; the cache holds weak references, so a context lives only while a
// connection uses it, and a context whose CA file failed to load is never shared.
struct shared_context {
  asio::ssl::context ctx{asio::ssl::context::tls_client};
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
  SSL_CTX* ctx = c->ctx.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  c->keylog_path = keylog;
  if (!c->keylog_path.empty()) {
    SSL_CTX_set_ex_data(ctx, keylog_index(), &c->keylog_path);
    SSL_CTX_set_keylog_callback(ctx, keylog_callback);
  }
  if (verify) {
    if (!o.tls_opts.cafile.empty())
      c->ctx.load_verify_file(o.tls_opts.cafile, c->ca_error);
    else
      c->ctx.set_default_verify_paths(c->ca_error);
  }
  if (!c->ca_error) cache[key] = c;
  return c;
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
      : ex_(ex),
        opts_(o),
        note_(std::move(note)),
        resolver_(ex),
        shared_(context_for(o)),
        stream_(ex, shared_->ctx) {
    // Per-connection settings go on the SSL object itself (the context is shared).
    SSL* ssl = stream_.native_handle();
    SSL_set_min_proto_version(ssl, TLS1_2_VERSION);
    if (o.tls_opts.verify == tls_verify::peer) {
      ca_error_ = shared_->ca_error;
      stream_.set_verify_mode(asio::ssl::verify_peer);
    } else {
      stream_.set_verify_mode(asio::ssl::verify_none);
    }
  }

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
          asio::async_connect(stream_.next_layer(), r,
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

  void async_read_some(asio::mutable_buffer buf, handler h) override {
    if (info_.active)
      stream_.async_read_some(buf, std::move(h));
    else
      stream_.next_layer().async_read_some(buf, std::move(h));
  }

  void async_write(asio::const_buffer buf, handler h) override {
    if (info_.active)
      asio::async_write(stream_, buf, std::move(h));
    else
      asio::async_write(stream_.next_layer(), buf, std::move(h));
  }

  // A non-blocking read, completed inline: used by the driver for bulk transfers, where the
  // next bytes are usually in the kernel already. Over TLS the record layer decrypts what
  // it holds or what one non-blocking recv(2) brings; when it needs more it stops with
  // would_block and has consumed nothing (a read never has to write here: the client sends
  // nothing during a bulk read and TLS 1.3 post-handshake messages are only read).
  std::size_t try_read(asio::mutable_buffer buf, std::error_code& ec) override {
    ec = {};
    auto& s = stream_.next_layer();
    if (!s.non_blocking()) {
      s.non_blocking(true, ec);
      if (ec) {
        ec = {};
        return 0;
      }
    }
    const std::size_t n = info_.active ? stream_.read_some(buf, ec) : s.read_some(buf, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return 0;
    }
    return ec ? 0 : n;
  }

  // Plain TCP only: one non-blocking send(2), completed inline, so a command costs one
  // system call and no trip through the reactor. Over TLS the record layer lives inside
  // asio::ssl::stream, whose synchronous write cannot stop half-way safely: async_write.
  std::size_t try_write(asio::const_buffer buf, std::error_code& ec) override {
    ec = {};
    if (info_.active) return 0;
    auto& s = stream_.next_layer();
    if (!s.non_blocking()) {
      s.non_blocking(true, ec);
      if (ec) {
        ec = {};
        return 0;
      }
    }
    const std::size_t n = s.write_some(buf, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return 0;
    }
    return ec ? 0 : n;
  }

  void async_tls_handshake(handler h) override {
    if (ca_error_) {
      auto ec = ca_error_;
      note_("cannot load trusted CAs from '" + opts_.tls_opts.cafile + "': " + ec.message());
      return asio::post(ex_, [h = std::move(h)]() mutable {
        h(make_error_code(errc::certificate_verify_failed), 0);
      });
    }
    SSL* ssl = stream_.native_handle();
    const std::string name =
        opts_.tls_opts.server_name.empty() ? opts_.host : opts_.tls_opts.server_name;
    std::error_code aec;
    (void)asio::ip::make_address(name, aec);
    const bool is_ip = !aec;
    if (!is_ip) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (opts_.tls_opts.verify == tls_verify::peer) {
      if (is_ip)
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
      else
        SSL_set1_host(ssl, name.c_str());
    } else {
      note_("WARNING: certificate verification is disabled (tls_verify::none)");
    }
    note_("TLS handshake with " + name);
    stream_.async_handshake(
        asio::ssl::stream_base::client, [this, h = std::move(h)](std::error_code ec) mutable {
          SSL* s = stream_.native_handle();
          const long vr = SSL_get_verify_result(s);
          info_.verify_result = X509_verify_cert_error_string(vr);
          if (ec) {
            if (ec == asio::error::operation_aborted) return h(ec, 0);
            std::error_code out = make_error_code(errc::tls_handshake_failed);
            if (opts_.tls_opts.verify == tls_verify::peer && vr != X509_V_OK) {
              out = (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
                        ? make_error_code(errc::certificate_name_mismatch)
                        : make_error_code(errc::certificate_verify_failed);
              note_("certificate NOT verified: " + info_.verify_result);
            } else {
              note_("TLS handshake failed: " + ec.message());
            }
            return h(out, 0);
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
          note_(std::string("certificate: ") + (info_.verified ? "verified" : "NOT verified") +
                " (" + info_.peer_subject + ", issuer " + info_.peer_issuer + ")");
          h({}, 0);
        });
  }

  void async_tls_shutdown(handler h) override {
    if (!info_.active) return asio::post(ex_, [h = std::move(h)]() mutable { h({}, 0); });
    stream_.async_shutdown([h = std::move(h)](std::error_code ec) mutable { h(ec, 0); });
  }

  void cancel() override {
    resolver_.cancel();
    std::error_code ignored;
    stream_.next_layer().cancel(ignored);
  }

  void close() override {
    std::error_code ignored;
    stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
  }

  bool is_open() const override { return stream_.next_layer().is_open(); }
  const tls_info& tls() const override { return info_; }

 private:
  asio::any_io_executor ex_;
  connect_options opts_;
  detail::unique_function<void(std::string_view)> note_;
  asio::ip::tcp::resolver resolver_;
  std::shared_ptr<shared_context> shared_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::error_code ca_error_;
  tls_info info_;
};

}  // namespace

std::unique_ptr<transport> make_tcp_transport(
    asio::any_io_executor ex, const connect_options& o,
    detail::unique_function<void(std::string_view)> note) {
  return std::make_unique<tcp_transport>(ex, o, std::move(note));
}

}  // namespace mailproto::net
