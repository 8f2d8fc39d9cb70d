#include "password_worker.h"

#include <algorithm>

#include "hedgerow/common/thread_priority.h"

namespace hedgerow::ui {

PasswordWorker::PasswordWorker() : thread_([this] { Run(); }) {}

PasswordWorker::~PasswordWorker() { Stop(); }

void PasswordWorker::Stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
  dropped.clear();  // outside the lock: their captures may be large
  if (thread_.joinable()) thread_.join();
}

PasswordWorker::Admission PasswordWorker::Submit(const std::string& peer, std::function<bool()> check,
                                                 std::function<void()> then) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || queue_.size() >= kMaxWaiting) return Admission::kFull;
  auto it = peers_.find(peer);
  if (it != peers_.end()) {
    if (it->second.busy) return Admission::kPeerBusy;
    if (std::chrono::steady_clock::now() < it->second.next_allowed) return Admission::kPeerWaiting;
  } else {
    if (peers_.size() >= kMaxTrackedPeers) {
      // Forget the addresses whose wait is over; if none, the one whose wait ends first.
      std::erase_if(peers_, [now = std::chrono::steady_clock::now()](const auto& p) {
        return !p.second.busy && p.second.next_allowed <= now;
      });
      if (peers_.size() >= kMaxTrackedPeers) {
        auto soonest = peers_.end();
        for (auto p = peers_.begin(); p != peers_.end(); ++p) {
          if (!p->second.busy && (soonest == peers_.end() || p->second.next_allowed < soonest->second.next_allowed)) {
            soonest = p;
          }
        }
        if (soonest == peers_.end()) return Admission::kFull;  // all busy: the queue bound holds them
        peers_.erase(soonest);
      }
    }
    it = peers_.emplace(peer, Peer{}).first;
  }
  it->second.busy = true;
  queue_.push_back({peer, std::move(check), std::move(then)});
  cv_.notify_one();
  return Admission::kQueued;
}

void PasswordWorker::Run() {
  NameCurrentThread("ui-password");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // Stop() dropped what was queued
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    bool right = false;
    try {
      right = job.check();
    } catch (...) {  // (bad_alloc) the job's answer stays the error it was given up front
    }
    lock.lock();
    Peer& p = peers_[job.peer];
    p.busy = false;
    if (right) {
      peers_.erase(job.peer);
    } else {
      p.failures = std::min(p.failures + 1, 30);
      auto wait = std::chrono::milliseconds(500) * (1LL << std::min(p.failures - 1, 7));
      p.next_allowed = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(60));
    }
    lock.unlock();
    job.then();
    job = {};  // its captures go before the lock is taken again
    lock.lock();
  }
}

}  // namespace hedgerow::ui
