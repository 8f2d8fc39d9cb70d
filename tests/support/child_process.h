#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hedgerow::testing {

// A child process (e.g. build/hedgerow) with its stderr and stdout captured, for tests that check
// exit codes, signals and log lines. Killed with SIGKILL if still running at destruction.
// Not thread-safe.
class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; `env` entries ("K=V") are added to this process's environment.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stderr until a line containing `needle` arrives; returns that line, or nullopt
  // at EOF or after `timeout`.
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Keeps reading stderr for `duration`, so a chatty child never blocks on a full pipe.
  void DrainFor(std::chrono::milliseconds duration);
  void Signal(int sig);
  // Waits for exit; returns the exit code, 128+signal if killed, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Everything read from stderr and stdout so far (WaitForLine, DrainFor and Wait read them).
  const std::string& stderr_text() const { return stderr_; }
  const std::string& stdout_text() const { return stdout_; }

 private:
  bool ReadSome(std::chrono::milliseconds timeout);
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  int stdout_fd_ = -1;
  std::string stderr_;
  std::string stdout_;
  size_t scanned_ = 0;
  std::optional<int> exit_code_;
};

}  // namespace hedgerow::testing
