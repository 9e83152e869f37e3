// mailproto/version.hpp — the library's version; the number lives in CMakeLists.txt only.
#pragma once

#include <mailproto/version_macros.hpp>

#include <string_view>

namespace mailproto {

/// The library's semantic version, e.g. "0.1.0". `mailproto --version` prints the same.
std::string_view version() noexcept;

}  // namespace mailproto
