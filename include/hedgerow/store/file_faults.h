#pragma once

#include <functional>
#include <memory>
#include <string>

namespace hedgerow::store {

// A seam for fault injection in the store's files, as a RocksDB FileSystem wrapper is for the
// log (LogOptions::file_system): tests make a chosen create, write, fsync or read of a part
// file fail with the errno a full or failing disk gives (ENOSPC, EIO) and check that no
// acknowledged row is lost, no half-written part is trusted, and a read error is not taken
// for damage.
enum class FileOp { kCreate, kWrite, kSync, kRead };

// Called before each file operation with its kind and path: 0 lets it proceed, an errno
// fails it as the kernel would. Called from any thread that does store I/O.
using FileFaultHook = std::function<int(FileOp op, const std::string& path)>;

// Installs `hook` for the whole process while it lives (one at a time); tests only.
class ScopedFileFaults {
 public:
  explicit ScopedFileFaults(FileFaultHook hook);
  ~ScopedFileFaults();
  ScopedFileFaults(const ScopedFileFaults&) = delete;
  ScopedFileFaults& operator=(const ScopedFileFaults&) = delete;
};

}  // namespace hedgerow::store
