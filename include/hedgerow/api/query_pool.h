#pragma once

// The threads queries run on. A query can take seconds; run on the HTTP server's I/O
// threads it would stall capture requests behind it, so both query surfaces hand their
// queries to this pool and answer from it. A bounded queue: past it a query is refused
// ("too many simultaneous queries") instead of piling up.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hedgerow::api {

class QueryPool {
 public:
  QueryPool(size_t threads, size_t max_waiting);
  ~QueryPool();  // Stop()s
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  // Runs `work` on a pool thread; false (and `work` dropped) when `max_waiting` queries are
  // queued already or the pool is stopping.
  bool Submit(std::function<void()> work);

  // Set once Stop() begins: running queries see it (QueryContext::stopping) and end.
  const std::atomic<bool>* stopping() const { return &stopping_; }

  // Stops taking work, lets the running and queued queries finish (they stop early: see
  // stopping()), and joins the threads. Idempotent.
  void Stop();

 private:
  void Run();

  const size_t max_waiting_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
};

}  // namespace hedgerow::api
