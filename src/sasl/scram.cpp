// SCRAM-SHA-256 (RFC 5802, RFC 7677), client side, without channel binding ("n" flag).
//
// Theory of operation — states and messages (RFC 5802 §3, §5, grammar in §7):
//   start       respond("")          -> client-first = gs2-header client-first-bare
//                                       gs2-header = "n," ["a=" saslname] ","
//                                       client-first-bare = "n=" saslname ",r=" c-nonce
//   sent_first  respond(server-first) -> client-final = "c=" b64(gs2-header) ",r=" nonce
//                                        ",p=" b64(ClientProof)
//                server-first = [m-ext ","] "r=" c-nonce s-nonce ",s=" b64(salt)
//                               ",i=" count ["," extensions]
//   sent_final  respond(server-final)  or  verify_success(server-final)
//                server-final = ("e=" error / "v=" b64(ServerSignature)) ["," extensions]
//               -> verified (v= matches, compared in constant time)
//   verified    verify_success("") is fine; any further challenge is unexpected.
// Anything that is not a valid, matching v= once the proof has been sent is
// server_signature_mismatch — including a success reply before the server proved itself
// (RFC 5802 §9: the client MUST verify the server signature).
//
// Key derivation (RFC 5802 §3), H = SHA-256, HMAC = HMAC-SHA-256:
//   SaltedPassword = PBKDF2-HMAC(SASLprep(password), salt, i)
//   ClientKey = HMAC(SaltedPassword, "Client Key"); StoredKey = H(ClientKey)
//   AuthMessage = client-first-bare "," server-first "," client-final-without-proof
//   ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)
//   ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage)
#include "sasl/mechanisms.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>

namespace mailproto::sasl::detail {
namespace {

constexpr std::size_t key_size = 32;  // SHA-256 output
using key = std::array<unsigned char, key_size>;

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no ',').
bool valid_nonce(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  return true;
}

bool hmac(std::string_view k, std::string_view data, key& out) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
              &len) != nullptr &&
         len == key_size;
}

