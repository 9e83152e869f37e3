// Private to src/sasl: constructors of the concrete mechanisms and small shared helpers.
#pragma once

#include <mailproto/sasl/mechanism.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace mailproto::sasl::detail {

/// ASCII case-insensitive equality (mechanism names, RFC 4422 §3.1).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// True if `s` holds any byte of `bytes`.
bool contains_any(std::string_view s, std::string_view bytes) noexcept;

/// Untrusted server text made printable: CR/LF/TAB become ' ', other control bytes '?',
/// at most 1024 bytes kept.
std::string sanitize_detail(std::string_view s);

/// RFC 5801 §4 saslname escaping: "=" -> "=3D", "," -> "=2C".
std::string escape_saslname(std::string_view s);

/// Overwrites a string's bytes before it is freed (passwords, keys).
void wipe(std::string& s) noexcept;

// Each make_* checks `creds` for the mechanism (unsafe_credential) and returns the object.
std::unique_ptr<mechanism> make_plain(const credentials&, const mechanism_options&,
                                      std::error_code&);
std::unique_ptr<mechanism> make_login(const credentials&, const mechanism_options&,
                                      std::error_code&);
std::unique_ptr<mechanism> make_cram_md5(const credentials&, const mechanism_options&,
                                         std::error_code&);
std::unique_ptr<mechanism> make_xoauth2(const credentials&, const mechanism_options&,
                                        std::error_code&);
std::unique_ptr<mechanism> make_oauthbearer(const credentials&, const mechanism_options&,
                                            std::error_code&);
std::unique_ptr<mechanism> make_scram_sha256(const credentials&, const mechanism_options&,
                                             std::error_code&);

}  // namespace mailproto::sasl::detail
