// Test that the header is self-contained.
#include <mailproto/sasl/mechanism.hpp>

#include <catch2/catch.hpp>

using namespace mailproto;
using sasl::credentials;
using sasl::errc;

namespace {

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

}  // namespace

// ---------------------------------------------------------------------------------------
// errors

TEST_CASE("sasl errc: category, messages and conditions", "[sasl][errc]") {
  std::error_code ec = errc::plaintext_refused;
  CHECK(std::string(ec.category().name()) == "mailproto.sasl");
  CHECK(ec.message().find("unencrypted") != std::string::npos);
  CHECK(ec == condition::tls_failed);
  CHECK(std::error_code(errc::authentication_failed) == condition::auth_failed);
  CHECK(std::error_code(errc::no_common_mechanism) == condition::auth_failed);
  CHECK(std::error_code(errc::mechanism_not_offered) == condition::auth_failed);
  CHECK(std::error_code(errc::server_signature_mismatch) == condition::auth_failed);
  CHECK(std::error_code(errc::unsafe_credential) == condition::bad_argument);
  CHECK(std::error_code(errc::bad_challenge) == condition::protocol_violation);
  CHECK_FALSE(std::error_code(errc::bad_challenge) == condition::auth_failed);
  CHECK(is_fatal(errc::server_signature_mismatch));
  CHECK_FALSE(is_fatal(errc::authentication_failed));
  CHECK_FALSE(is_fatal(errc::bad_challenge));
}

// ---------------------------------------------------------------------------------------
// make_mechanism

TEST_CASE("make_mechanism: names, kinds and refusals", "[sasl][factory]") {
  const auto pw = credentials::with_password("tim", "tanstaaftanstaaf");
  const auto tok = credentials::with_token("user@example.com", "ya29.token");
  for (auto name : sasl::supported_mechanisms()) {
    CAPTURE(name);
    const bool oauth = name == "XOAUTH2" || name == "OAUTHBEARER";
    auto m = sasl::make_mechanism(name, oauth ? tok : pw);
    REQUIRE(m);
    CHECK(m->name() == name);
    CHECK(m->is_secret_response());
    CHECK(m->error_detail().empty());
    // The wrong kind of credential is refused.
    std::error_code ec;
    CHECK_FALSE(sasl::make_mechanism(name, oauth ? pw : tok, {}, ec));
    CHECK(ec == errc::credential_kind_mismatch);
  }
  std::error_code ec;
  CHECK(sasl::make_mechanism("scram-sha-256", pw));  // case-insensitive (RFC 4422 §3.1)
  CHECK_FALSE(sasl::make_mechanism("DIGEST-MD5", pw, {}, ec));
  CHECK(ec == errc::unknown_mechanism);
  CHECK_FALSE(sasl::make_mechanism("SCRAM-SHA-256-PLUS", pw));
  // Both or neither of password/token.
  credentials both = pw;
  both.token = "t";
  CHECK_FALSE(sasl::make_mechanism("PLAIN", both, {}, ec));
  CHECK(ec == errc::credential_kind_mismatch);
  CHECK_FALSE(sasl::make_mechanism("PLAIN", credentials{"tim", "", "", ""}, {}, ec));
  CHECK(ec == errc::credential_kind_mismatch);
  // Line breaks or NUL in a user name: refused for every mechanism.
  for (auto name : sasl::supported_mechanisms()) {
    CAPTURE(name);
    const bool oauth = name == "XOAUTH2" || name == "OAUTHBEARER";
    for (std::string user : {std::string("a\r\nb"), std::string("a\nb"), std::string("a\0b", 3)}) {
      auto c =
          oauth ? credentials::with_token(user, "tok") : credentials::with_password(user, "pw");
      CHECK_FALSE(sasl::make_mechanism(name, c, {}, ec));
      CHECK(ec == errc::unsafe_credential);
    }
  }
}

// ---------------------------------------------------------------------------------------
// PLAIN

TEST_CASE("PLAIN: RFC 4616 §4 examples", "[sasl][plain]") {
  // Example 1: no authzid; the client waits for the server's empty challenge ("+ \"\"").
  auto m = sasl::make_mechanism("PLAIN", credentials::with_password("tim", "tanstaaftanstaaf"));
  REQUIRE(m);
  CHECK(m->client_first());
  const std::string r = respond(*m, "");
  CHECK(r == std::string("\0tim\0tanstaaftanstaaf", 21));  // the RFC's {21} literal
  CHECK(r == sasl::plain_response("", "tim", "tanstaaftanstaaf"));
  std::error_code ec;
  m->verify_success("", ec);
  CHECK_FALSE(ec);
  CHECK(respond_error(*m, "") == errc::unexpected_challenge);

  // Example 2: authzid "Ursel", authcid "Kurt", as an initial response ({20+}).
  auto c = credentials::with_password("Kurt", "xipj3plmq");
  c.authzid = "Ursel";
  auto m2 = sasl::make_mechanism("PLAIN", c);
  REQUIRE(m2);
  CHECK(respond(*m2, "") == std::string("Ursel\0Kurt\0xipj3plmq", 20));
}

