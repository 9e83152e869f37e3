// mailproto/sasl/mechanism.hpp — SASL client mechanisms shared by SMTP, POP3 and IMAP.
//
// Sans-I/O: a `mechanism` object turns server challenges into client responses for one
// authentication exchange (RFC 4422 §3). It never touches a socket or a clock; the protocol
// carries the bytes (base64-encoded, see base64.hpp) and decides what the server's final
// verdict means. Mechanisms implemented:
//
//   PLAIN          RFC 4616          password   initial response
//   LOGIN          draft-murchison-sasl-login   password   "Username:"/"Password:" prompts
//   CRAM-MD5       RFC 2195          password   HMAC-MD5 of the server's challenge
//   SCRAM-SHA-256  RFC 5802, 7677    password   mutual authentication (server signature
//                                               verified), initial response
//   XOAUTH2        Google/Microsoft  token      initial response
//   OAUTHBEARER    RFC 7628          token      initial response
//
// How a protocol drives one exchange (sketch):
//
//   std::error_code ec;
//   auto name = sasl::choose(offered, creds, tls_active, allow_plaintext, preferred, ec);
//   sasl::mechanism_options mo;  mo.host = host;  mo.port = port;   // for OAUTHBEARER
//   auto mech = sasl::make_mechanism(name, creds, mo, ec);
//   std::string first;                                   // initial response, if any
//   if (mech->client_first()) first = mech->respond("", ec);     // SASL-IR / AUTH x <ir>
//   send "AUTH <name> [base64(first)]"                   // response bytes are secret
//   loop on replies:
//     challenge (SMTP 334, POP3/IMAP "+"):  c = base64_decode(text)  (nullopt -> cancel "*")
//                                           r = mech->respond(*c, ec); (ec -> cancel "*")
//                                           send base64(r)            (secret in traces)
//     success:  mech->verify_success(additional data or "", ec)  — ALWAYS call it: SCRAM
//               fails here when the server never proved it knows the password.
//     failure:  report errc::authentication_failed (+ mech->error_detail() if non-empty).
// An empty response encodes as "" (send an empty line); SASL-IR's empty initial response is
// "=" (RFC 4959, RFC 4954 §4). Dovecot 2.3 sends SCRAM's v= as a last challenge ("+ dj1...")
// and then OK with no data; both paths above handle it.
// Note: gcc 12 -Wextra warns on designated initializers that skip members of
// mechanism_options; assign the fields as above instead.
//
// Security policy (design.md §4): choose() refuses EVERY mechanism over an unencrypted link
// unless the caller passes allow_plaintext — not only PLAIN/LOGIN: CRAM-MD5 and SCRAM also
// leak the user name and an offline-crackable verifier, and OAuth tokens are bearer secrets.
//
// Thread safety: a mechanism object is used by one exchange at a time; it is not reusable.
#pragma once

#include <mailproto/sasl/base64.hpp>
#include <mailproto/sasl/errc.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailproto::sasl {

/// What the user authenticates with: exactly one of `password` or `token` is non-empty.
/// Plain aggregate; prefer the named constructors.
struct credentials {
  std::string username;  ///< authentication identity (for OAuth: the account's address)
  std::string password;  ///< for PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256
  std::string token;     ///< OAuth 2.0 bearer access token, for XOAUTH2 and OAUTHBEARER
  std::string authzid;   ///< optional authorization identity ("act as"); PLAIN and SCRAM
                         ///< send it, the others ignore it (OAuth sends `username`)

  /// A user name and password (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256).
  static credentials with_password(std::string user, std::string pass);
  /// An account and an OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER).
  static credentials with_token(std::string user, std::string token);

  /// True when `token` is set (and so the credential is for XOAUTH2/OAUTHBEARER).
  bool is_token() const noexcept { return !token.empty(); }
  /// True when exactly one of password/token is set.
  bool valid_kind() const noexcept { return password.empty() != token.empty(); }
};

/// Per-exchange settings. Plain aggregate with safe defaults.
struct mechanism_options {
  /// OAUTHBEARER (RFC 7628 §3.1): host name and port the client connected to. Sent as the
  /// host= / port= pairs when non-empty / non-zero. Other mechanisms ignore them.
  std::string host;
  std::uint16_t port = 0;  ///< OAUTHBEARER port= (0: not sent)

  /// SCRAM: fixed client nonce, for tests only (RFC 7677 §3 vector uses
  /// "rOprNGfwEbeRWgbNEkqO"). Empty (the default): 24 random bytes from OpenSSL's CSPRNG
  /// (RAND_bytes), base64-encoded. Must be printable ASCII without ','.
  std::string client_nonce;

  /// SCRAM: iteration counts accepted from the server. Below the minimum is a downgrade
  /// (RFC 7677 §4 asks for at least 4096); above the maximum is a CPU-exhaustion attempt.
  /// Both are errc::bad_challenge.
  std::uint32_t scram_min_iterations = 4096;
  std::uint32_t scram_max_iterations = 10'000'000;  ///< see scram_min_iterations

  /// Largest decoded challenge accepted (errc::challenge_too_long beyond it).
  std::size_t max_challenge = 64 * 1024;
};

/// One client side of one SASL authentication exchange. Obtain with make_mechanism().
class mechanism {
 public:
  virtual ~mechanism();

  /// The IANA mechanism name as sent in AUTH, upper case: "SCRAM-SHA-256".
  virtual std::string_view name() const = 0;

  /// True if the mechanism starts with a client response (RFC 4422 §3.3 "initial
  /// response"); the protocol may send it inline with SASL-IR (RFC 4959), SMTP AUTH
  /// (RFC 4954 §4) or POP3 AUTH (RFC 5034 §4), or else wait for an empty challenge and send
  /// it then. PLAIN, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER: true. LOGIN, CRAM-MD5: false.
  virtual bool client_first() const = 0;