std::string_view as_view(const key& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

class scram_sha256 final : public mechanism {
 public:
  scram_sha256(std::string user, std::string authzid, std::string password,
               const mechanism_options& o)
      : user_(std::move(user)),
        authzid_(std::move(authzid)),
        password_(std::move(password)),
        options_(o) {}
  ~scram_sha256() override {
    wipe(password_);
    OPENSSL_cleanse(server_signature_.data(), server_signature_.size());
  }

  std::string_view name() const override { return "SCRAM-SHA-256"; }
  bool client_first() const override { return true; }

  std::string respond(std::string_view challenge, std::error_code& ec) override {
    ec.clear();
    if (challenge.size() > options_.max_challenge) {
      ec = errc::challenge_too_long;
      return {};
    }
    switch (state_) {
      case state::start:
        return client_first_message(challenge, ec);
      case state::sent_first:
        return client_final_message(challenge, ec);
      case state::sent_final:
        // RFC 4422 §3.6 / RFC 4954 §4: without "additional data with success" the server
        // sends server-final as a last challenge; the client answers with an empty response.
        check_server_final(challenge, ec);
        return {};
      case state::verified:
      case state::failed:
        break;
    }
    ec = errc::unexpected_challenge;
    return {};
  }

  void verify_success(std::string_view server_final, std::error_code& ec) override {
    ec.clear();
    if (state_ == state::verified && server_final.empty()) return;
    if (state_ == state::verified || state_ == state::sent_final) {
      check_server_final(server_final, ec);
      return;
    }
    // Success before the server proved it knows the password (or after a failure).
    state_ = state::failed;
    ec = errc::server_signature_mismatch;
  }

 private:
  enum class state { start, sent_first, sent_final, verified, failed };

  std::string fail(std::error_code& ec, errc e) {
    state_ = state::failed;
    ec = e;
    return {};
  }

  std::string client_first_message(std::string_view challenge, std::error_code& ec) {
    // The server's empty challenge (client did not send an initial response) is fine;
    // anything else means the server is not doing SCRAM.
    if (!challenge.empty()) return fail(ec, errc::bad_challenge);
    if (!options_.client_nonce.empty()) {
      if (!valid_nonce(options_.client_nonce)) return fail(ec, errc::unsafe_credential);
      client_nonce_ = options_.client_nonce;
    } else {
      unsigned char raw[24];
      if (RAND_bytes(raw, sizeof raw) != 1) return fail(ec, errc::bad_challenge);
      client_nonce_ = base64_encode({reinterpret_cast<const char*>(raw), sizeof raw});
    }
    gs2_header_ = "n,";
    if (!authzid_.empty()) gs2_header_ += "a=" + escape_saslname(authzid_);
    gs2_header_ += ',';
    client_first_bare_ = "n=" + escape_saslname(user_) + ",r=" + client_nonce_;
    state_ = state::sent_first;
    return gs2_header_ + client_first_bare_;
  }

  // Splits "k=value" at s[pos..] up to the next ',' (or end); checks the key.
  static bool attribute(std::string_view s, std::size_t& pos, char k, std::string_view& value) {
    if (pos + 2 > s.size() || s[pos] != k || s[pos + 1] != '=') return false;
    const std::size_t start = pos + 2;
    std::size_t end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    value = s.substr(start, end - start);
    pos = end == s.size() ? end : end + 1;
    return true;
  }

  std::string client_final_message(std::string_view server_first, std::error_code& ec) {
    // RFC 5802 §5.1: "m" is a mandatory extension we do not know: fail the exchange.
    std::size_t pos = 0;
    std::string_view nonce, salt_b64, count;
    if (!attribute(server_first, pos, 'r', nonce) || !attribute(server_first, pos, 's', salt_b64) ||
        !attribute(server_first, pos, 'i', count))
      return fail(ec, errc::bad_challenge);
    // The server nonce extends ours (RFC 5802 §5.1 "r").
    if (!valid_nonce(nonce) || nonce.size() <= client_nonce_.size() ||
        nonce.substr(0, client_nonce_.size()) != client_nonce_)
      return fail(ec, errc::bad_challenge);
    const auto salt = base64_decode(salt_b64);
    if (!salt || salt->empty()) return fail(ec, errc::bad_challenge);
    // i = posit-number (no leading zero), bounded before any work is done.
    if (count.empty() || count.size() > 10 || count[0] == '0') return fail(ec, errc::bad_challenge);
    std::uint64_t iterations = 0;
    for (char c : count) {
      if (c < '0' || c > '9') return fail(ec, errc::bad_challenge);
      iterations = iterations * 10 + static_cast<unsigned>(c - '0');
    }
    if (iterations < options_.scram_min_iterations || iterations > options_.scram_max_iterations)
      return fail(ec, errc::bad_challenge);

    key salted{}, client_key{}, stored_key{}, client_sig{}, server_key{};
    struct cleanse {
      std::array<key*, 5> keys;
      ~cleanse() {
        for (auto* k : keys) OPENSSL_cleanse(k->data(), k->size());
      }
    } guard{{&salted, &client_key, &stored_key, &client_sig, &server_key}};

    if (PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                          reinterpret_cast<const unsigned char*>(salt->data()),
                          static_cast<int>(salt->size()), static_cast<int>(iterations),
                          EVP_sha256(), key_size, salted.data()) != 1)
      return fail(ec, errc::bad_challenge);
    unsigned int len = 0;
    if (!hmac(as_view(salted), "Client Key", client_key) ||
        !EVP_Digest(client_key.data(), client_key.size(), stored_key.data(), &len, EVP_sha256(),
                    nullptr) ||
        len != key_size)
      return fail(ec, errc::bad_challenge);

    std::string final_without_proof = "c=" + base64_encode(gs2_header_) + ",r=";
    final_without_proof.append(nonce);
    std::string auth_message = client_first_bare_ + ',';
    auth_message.append(server_first);
    auth_message += ',';
    auth_message += final_without_proof;

    key server_sig{};
    if (!hmac(as_view(stored_key), auth_message, client_sig) ||
        !hmac(as_view(salted), "Server Key", server_key) ||
        !hmac(as_view(server_key), auth_message, server_sig))
      return fail(ec, errc::bad_challenge);
    server_signature_ = server_sig;
    OPENSSL_cleanse(server_sig.data(), server_sig.size());

    key proof{};
    for (std::size_t i = 0; i < key_size; ++i) proof[i] = client_key[i] ^ client_sig[i];
    state_ = state::sent_final;
    return final_without_proof + ",p=" + base64_encode(as_view(proof));
  }

  void check_server_final(std::string_view server_final, std::error_code& ec) {
    std::size_t pos = 0;
    std::string_view value;
    if (attribute(server_final, pos, 'e', value)) {  // server-error (RFC 5802 §7)
      error_detail_ = sanitize_detail(value);
      state_ = state::failed;
      ec = errc::authentication_failed;
      return;
    }
    const bool ok = [&] {
      if (!attribute(server_final, pos, 'v', value)) return false;
      const auto sig = base64_decode(value);
      return sig && sig->size() == key_size &&
             CRYPTO_memcmp(sig->data(), server_signature_.data(), key_size) == 0;
    }();
    if (!ok) {
      state_ = state::failed;
      ec = errc::server_signature_mismatch;
      return;
    }
    state_ = state::verified;
  }

  std::string user_, authzid_, password_;
  mechanism_options options_;
  state state_ = state::start;
  std::string client_nonce_, gs2_header_, client_first_bare_;
  key server_signature_{};
};

}  // namespace

std::unique_ptr<mechanism> make_scram_sha256(const credentials& c, const mechanism_options& o,
                                             std::error_code& ec) {
  // RFC 5802 §5.1: the user name and password are prepared with SASLprep.
  std::string user = saslprep(c.username, ec);
  if (ec || user.empty()) {
    ec = errc::unsafe_credential;
    return nullptr;
  }
  std::string authzid = saslprep(c.authzid, ec);
  if (ec) return nullptr;
  std::string pass = saslprep(c.password, ec);
  if (ec) return nullptr;
  return std::make_unique<scram_sha256>(std::move(user), std::move(authzid), std::move(pass), o);
}

}  // namespace mailproto::sasl::detail
