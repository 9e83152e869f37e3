// tests/cli/cli_runner.hpp — run the `mailproto` binary from a Catch2 test and capture its
// exit status, stdout and stderr.
//
// The binary's path comes from MAILPROTO_CLI_PATH (a compile definition set by
// tests/CMakeLists.txt to $<TARGET_FILE:mailproto_cli>). The child runs in a new session
// (setsid), so it has no controlling terminal: a password prompt fails at once instead of
// waiting, and stderr is never a terminal (the progress bar needs MAILPROTO_PROGRESS=always).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace cli_test {

struct run_result {
  int status = -1;  ///< exit status, or -1 if killed (timeout) / not run
  std::string out, err;
};

/// Environment changes for the child: a value sets the variable, nullopt removes it.
using env_changes = std::map<std::string, std::optional<std::string>>;

/// Every MAILPROTO_* connection default removed, so a test starts from a clean slate
/// whatever the calling shell exported (e.g. after `eval "$(scripts/sandbox env)"`).
inline env_changes clean_env() {
  env_changes e;
  for (const char* n :
       {"MAILPROTO_SERVER", "MAILPROTO_HOST", "MAILPROTO_PORT", "MAILPROTO_TLS", "MAILPROTO_USER",
        "MAILPROTO_CAFILE", "MAILPROTO_PROFILE", "MAILPROTO_PASSWORD", "MAILPROTO_PROGRESS",
        "SSLKEYLOGFILE", "XDG_CONFIG_HOME"})
    e[n] = std::nullopt;
  return e;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A unique scratch directory under the build tree (or /tmp), created empty.
inline std::string scratch_dir(const std::string& tag) {
  std::string base =
#ifdef MAILPROTO_BINARY_DIR
      std::string(MAILPROTO_BINARY_DIR) + "/cli-test-tmp";
#else
      "/tmp/mailproto-cli-test";
#endif
  std::string dir = base + "/" + tag + "." + std::to_string(::getpid());
  std::string cmd = "rm -rf '" + dir + "' && mkdir -p '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) return {};
  return dir;
}

/// Run the tool with `args` (argv[1..]), environment changes `env`, stdin from
/// `stdin_file` (default /dev/null), killed after `timeout`.
inline run_result run(const std::vector<std::string>& args, const env_changes& env = clean_env(),
                      std::chrono::seconds timeout = std::chrono::seconds(60),
                      const std::string& stdin_file = "/dev/null") {
  static int counter = 0;
  run_result r;
  const std::string tmp =
      "/tmp/mailproto-cli-test." + std::to_string(::getpid()) + "." + std::to_string(++counter);
  const std::string out_path = tmp + ".out", err_path = tmp + ".err";

  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (env.count(kv.substr(0, eq))) continue;
    envs.push_back(kv);
  }
  for (const auto& [k, v] : env)
    if (v) envs.push_back(k + "=" + *v);
  std::vector<char*> envp;
  for (auto& s : envs) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string bin = MAILPROTO_CLI_PATH;
  std::vector<std::string> argv_s{bin};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return r;
  if (pid == 0) {
    ::setsid();
    const int in = ::open(stdin_file.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(bin.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int wstatus = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      wstatus = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (wstatus != -1 && WIFEXITED(wstatus)) r.status = WEXITSTATUS(wstatus);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

/// The number of lines in `s` (for "one-line error" checks).
inline std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  if (!s.empty() && s.back() != '\n') ++n;
  return n;
}

}  // namespace cli_test