  /// The next client response, as raw bytes (the protocol base64-encodes them).
  /// @param challenge the decoded server challenge; "" for the initial response, or for the
  ///        empty challenge a server sends when the client did not send one inline.
  /// @param ec set on failure (then the return value is "" and the protocol must cancel
  ///        the exchange): bad_challenge, unexpected_challenge, challenge_too_long,
  ///        unsafe_credential, server_signature_mismatch (SCRAM v= sent as a challenge),
  ///        authentication_failed (SCRAM server-final "e=...": see error_detail()).
  /// An OAuth error challenge (XOAUTH2/OAUTHBEARER JSON, RFC 7628 §3.2.2) is NOT an error
  /// here: the JSON goes to error_detail(), and the returned response is the one the
  /// server expects before it fails the exchange ("" for XOAUTH2, "\x01" for OAUTHBEARER,
  /// RFC 7628 §3.2.3). The server's failure reply follows; report authentication_failed.
  virtual std::string respond(std::string_view challenge, std::error_code& ec) = 0;

  /// Call on every success reply, with its additional data ("" if none; SCRAM's server-final
  /// "v=..." may arrive here or as a last challenge, RFC 4422 §3.6). For SCRAM this verifies
  /// the server signature, and fails with server_signature_mismatch if it is wrong or if the
  /// server never sent one. Other mechanisms accept "" and ignore any data.
  virtual void verify_success(std::string_view server_final, std::error_code& ec);

  /// Whether responses carry secrets (trace as `<redacted>`). True for every mechanism here:
  /// even a LOGIN user name or a SCRAM proof is redacted.
  virtual bool is_secret_response() const { return true; }

  /// Why the server refused, when it said so inside the mechanism: the decoded XOAUTH2 /
  /// OAUTHBEARER JSON error, or SCRAM's "e=" value. Empty otherwise. Untrusted server text
  /// (CR/LF/TAB replaced by ' ', other control characters by '?', at most 1024 bytes kept).
  std::string error_detail() const { return error_detail_; }

 protected:
  /// Set by a mechanism that reads an error inside the exchange (see error_detail()).
  std::string error_detail_;
};

/// Creates the mechanism `name` (case-insensitive) for `creds`.
/// The credentials are checked here, before anything is sent: NUL/CR/LF in the user name
/// (every mechanism), NUL in the password or authzid (PLAIN, LOGIN), SASLprep (SCRAM),
/// ^A in the user name and a token outside printable ASCII (XOAUTH2, OAUTHBEARER).
/// @return nullptr if the name is unknown, the credential kind does not fit the mechanism
///         (token vs password), `creds` has both or neither of password and token, or the
///         credentials cannot be carried safely.
std::unique_ptr<mechanism> make_mechanism(std::string_view name, const credentials& creds,
                                          const mechanism_options& options = {});
/// Same, saying why in `ec` (unknown_mechanism, credential_kind_mismatch,
/// unsafe_credential).
std::unique_ptr<mechanism> make_mechanism(std::string_view name, const credentials& creds,
                                          const mechanism_options& options, std::error_code& ec);

/// Chooses the mechanism to use from the server's list (`offered`, names as advertised, any
/// case; unknown names are skipped).
///  - A token credential only ever gets OAUTHBEARER > XOAUTH2; a password credential only
///    SCRAM-SHA-256 > CRAM-MD5 > PLAIN > LOGIN. Never OAuth for a password or vice versa.
///  - `preferred` non-empty forces that mechanism: unknown_mechanism if we do not implement
///    it, credential_kind_mismatch if it does not fit `creds`, mechanism_not_offered if the
///    server does not list it.
///  - Unless `tls_active` or `allow_plaintext`: plaintext_refused, for every mechanism (see
///    the policy at the top of this file). Checked first.
///  - credential_kind_mismatch if `creds` has both or neither of password and token.
///  - no_common_mechanism if nothing fits.
/// @return the canonical upper-case name, or "" with `ec` set.
std::string choose(const std::vector<std::string>& offered, const credentials& creds,
                   bool tls_active, bool allow_plaintext, std::string_view preferred,
                   std::error_code& ec);

/// The names this library implements, strongest password mechanism first:
/// SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN, OAUTHBEARER, XOAUTH2.
const std::vector<std::string_view>& supported_mechanisms();

/// True for mechanisms whose responses reveal the secret to anyone who reads them
/// (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER). Case-insensitive.
bool is_plaintext_equivalent(std::string_view name) noexcept;

/// RFC 4616 §2 message: authzid NUL authcid NUL passwd. No checks (make_mechanism's PLAIN
/// checks); handy for tests that expect an exact AUTH PLAIN response.
std::string plain_response(std::string_view authzid, std::string_view user, std::string_view pass);

/// SASLprep (RFC 4013) for "query" strings (unassigned code points allowed), the common
/// subset: ASCII passes through; non-ASCII spaces (table C.1.2) map to U+0020; "commonly
/// mapped to nothing" characters (B.1) are removed; prohibited output (C.2.1 ASCII controls,
/// C.2.2, C.3 private use, C.4 non-characters, C.5 surrogates, C.6, C.7, C.8, C.9) and
/// invalid UTF-8 are rejected with errc::unsafe_credential.
/// NOT done: NFKC normalisation (non-ASCII is passed through unnormalised, so a password
/// typed in a decomposed form may not match) and the bidi check (RFC 3454 §6).
std::string saslprep(std::string_view in, std::error_code& ec);

}  // namespace mailproto::sasl