TEST_CASE("PLAIN: unsafe credentials are refused before anything is sent", "[sasl][plain]") {
  std::error_code ec;
  CHECK_FALSE(sasl::make_mechanism(
      "PLAIN", credentials::with_password("tim", std::string("pa\0ss", 5)), {}, ec));
  CHECK(ec == errc::unsafe_credential);
  auto c = credentials::with_password("tim", "pw");
  c.authzid = std::string("a\0b", 3);
  CHECK_FALSE(sasl::make_mechanism("PLAIN", c, {}, ec));
  CHECK(ec == errc::unsafe_credential);
  CHECK_FALSE(sasl::make_mechanism("PLAIN", credentials::with_password("", "pw"), {}, ec));
  CHECK(ec == errc::unsafe_credential);
  // A CR/LF in a PLAIN password is only bytes inside base64: allowed.
  CHECK(sasl::make_mechanism("PLAIN", credentials::with_password("tim", "a\r\nb")));
}

// ---------------------------------------------------------------------------------------
// LOGIN

TEST_CASE("LOGIN: answers the Username:/Password: prompts", "[sasl][login]") {
  auto m = sasl::make_mechanism("LOGIN", credentials::with_password("bob", "hunter2"));
  REQUIRE(m);
  CHECK_FALSE(m->client_first());
  CHECK(respond(*m, "Username:") == "bob");
  CHECK(respond(*m, "Password:") == "hunter2");
  CHECK(respond_error(*m, "Password:") == errc::unexpected_challenge);

  // Other spellings seen in the wild ("User Name\0", lower case) are accepted.
  auto m2 = sasl::make_mechanism("LOGIN", credentials::with_password("bob", "hunter2"));
  CHECK(respond(*m2, std::string_view("User Name\0", 10)) == "bob");
  CHECK(respond(*m2, "password:") == "hunter2");
}

TEST_CASE("LOGIN: a password prompt first is refused (password never sent as user name)",
          "[sasl][login]") {
  auto m = sasl::make_mechanism("LOGIN", credentials::with_password("bob", "hunter2"));
  REQUIRE(m);
  CHECK(respond_error(*m, "Password:") == errc::bad_challenge);
  auto m2 = sasl::make_mechanism("LOGIN", credentials::with_password("bob", "hunter2"));
  CHECK(respond(*m2, "Username:") == "bob");
  CHECK(respond_error(*m2, "Username:") == errc::bad_challenge);
}

// ---------------------------------------------------------------------------------------
// CRAM-MD5

