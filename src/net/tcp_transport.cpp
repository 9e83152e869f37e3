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

#include <cstdio>
#include <cstdlib>
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
        ctx_(asio::ssl::context::tls_client),
        stream_(ex, ctx_) {
    // The SSL object was created with stream_ from ctx_ as it was then, so per-connection
    // settings go on the SSL object itself (SSL_new copies verify mode and versions).
    SSL_CTX* c = ctx_.native_handle();
    SSL* ssl = stream_.native_handle();
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_set_min_proto_version(ssl, TLS1_2_VERSION);
    keylog_path_ = o.tls_opts.keylog_file;
    if (keylog_path_.empty() && o.tls_opts.use_sslkeylogfile_env) {
      if (const char* env = std::getenv("SSLKEYLOGFILE")) keylog_path_ = env;
    }
    if (!keylog_path_.empty()) {
      SSL_CTX_set_ex_data(c, keylog_index(), &keylog_path_);
      SSL_CTX_set_keylog_callback(c, keylog_callback);
    }
    if (o.tls_opts.verify == tls_verify::peer) {
      std::error_code ec;
      if (!o.tls_opts.cafile.empty())
        ctx_.load_verify_file(o.tls_opts.cafile, ec);
      else
        ctx_.set_default_verify_paths(ec);
      if (ec) ca_error_ = ec;
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
  asio::ssl::context ctx_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::string keylog_path_;
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
