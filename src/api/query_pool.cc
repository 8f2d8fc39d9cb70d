#include "hedgerow/api/query_pool.h"

#include <algorithm>

#include "hedgerow/common/thread_priority.h"

namespace hedgerow::api {

QueryPool::QueryPool(size_t threads, size_t max_waiting) : max_waiting_(max_waiting) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) threads_.emplace_back([this] {
    NameCurrentThread("query");
    Run();
  });
}

QueryPool::~QueryPool() { Stop(); }

bool QueryPool::Submit(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load() || queue_.size() >= max_waiting_) return false;
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
  return true;
}

void QueryPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.exchange(true) && threads_.empty()) return;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void QueryPool::Run() {
  while (true) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_.load() || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace hedgerow::api
