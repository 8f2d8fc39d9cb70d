#pragma once

#include <memory>
#include <string>

#include "hedgerow/common/status.h"

namespace hedgerow::server {

// An exclusive flock(2) on <data_dir>/LOCK for the life of the object, so that two servers
// never write one data dir. The kernel drops the lock when the process dies, so a crash
// never leaves a stale lock behind. The file holds the owner's pid for the error message.
class DataDirLock {
 public:
  // kUnavailable naming the owning pid when another process holds the lock; kIOError when
  // the directory cannot be created or the file opened.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::string& data_dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace hedgerow::server
