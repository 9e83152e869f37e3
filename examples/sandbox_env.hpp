// Reads the sandbox's MAILPROTO_* variables (eval "$(scripts/sandbox env)"), so the
// examples hold no host, port or password literals. Exits 77 (a ctest skip) without them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace example {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) {
    std::fprintf(stderr,
                 "%s is not set: run scripts/sandbox start && eval \"$(scripts/sandbox env)\"\n",
                 name);
    std::exit(77);
  }
  return v;
}

inline std::uint16_t port(const char* name) {
  return static_cast<std::uint16_t>(std::stoi(env(name)));
}

}  // namespace example
