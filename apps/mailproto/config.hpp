// config.hpp — connection profiles for the `mailproto` tool (`--profile NAME`).
//
// The file is ~/.config/mailproto/config ($XDG_CONFIG_HOME/mailproto/config when that is
// set), INI-like:
//
//   # comment (also ';')
//   [profile sandbox]
//   server = 127.0.0.1
//   port   = 28587
//   tls    = starttls
//   user   = alice
//   cafile = /tmp/mailproto-sandbox/tls/ca.pem
//
// Keys: server, port, tls, user, cafile. A `password` key is refused: passwords come from
// MAILPROTO_PASSWORD or the prompt only, never from a file the tool reads by itself.
// Precedence: command-line flags > MAILPROTO_* environment variables > the profile.
//
// Header-only so the unit tests (tests/cli) can drive the parser without the tool.
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli::config {

/// Bounds: a config file is a few lines written by hand.
inline constexpr std::size_t max_file_size = 64 * 1024;
inline constexpr std::size_t max_line = 4096;

/// The values one `[profile NAME]` section sets (unset keys stay nullopt).
struct profile {
  std::optional<std::string> server, port, tls, user, cafile;
};

/// The config file's path: $XDG_CONFIG_HOME/mailproto/config, else
/// $HOME/.config/mailproto/config; empty when neither variable is set.
inline std::string path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (xdg && *xdg == '/') return std::string(xdg) + "/mailproto/config";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.config/mailproto/config";
  return {};
}

namespace detail {

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace detail

/// Find section `[profile NAME]` in `text` and fill `out`. Returns false with a one-line
/// `err` ("line N: ...") when the text is malformed anywhere (even outside the section:
/// a typo should not go unnoticed), holds a password, or has no such profile. `names`
/// receives every profile name found (for the "no profile" message).
inline bool parse(std::string_view text, std::string_view name, profile& out, std::string& err,
                  std::vector<std::string>* names = nullptr) {
  if (text.size() > max_file_size) {
    err = "the file is larger than 64 KiB";
    return false;
  }
  if (text.find('\0') != std::string_view::npos) {
    err = "the file holds a NUL byte";
    return false;
  }
  bool found = false, in_wanted = false;
  std::size_t lineno = 0, pos = 0;
  while (pos < text.size()) {
    ++lineno;
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    const std::string where = "line " + std::to_string(lineno) + ": ";
    if (raw.size() > max_line) {
      err = where + "longer than 4096 bytes";
      return false;
    }
    std::string_view line = detail::trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        err = where + "a section header must end with ']'";
        return false;
      }
      std::string_view inner = detail::trim(line.substr(1, line.size() - 2));
      if (inner.substr(0, 8) != "profile " && inner.substr(0, 8) != "profile\t") {
        err = where + "sections are written [profile NAME]";
        return false;
      }
      std::string_view pname = detail::trim(inner.substr(8));
      if (pname.size() >= 2 && pname.front() == '"' && pname.back() == '"')
        pname = pname.substr(1, pname.size() - 2);
      if (pname.empty()) {
        err = where + "a profile needs a name";
        return false;
      }
      if (names) names->emplace_back(pname);
      in_wanted = pname == name;
      found = found || in_wanted;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      err = where + "expected 'key = value'";
      return false;
    }
    std::string key(detail::trim(line.substr(0, eq)));
    std::string_view value = detail::trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "password" || key == "pass" || key == "passwd") {
      err = where +
            "passwords are never read from the config file: remove it and set "
            "MAILPROTO_PASSWORD or answer the prompt";
      return false;
    }
    std::optional<std::string> profile::*field = nullptr;
    if (key == "server" || key == "host")
      field = &profile::server;
    else if (key == "port")
      field = &profile::port;
    else if (key == "tls")
      field = &profile::tls;
    else if (key == "user")
      field = &profile::user;
    else if (key == "cafile")
      field = &profile::cafile;
    else {
      err = where + "unknown key '" + key + "' (known: server, port, tls, user, cafile)";
      return false;
    }
    // Values reach the wire (user, server) or the file system: no control characters.
    for (unsigned char c : value)
      if (c < 0x20 || c == 0x7f) {
        err = where + "the value of '" + key + "' holds a control character";
        return false;
      }
    if (in_wanted) out.*field = std::string(value);
  }
  if (!found) {
    err = "no [profile " + std::string(name) + "]";
    return false;
  }
  return true;
}

/// Read the config file at `file` and find profile `name` (see parse()). `err` names the
/// file on failure.
inline bool load(const std::string& file, std::string_view name, profile& out, std::string& err) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    err =
        "cannot read the config file " + file + " (needed for --profile " + std::string(name) + ")";
    return false;
  }
  std::string text(max_file_size + 1, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(f.gcount()));
  std::vector<std::string> names;
  if (!parse(text, name, out, err, &names)) {
    if (err.rfind("no [profile", 0) == 0) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      err += " in " + file + (known.empty() ? " (it has none)" : " (it has: " + known + ")");
    } else {
      err = file + ": " + err;
    }
    return false;
  }
  return true;
}

}  // namespace cli::config
