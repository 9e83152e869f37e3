// SCRAM-SHA-256 (RFC 5802, RFC 7677): the RFC 7677 §3 vector, then each way the server
// can get it wrong.
#include <mailproto/sasl/mechanism.hpp>

#include <catch2/catch.hpp>

#include <set>

using namespace mailproto;
using sasl::credentials;
using sasl::errc;

namespace {

// RFC 7677 §3: user "user", password "pencil".
constexpr std::string_view client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

std::unique_ptr<sasl::mechanism> rfc7677(std::string password = "pencil") {
  sasl::mechanism_options o;
  o.client_nonce = std::string(client_nonce);
  auto m = sasl::make_mechanism("SCRAM-SHA-256", credentials::with_password("user", password), o);
  REQUIRE(m);
  return m;
}

std::string respond(sasl::mechanism& m, std::string_view challenge) {
  std::error_code ec;
  auto r = m.respond(challenge, ec);
  INFO("respond error: " << ec.message());
  REQUIRE_FALSE(ec);
  return r;
}

std::error_code respond_error(sasl::mechanism& m, std::string_view challenge) {
  std::error_code ec;
  auto r = m.respond(challenge, ec);
  CHECK(r.empty());
  return ec;
}

std::error_code verify(sasl::mechanism& m, std::string_view data) {
  std::error_code ec;
  m.verify_success(data, ec);
  return ec;
}

// Runs the vector up to the client-final message.
std::unique_ptr<sasl::mechanism> after_client_final() {
  auto m = rfc7677();
  CHECK(respond(*m, "") == client_first);
  CHECK(respond(*m, server_first) == client_final);
  return m;
}

}  // namespace

TEST_CASE("SCRAM-SHA-256: RFC 7677 §3 exchange, server-final as a last challenge",
          "[sasl][scram]") {
  auto m = after_client_final();
  CHECK(m->client_first());
  CHECK(respond(*m, server_final).empty());  // SMTP 334 v=... -> empty response
  CHECK_FALSE(verify(*m, ""));               // then 235 with no data
  CHECK(respond_error(*m, server_final) == errc::unexpected_challenge);
}

TEST_CASE("SCRAM-SHA-256: RFC 7677 §3 exchange, server-final with the success reply",
          "[sasl][scram]") {
  auto m = after_client_final();
  CHECK_FALSE(verify(*m, server_final));
}

TEST_CASE("SCRAM-SHA-256: server-final extensions after v= are ignored", "[sasl][scram]") {
  auto m = after_client_final();
  CHECK_FALSE(verify(*m, std::string(server_final) + ",x=future"));
}

TEST_CASE("SCRAM-SHA-256: a wrong server signature is detected", "[sasl][scram]") {
  std::string wrong(server_final);
  wrong[5] = wrong[5] == 'A' ? 'B' : 'A';  // one character of the signature changed
  {
    auto m = after_client_final();
    CHECK(respond_error(*m, wrong) == errc::server_signature_mismatch);
    CHECK(verify(*m, "") == errc::server_signature_mismatch);  // stays failed
  }
  {
    auto m = after_client_final();
    const auto ec = verify(*m, wrong);
    CHECK(ec == errc::server_signature_mismatch);
    CHECK(is_fatal(ec));
  }
  for (std::string bad : {std::string("v="), std::string("v=6rri"), std::string("x=1"),
                          std::string(""), std::string("v=AAAA"), std::string("6rriTRBi")}) {
    CAPTURE(bad);
    auto m = after_client_final();
    CHECK(verify(*m, bad) == errc::server_signature_mismatch);
  }
  // The same exchange with the wrong password: the server's real signature does not match.
  auto m = rfc7677("pencil2");
  respond(*m, "");
  CHECK(respond(*m, server_first) != client_final);
  CHECK(verify(*m, server_final) == errc::server_signature_mismatch);
}

TEST_CASE("SCRAM-SHA-256: success before the server proved itself is refused", "[sasl][scram]") {
  auto fresh = rfc7677();
  CHECK(verify(*fresh, "") == errc::server_signature_mismatch);
  auto m = rfc7677();
  respond(*m, "");
  CHECK(verify(*m, "") == errc::server_signature_mismatch);
  auto m2 = after_client_final();
  CHECK(verify(*m2, "") == errc::server_signature_mismatch);
}

TEST_CASE("SCRAM-SHA-256: server error e= is authentication_failed with detail", "[sasl][scram]") {
  auto m = after_client_final();
  std::error_code ec;
  m->respond("e=invalid-proof", ec);
  CHECK(ec == errc::authentication_failed);
  CHECK(m->error_detail() == "invalid-proof");
}