TEST_CASE("CRAM-MD5: RFC 2195 §2 example", "[sasl][cram-md5]") {
  auto m = sasl::make_mechanism("CRAM-MD5", credentials::with_password("tim", "tanstaaftanstaaf"));
  REQUIRE(m);
  CHECK_FALSE(m->client_first());
  // The RFC shows the base64 of both sides; decode them with our helper too.
  auto challenge = sasl::base64_decode("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  REQUIRE(challenge);
  CHECK(*challenge == "<1896.697170952@postoffice.reston.mci.net>");
  const std::string r = respond(*m, *challenge);
  CHECK(r == "tim b913a602c7eda7a495b4e6e7334d3890");
  CHECK(sasl::base64_encode(r) == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  CHECK(respond_error(*m, *challenge) == errc::unexpected_challenge);
}

TEST_CASE("CRAM-MD5: empty or oversized challenge", "[sasl][cram-md5]") {
  auto m = sasl::make_mechanism("CRAM-MD5", credentials::with_password("tim", "x"));
  REQUIRE(m);
  CHECK(respond_error(*m, "") == errc::bad_challenge);
  sasl::mechanism_options o;
  o.max_challenge = 16;
  auto m2 = sasl::make_mechanism("CRAM-MD5", credentials::with_password("tim", "x"), o);
  REQUIRE(m2);
  CHECK(respond_error(*m2, std::string(17, 'a')) == errc::challenge_too_long);
}

// ---------------------------------------------------------------------------------------
// XOAUTH2

TEST_CASE("XOAUTH2: initial response in Google's format", "[sasl][xoauth2]") {
  auto m = sasl::make_mechanism(
      "XOAUTH2", credentials::with_token("someuser@example.com",
                                         "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"));
  REQUIRE(m);
  CHECK(m->client_first());
  const std::string r = respond(*m, "");
  CHECK(r ==
        "user=someuser@example.com\x01"
        "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01");
  // The base64 form printed in Google's XOAUTH2 protocol document.
  CHECK(sasl::base64_encode(r) ==
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNr"
        "QmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
  std::error_code ec;
  m->verify_success("", ec);
  CHECK_FALSE(ec);
}

TEST_CASE("XOAUTH2: error challenge -> empty response, JSON kept as detail", "[sasl][xoauth2]") {
  auto m = sasl::make_mechanism("XOAUTH2", credentials::with_token("u@example.com", "tok"));
  REQUIRE(m);
  respond(*m, "");
  // {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}\n, base64'd.
  auto json = sasl::base64_decode(
      "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xl"
      "LmNvbS8ifQo=");
  REQUIRE(json);
  CHECK(respond(*m, *json).empty());
  CHECK(m->error_detail() ==
        R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"} )");
  CHECK(respond_error(*m, "more") == errc::unexpected_challenge);
}

TEST_CASE("XOAUTH2: unsafe user or token refused", "[sasl][xoauth2]") {
  std::error_code ec;
  CHECK_FALSE(sasl::make_mechanism("XOAUTH2",
                                   credentials::with_token("a\x01"
                                                           "b",
                                                           "t"),
                                   {}, ec));
  CHECK(ec == errc::unsafe_credential);
  CHECK_FALSE(sasl::make_mechanism("XOAUTH2", credentials::with_token("a", "t\x01"), {}, ec));
  CHECK(ec == errc::unsafe_credential);
  CHECK_FALSE(sasl::make_mechanism("XOAUTH2", credentials::with_token("a", "t t"), {}, ec));
  CHECK(ec == errc::unsafe_credential);
  CHECK_FALSE(sasl::make_mechanism("XOAUTH2", credentials::with_token("", "t"), {}, ec));
  CHECK(ec == errc::unsafe_credential);
}

// ---------------------------------------------------------------------------------------
// OAUTHBEARER

TEST_CASE("OAUTHBEARER: RFC 7628 §4.1 initial responses (IMAP and SMTP)", "[sasl][oauthbearer]") {
  const auto c =
      credentials::with_token("user@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
  sasl::mechanism_options o;
  o.host = "server.example.com";
  o.port = 143;
  auto imap = sasl::make_mechanism("OAUTHBEARER", c, o);
  REQUIRE(imap);
  CHECK(imap->client_first());
  const std::string r = respond(*imap, "");
  CHECK(r ==
        "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
        "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
  CHECK(sasl::base64_encode(r) ==
        "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyI"
        "HZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
  o.port = 587;
  auto smtp = sasl::make_mechanism("OAUTHBEARER", c, o);
  REQUIRE(smtp);
  CHECK(sasl::base64_encode(respond(*smtp, "")) ==
        "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVy"
        "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
}

TEST_CASE("OAUTHBEARER: host/port optional, gs2 saslname escaped", "[sasl][oauthbearer]") {
  auto m = sasl::make_mechanism("OAUTHBEARER", credentials::with_token("a=b,c", "tok"));
  REQUIRE(m);
  CHECK(respond(*m, "") ==
        "n,a=a=3Db=2Cc,\x01"
        "auth=Bearer tok\x01\x01");
  std::error_code ec;
  sasl::mechanism_options o;
  o.host = "evil\x01port=1";
  CHECK_FALSE(sasl::make_mechanism("OAUTHBEARER", credentials::with_token("u", "tok"), o, ec));
  CHECK(ec == errc::unsafe_credential);
}

TEST_CASE("OAUTHBEARER: RFC 7628 §4.4 failure -> ^A response, JSON detail", "[sasl][oauthbearer]") {
  auto m = sasl::make_mechanism(
      "OAUTHBEARER", credentials::with_token("someuser@example.com",
                                             "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg=="));
  REQUIRE(m);
  // (The RFC's own initial response in §4.4 spells the gs2 header "n,user=...", which is
  // not RFC 5801 syntax; we send "n,a=...".)
  CHECK(respond(*m, "").substr(0, 25) == "n,a=someuser@example.com,");
  auto json = sasl::base64_decode(
      "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBzOi8v"
      "bWFpbC5leGFtcGxlLmNvbS8ifQ==");
  REQUIRE(json);
  const std::string r = respond(*m, *json);
  CHECK(r == "\x01");
  CHECK(sasl::base64_encode(r) == "AQ==");  // as in the RFC
  CHECK(m->error_detail() ==
        R"({"status":"invalid_token","schemes":"bearer mac","scope":"https://mail.example.com/"})");
  CHECK(respond_error(*m, "x") == errc::unexpected_challenge);
}
