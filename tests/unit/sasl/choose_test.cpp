// sasl::choose(): one test per rule of the policy in mechanism.hpp.
#include <mailproto/sasl/mechanism.hpp>

#include <catch2/catch.hpp>

using namespace mailproto;
using sasl::credentials;
using sasl::errc;

namespace {

const auto password = credentials::with_password("bob", "hunter2");
const auto token = credentials::with_token("bob@example.com", "ya29.tok");
using list = std::vector<std::string>;

std::string pick(const list& offered, const credentials& c, std::error_code& ec,
                 std::string_view preferred = {}, bool tls = true, bool allow = false) {
  return sasl::choose(offered, c, tls, allow, preferred, ec);
}

}  // namespace

TEST_CASE("choose: password order SCRAM-SHA-256 > CRAM-MD5 > PLAIN > LOGIN", "[sasl][choose]") {
  std::error_code ec;
  list all{"LOGIN", "PLAIN", "CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"};
  CHECK(pick(all, password, ec) == "SCRAM-SHA-256");
  CHECK_FALSE(ec);
  CHECK(pick({"LOGIN", "PLAIN", "CRAM-MD5"}, password, ec) == "CRAM-MD5");
  CHECK(pick({"LOGIN", "PLAIN"}, password, ec) == "PLAIN");
  CHECK(pick({"LOGIN"}, password, ec) == "LOGIN");
  CHECK_FALSE(ec);
}

TEST_CASE("choose: token order OAUTHBEARER > XOAUTH2", "[sasl][choose]") {
  std::error_code ec;
  CHECK(pick({"XOAUTH2", "OAUTHBEARER", "SCRAM-SHA-256", "PLAIN"}, token, ec) == "OAUTHBEARER");
  CHECK(pick({"XOAUTH2", "PLAIN"}, token, ec) == "XOAUTH2");
  CHECK_FALSE(ec);
}

TEST_CASE("choose: never OAuth for a password, never a password mechanism for a token",
          "[sasl][choose]") {
  std::error_code ec;
  CHECK(pick({"XOAUTH2", "OAUTHBEARER"}, password, ec).empty());
  CHECK(ec == errc::no_common_mechanism);
  CHECK(pick({"PLAIN", "LOGIN", "SCRAM-SHA-256", "CRAM-MD5"}, token, ec).empty());
  CHECK(ec == errc::no_common_mechanism);
}

TEST_CASE("choose: names compare case-insensitively, unknown names are skipped", "[sasl][choose]") {
  std::error_code ec;
  CHECK(pick({"GSSAPI", "ntlm", "plain", "scram-sha-1"}, password, ec) == "PLAIN");
  CHECK_FALSE(ec);
  CHECK(pick({"GSSAPI", "SCRAM-SHA-256-PLUS"}, password, ec).empty());
  CHECK(ec == errc::no_common_mechanism);
  CHECK(pick({}, password, ec).empty());
  CHECK(ec == errc::no_common_mechanism);
  CHECK(ec == condition::auth_failed);
}

TEST_CASE("choose: preferred forces a mechanism", "[sasl][choose]") {
  std::error_code ec;
  CHECK(pick({"PLAIN", "SCRAM-SHA-256"}, password, ec, "plain") == "PLAIN");
  CHECK_FALSE(ec);
  CHECK(pick({"PLAIN", "LOGIN"}, password, ec, "LOGIN") == "LOGIN");
  CHECK(pick({"PLAIN"}, password, ec, "SCRAM-SHA-256").empty());
  CHECK(ec == errc::mechanism_not_offered);
  CHECK(pick({"PLAIN", "DIGEST-MD5"}, password, ec, "DIGEST-MD5").empty());
  CHECK(ec == errc::unknown_mechanism);
  CHECK(pick({"PLAIN", "XOAUTH2"}, password, ec, "XOAUTH2").empty());
  CHECK(ec == errc::credential_kind_mismatch);
  CHECK(pick({"PLAIN", "XOAUTH2"}, token, ec, "PLAIN").empty());
  CHECK(ec == errc::credential_kind_mismatch);
}

TEST_CASE("choose: no credentials over an unencrypted link unless allowed", "[sasl][choose]") {
  std::error_code ec;
  // Every mechanism, even the challenge-response ones, is refused in the clear.
  for (const char* m : {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"}) {
    CAPTURE(m);
    CHECK(pick({m}, password, ec, {}, /*tls=*/false, /*allow=*/false).empty());
    CHECK(ec == errc::plaintext_refused);
    CHECK(ec == condition::tls_failed);
    CHECK(pick({m}, password, ec, m, false, false).empty());
    CHECK(ec == errc::plaintext_refused);
    CHECK(pick({m}, password, ec, {}, false, /*allow=*/true) == m);
    CHECK_FALSE(ec);
  }
  for (const char* m : {"XOAUTH2", "OAUTHBEARER"}) {
    CAPTURE(m);
    CHECK(pick({m}, token, ec, {}, false, false).empty());
    CHECK(ec == errc::plaintext_refused);
    CHECK(pick({m}, token, ec, {}, false, true) == m);
  }
  // allow_plaintext changes nothing once TLS is active.
  CHECK(pick({"PLAIN"}, password, ec, {}, true, true) == "PLAIN");
}

TEST_CASE("choose: credentials with both or neither secret are refused", "[sasl][choose]") {
  std::error_code ec;
  credentials both = password;
  both.token = "tok";
  CHECK(pick({"PLAIN", "XOAUTH2"}, both, ec).empty());
  CHECK(ec == errc::credential_kind_mismatch);
  CHECK(pick({"PLAIN"}, credentials{"bob", "", "", ""}, ec).empty());
  CHECK(ec == errc::credential_kind_mismatch);
}

TEST_CASE("is_plaintext_equivalent", "[sasl][choose]") {
  CHECK(sasl::is_plaintext_equivalent("PLAIN"));
  CHECK(sasl::is_plaintext_equivalent("login"));
  CHECK(sasl::is_plaintext_equivalent("XOAUTH2"));
  CHECK(sasl::is_plaintext_equivalent("OAUTHBEARER"));
  CHECK_FALSE(sasl::is_plaintext_equivalent("CRAM-MD5"));
  CHECK_FALSE(sasl::is_plaintext_equivalent("SCRAM-SHA-256"));
  CHECK_FALSE(sasl::is_plaintext_equivalent("GSSAPI"));
}