TEST_CASE("SCRAM-SHA-256: malformed server-first messages", "[sasl][scram]") {
  const std::string nonce = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const std::string salt = ",s=W22ZaJ0SNY7soEsUEjb6gQ==";
  const std::string bad[] = {
      "",
      "m=ext," + nonce + salt + ",i=4096",                 // mandatory extension (RFC 5802 §5.1)
      "r=XXXXNGfwEbeRWgbNEkqO%hvYDpW" + salt + ",i=4096",  // does not extend our nonce
      "r=rOprNGfwEbeRWgbNEkqO" + salt + ",i=4096",         // no server part
      nonce + ",s=,i=4096",                                // empty salt
      nonce + ",s=W22Z*J0S,i=4096",                        // salt not base64
      nonce + salt,                                        // no count
      nonce + salt + ",i=",                                // empty count
      nonce + salt + ",i=04096",                           // leading zero
      nonce + salt + ",i=40x6",                            // not a number
      nonce + salt + ",i=4095",                            // below scram_min_iterations
      nonce + salt + ",i=10000001",                        // above scram_max_iterations
      nonce + salt + ",i=99999999999999999999",            // overflow
      salt.substr(1) + "," + nonce + ",i=4096",            // wrong order
  };
  for (const auto& s : bad) {
    CAPTURE(s);
    auto m = rfc7677();
    respond(*m, "");
    CHECK(respond_error(*m, s) == errc::bad_challenge);
    CHECK(verify(*m, server_final) == errc::server_signature_mismatch);
  }
  // Extensions after i= are allowed.
  auto m = rfc7677();
  respond(*m, "");
  std::error_code ec;
  m->respond(std::string(server_first) + ",x=ext", ec);
  CHECK_FALSE(ec);
}

TEST_CASE("SCRAM-SHA-256: iteration bounds are options", "[sasl][scram]") {
  sasl::mechanism_options o;
  o.client_nonce = std::string(client_nonce);
  o.scram_min_iterations = 8192;
  auto m = sasl::make_mechanism("SCRAM-SHA-256", credentials::with_password("user", "pencil"), o);
  REQUIRE(m);
  respond(*m, "");
  CHECK(respond_error(*m, server_first) == errc::bad_challenge);
}

TEST_CASE("SCRAM-SHA-256: a non-empty first challenge is refused", "[sasl][scram]") {
  auto m = rfc7677();
  CHECK(respond_error(*m, "r=abc") == errc::bad_challenge);
}

TEST_CASE("SCRAM-SHA-256: random client nonces", "[sasl][scram]") {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    auto m = sasl::make_mechanism("SCRAM-SHA-256", credentials::with_password("user", "pencil"));
    REQUIRE(m);
    const std::string first = respond(*m, "");
    REQUIRE(first.rfind("n,,n=user,r=", 0) == 0);
    const std::string nonce = first.substr(12);
    CHECK(nonce.size() == 32);  // 24 random bytes, base64
    CHECK(nonce.find(',') == std::string::npos);
    CHECK(sasl::base64_decode(nonce));
    seen.insert(nonce);
  }
  CHECK(seen.size() == 8);
}

TEST_CASE("SCRAM-SHA-256: user name and authzid are escaped saslnames", "[sasl][scram]") {
  sasl::mechanism_options o;
  o.client_nonce = "abc";
  auto c = credentials::with_password("u=s,er", "pw");
  c.authzid = "ad,min";
  auto m = sasl::make_mechanism("SCRAM-SHA-256", c, o);
  REQUIRE(m);
  CHECK(respond(*m, "") == "n,a=ad=2Cmin,n=u=3Ds=2Cer,r=abc");
  // client-final's c= is the base64 of that gs2 header.
  std::error_code ec;
  const std::string final_msg =
      m->respond("r=abcdef,s=" + sasl::base64_encode("salt") + ",i=4096", ec);
  REQUIRE_FALSE(ec);
  CHECK(final_msg.rfind("c=" + sasl::base64_encode("n,a=ad=2Cmin,") + ",r=abcdef,p=", 0) == 0);
}

TEST_CASE("SCRAM-SHA-256: SASLprep applies to the password", "[sasl][scram]") {
  // "pen<U+00AD>cil" (soft hyphen mapped to nothing) authenticates as "pencil".
  auto m = rfc7677(
      "pen\xC2\xAD"
      "cil");
  respond(*m, "");
  CHECK(respond(*m, server_first) == client_final);
  CHECK_FALSE(verify(*m, server_final));
  std::error_code ec;
  CHECK_FALSE(
      sasl::make_mechanism("SCRAM-SHA-256", credentials::with_password("user", "a\x07"), {}, ec));
  CHECK(ec == errc::unsafe_credential);
  sasl::mechanism_options bad_nonce;
  bad_nonce.client_nonce = "a,b";
  auto m2 =
      sasl::make_mechanism("SCRAM-SHA-256", credentials::with_password("user", "pw"), bad_nonce);
  REQUIRE(m2);
  CHECK(respond_error(*m2, "") == errc::unsafe_credential);
}
