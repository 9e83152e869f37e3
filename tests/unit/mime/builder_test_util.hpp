// Helpers of the builder tests: wire checks, golden files, the Python reader.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace builder_test {

/// Every line ends in CRLF, is at most 998 octets, no bare CR or LF, no NUL.
inline void check_wire(const std::string& msg) {
  REQUIRE(msg.size() >= 2);
  CHECK(msg.compare(msg.size() - 2, 2, "\r\n") == 0);
  std::size_t line = 0, lineno = 1;
  std::string problem;
  for (std::size_t i = 0; i < msg.size() && problem.empty(); ++i) {
    const char c = msg[i];
    if (c == '\r') {
      if (i + 1 >= msg.size() || msg[i + 1] != '\n')
        problem = "bare CR";
      else if (line > 998)
        problem = "line longer than 998 octets";
      line = 0;
      ++lineno;
      ++i;
    } else if (c == '\n') {
      problem = "bare LF";
    } else if (c == '\0') {
      problem = "NUL";
    } else {
      ++line;
    }
  }
  INFO("line " << lineno);
  CHECK(problem == "");
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// A directory for this test process, removed at exit.
inline std::string temp_dir() {
  struct dir_holder {
    std::string path;
    dir_holder() {
      auto d = std::filesystem::temp_directory_path() /
               ("mailproto-builder-test-" + std::to_string(::getpid()));
      std::filesystem::create_directories(d);
      path = d.string();
    }
    ~dir_holder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const dir_holder dir;
  return dir.path;
}

/// Write `data` to a fresh file in the test's temporary directory; returns the path.
inline std::string temp_file(const std::string& name, const std::string& data) {
  static int counter = 0;
  const std::string path = temp_dir() + "/" + std::to_string(++counter) + "-" + name;
  std::ofstream(path, std::ios::binary) << data;
  return path;
}

/// Compare with tests/data/golden/<name>; MAILPROTO_UPDATE_GOLDEN=1 rewrites it instead.
inline void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(MAILPROTO_TESTS_DIR) + "/data/golden/" + name;
  const char* update = std::getenv("MAILPROTO_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("golden file rewritten: " << path);
    return;
  }
  INFO("golden file " << path << " (regenerate with MAILPROTO_UPDATE_GOLDEN=1)");
  REQUIRE(std::filesystem::exists(path));
  const std::string expected = read_file(path);
  if (expected != actual) {
    std::size_t i = 0;
    while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
    const std::size_t from = i > 60 ? i - 60 : 0;
    FAIL_CHECK("first difference at octet " << i << "\nexpected: ..." << expected.substr(from, 120)
                                            << "\nactual:   ..." << actual.substr(from, 120));
  }
}

/// JSON string literal (UTF-8 kept, controls escaped).
inline std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

/// What tests/unit/mime/python_check.py must find (values are JSON texts).
struct python_expect {
  std::map<std::string, std::string> fields;
  void set(const std::string& k, const std::string& json) { fields[k] = json; }
  std::string json() const {
    std::string out = "{";
    for (const auto& [k, v] : fields) out += (out.size() > 1 ? ", " : "") + json_str(k) + ": " + v;
    return out + "}";
  }
};

/// Run Python's email package over `msg` and check it sees what `e` says.
inline void check_python(const std::string& msg, const python_expect& e) {
  if (std::system("python3 -c 'import email.policy' >/dev/null 2>&1") != 0) {
    WARN("python3 not available: independent reader skipped");
    return;
  }
  const std::string m = temp_file("msg.eml", msg);
  const std::string j = temp_file("expect.json", e.json());
  const std::string cmd = "python3 '" + std::string(MAILPROTO_TESTS_DIR) +
                          "/unit/mime/python_check.py' '" + m + "' '" + j + "' 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  INFO("python_check.py says:\n" << out << "\nmessage in " << m << "\nexpectations " << j);
  CHECK(status == 0);
}

}  // namespace builder_test
