#pragma once

// The admin password's hashing (a third of a second of CPU each) on a thread of its own, so
// that sign-ins never queue queries behind them, with a brake on guessing: one check at a
// time per client address, a growing wait after each wrong password from an address (0.5 s
// doubling to 60 s, forgotten after a right one), and at most kMaxWaiting checks queued.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace hedgerow::ui {

class PasswordWorker {
 public:
  static constexpr size_t kMaxWaiting = 16;
  // Past this many addresses with a wait, the oldest waits are forgotten.
  static constexpr size_t kMaxTrackedPeers = 10000;

  enum class Admission { kQueued, kPeerBusy, kPeerWaiting, kFull };

  PasswordWorker();
  // Stop()s. A job's answer can hold the server, and so this worker: Stop() first, from the
  // server's Stop(), so that no job is left to be its last owner.
  ~PasswordWorker();
  PasswordWorker(const PasswordWorker&) = delete;
  PasswordWorker& operator=(const PasswordWorker&) = delete;

  // Queues `check` for `peer`; it returns whether the password was right. `then` runs after
  // the outcome counts for the peer (it sends the answer: the client's next try sees it).
  // kFull once stopped.
  Admission Submit(const std::string& peer, std::function<bool()> check, std::function<void()> then);

  // Waits for the check under way; drops the queued ones unrun (their answers go unsent:
  // the server is stopping). Before the stores the checks use go. Idempotent.
  void Stop();

 private:
  struct Peer {
    bool busy = false;
    int failures = 0;
    std::chrono::steady_clock::time_point next_allowed;
  };
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  struct Job {
    std::string peer;
    std::function<bool()> check;
    std::function<void()> then;
  };
  std::deque<Job> queue_;               // guarded by mu_
  std::map<std::string, Peer> peers_;  // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  std::thread thread_;
};

}  // namespace hedgerow::ui
