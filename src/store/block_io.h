#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/common/status.h"

namespace hedgerow::store {

// One compressed block as stored in a column file:
//   u64 checksum (CityHash64 of everything after it), u8 codec, u32 compressed size,
//   u32 raw size, payload.
// The checksum lets `store check` and every read find damage in the block it hits.
enum class BlockCodec : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

inline constexpr size_t kBlockHeaderSize = 17;

// Compresses `size` bytes at `data` and appends the block to `out`.
void AppendBlock(std::string& out, const void* data, size_t size, BlockCodec codec);

struct BlockView {
  BlockCodec codec = BlockCodec::kNone;
  size_t raw_size = 0;
  std::string_view payload;
  size_t next = 0;  // offset of the following block
};

// Parses and checksums the block at `pos` of `file`; kCorruption when damaged or truncated.
Result<BlockView> ParseBlock(std::string_view file, size_t pos);
// Decompresses into `dst`, which has room for block.raw_size bytes.
Status DecompressBlock(const BlockView& block, void* dst);

// The store's file calls. Each asks the fault seam first (hedgerow/store/file_faults.h) and
// fails with kIOError naming the path and the errno.
Result<int> CreateFile(const std::string& path);  // opened for writing, truncated
Status WriteAll(int fd, std::string_view data, const std::string& path);  // retries short writes
Status DataSync(int fd, const std::string& path);

// Files written for durability: the data, then fsync.
Status WriteFileDurably(const std::string& path, std::string_view data);

// The files of a part, made durable together: each one's writeback starts as soon as it is
// written (sync_file_range), and SyncAll() fdatasyncs them all at the end. Done file by file,
// each fsync waited for its own journal commit (two per column: ~45 for an events part, the
// most of a lone event's time to queries); batched, the first commit carries the others.
class FileSyncBatch {
 public:
  FileSyncBatch() = default;
  ~FileSyncBatch();  // closes the files it created
  FileSyncBatch(const FileSyncBatch&) = delete;
  FileSyncBatch& operator=(const FileSyncBatch&) = delete;

  // Creates (truncates) `path`, writes `data` and starts its writeback.
  Status Write(const std::string& path, std::string_view data);
  // A file written by its owner (who keeps it open until SyncAll returns): starts its writeback.
  void Add(int fd, const std::string& path);
  // fdatasync of every file, in the order given.
  Status SyncAll();

 private:
  struct File {
    int fd;
    std::string path;
    bool owned;
  };
  std::vector<File> files_;
};
Status SyncDirectory(const std::string& path);
Result<std::string> ReadWholeFile(const std::string& path);
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t size);

// Sizes `buffer` to `size` bytes, allocating exactly that much when it must grow (not the
// doubling std::string does), so a reused buffer holds the largest block and no more.
void ResizeBuffer(std::string& buffer, size_t size);

// An open file read at offsets. A part deleted after Open stays readable through it (the
// inode lives while the descriptor does). Not thread-safe.
class ReadOnlyFile {
 public:
  // kIOError naming the path when it cannot be opened (also when it does not exist).
  static Result<std::unique_ptr<ReadOnlyFile>> Open(const std::string& path);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // Reads exactly `size` bytes at `offset` into `dst`; kCorruption when the file is shorter.
  Status ReadAt(uint64_t offset, size_t size, char* dst) const;

 private:
  ReadOnlyFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  const std::string path_;
  const int fd_;
  const uint64_t size_;  // at Open: parts are immutable
};

// Reads a file's blocks front to back, one at a time, holding only the current block: what
// `store check` needs is the largest block, not the file. Not thread-safe.
class BlockFileReader {
 public:
  explicit BlockFileReader(std::unique_ptr<ReadOnlyFile> file) : file_(std::move(file)) {}

  const ReadOnlyFile& file() const { return *file_; }
  uint64_t offset() const { return offset_; }  // where the next block starts
  // Reads and checksums the block at offset() and moves past it. The view (and its `next`,
  // an offset in the file) stays valid until the next call. kCorruption when the block is
  // damaged or runs past the end of the file.
  Result<BlockView> Next();
  size_t buffer_bytes() const { return buffer_.capacity(); }

 private:
  std::unique_ptr<ReadOnlyFile> file_;
  uint64_t offset_ = 0;
  std::string buffer_;  // the current block, header and payload
};

}  // namespace hedgerow::store
