#include "support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

extern char** environ;

namespace hedgerow::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int fds[2];
  int out_fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0 || pipe2(out_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& e : env) env_strings.push_back(e);
  std::vector<char*> c_argv;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (const auto& e : env_strings) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(fds[1], 2);
    dup2(out_fds[1], 1);
    // The test process may block signals; the child starts from a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  close(fds[1]);
  close(out_fds[1]);
  stderr_fd_ = fds[0];
  stdout_fd_ = out_fds[0];
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

bool ChildProcess::ReadSome(std::chrono::milliseconds timeout) {
  // Returns true when stderr made progress or stdout delivered data; false on timeout or
  // stderr EOF. A closed stdout is dropped from the poll set (poll ignores fd -1).
  pollfd p[2] = {{stderr_fd_, POLLIN, 0}, {stdout_fd_, POLLIN, 0}};
  if (poll(p, 2, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[4096];
  bool progress = false;
  if (stdout_fd_ >= 0 && p[1].revents != 0) {
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n > 0) {
      stdout_.append(buf, static_cast<size_t>(n));
      progress = true;
    } else {
      close(stdout_fd_);
      stdout_fd_ = -1;
      progress = true;
    }
  }
  if (p[0].revents != 0) {
    ssize_t n = read(stderr_fd_, buf, sizeof(buf));
    if (n <= 0) return false;
    stderr_.append(buf, static_cast<size_t>(n));
    progress = true;
  }
  return progress;
}

std::optional<std::string> ChildProcess::WaitForLine(const std::string& needle,
                                                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t newline;
    while ((newline = stderr_.find('\n', scanned_)) != std::string::npos) {
      std::string line = stderr_.substr(scanned_, newline - scanned_);
      scanned_ = newline + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !ReadSome(left)) return std::nullopt;
  }
}

void ChildProcess::DrainFor(std::chrono::milliseconds duration) {
  auto deadline = std::chrono::steady_clock::now() + duration;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    if (!ReadSome(left) && std::chrono::steady_clock::now() < deadline) {
      // EOF: the child closed stderr (exited); nothing more to drain.
      return;
    }
  }
}

void ChildProcess::Signal(int sig) { kill(pid_, sig); }

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      while (ReadSome(std::chrono::milliseconds(0))) {
      }
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    // Drain stderr while waiting so the child never blocks on a full pipe; this poll is
    // also what paces the loop.
    ReadSome(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

}  // namespace hedgerow::testing
