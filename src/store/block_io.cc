#include "block_io.h"

#include <fcntl.h>
#include <lz4.h>
#include <unistd.h>
#include <zstd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "hedgerow/common/hash.h"
#include "hedgerow/store/file_faults.h"

namespace hedgerow::store {
namespace {

constexpr int kZstdLevel = 1;

template <class T>
void PutLe(char* at, T v) {
  std::memcpy(at, &v, sizeof(T));
}
template <class T>
T GetLe(const char* at) {
  T v;
  std::memcpy(&v, at, sizeof(T));
  return v;
}

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// The installed fault hook. `faults_installed` keeps the production path to one relaxed load;
// the mutex lets a test remove its hook while store threads may be asking it.
std::atomic<bool> faults_installed{false};
std::mutex faults_mu;
std::shared_ptr<const FileFaultHook> faults;  // guarded by faults_mu

// Sets errno and returns true when the seam fails this operation.
bool Injected(FileOp op, const std::string& path) {
  if (!faults_installed.load(std::memory_order_relaxed)) return false;
  std::shared_ptr<const FileFaultHook> hook;
  {
    std::lock_guard<std::mutex> lock(faults_mu);
    hook = faults;
  }
  const int error = hook ? (*hook)(op, path) : 0;
  if (error == 0) return false;
  errno = error;
  return true;
}

}  // namespace

ScopedFileFaults::ScopedFileFaults(FileFaultHook hook) {
  std::lock_guard<std::mutex> lock(faults_mu);
  faults = std::make_shared<const FileFaultHook>(std::move(hook));
  faults_installed = true;
}

ScopedFileFaults::~ScopedFileFaults() {
  std::lock_guard<std::mutex> lock(faults_mu);
  faults.reset();
  faults_installed = false;
}

Result<int> CreateFile(const std::string& path) {
  int fd = Injected(FileOp::kCreate, path) ? -1 : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", path);
  return fd;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  if (Injected(FileOp::kWrite, path)) return ErrnoStatus("cannot write", path);
  for (size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status DataSync(int fd, const std::string& path) {
  if (Injected(FileOp::kSync, path) || ::fdatasync(fd) != 0) return ErrnoStatus("cannot fsync", path);
  return Status::Ok();
}

void AppendBlock(std::string& out, const void* data, size_t size, BlockCodec codec) {
  size_t at = out.size();
  size_t bound = codec == BlockCodec::kZstd  ? ZSTD_compressBound(size)
                 : codec == BlockCodec::kLz4 ? static_cast<size_t>(LZ4_compressBound(static_cast<int>(size)))
                                             : size;
  out.resize(at + kBlockHeaderSize + bound);
  char* payload = out.data() + at + kBlockHeaderSize;
  size_t compressed = size;
  if (codec == BlockCodec::kLz4) {
    compressed = static_cast<size_t>(LZ4_compress_default(static_cast<const char*>(data), payload,
                                                          static_cast<int>(size), static_cast<int>(bound)));
  } else if (codec == BlockCodec::kZstd) {
    compressed = ZSTD_compress(payload, bound, data, size, kZstdLevel);
    if (ZSTD_isError(compressed)) compressed = 0;
  }
  if (codec != BlockCodec::kNone && (compressed == 0 || compressed >= size)) {
    codec = BlockCodec::kNone;  // incompressible (or empty): store as is
    compressed = size;
  }
  if (codec == BlockCodec::kNone && size > 0) std::memcpy(payload, data, size);
  out.resize(at + kBlockHeaderSize + compressed);
  char* header = out.data() + at;
  header[8] = static_cast<char>(codec);
  PutLe<uint32_t>(header + 9, static_cast<uint32_t>(compressed));
  PutLe<uint32_t>(header + 13, static_cast<uint32_t>(size));
  PutLe<uint64_t>(header, CityHash64(std::string_view(header + 8, kBlockHeaderSize - 8 + compressed)));
}

Result<BlockView> ParseBlock(std::string_view file, size_t pos) {
  if (pos > file.size() || file.size() - pos < kBlockHeaderSize) {
    return Status::Corruption("truncated block header at offset " + std::to_string(pos));
  }
  const char* header = file.data() + pos;
  BlockView block;
  uint8_t codec = static_cast<uint8_t>(header[8]);
  uint32_t compressed = GetLe<uint32_t>(header + 9);
  block.raw_size = GetLe<uint32_t>(header + 13);
  if (codec > 2) return Status::Corruption("unknown codec at offset " + std::to_string(pos));
  if (file.size() - pos - kBlockHeaderSize < compressed) {
    return Status::Corruption("truncated block at offset " + std::to_string(pos));
  }
  if (GetLe<uint64_t>(header) != CityHash64(std::string_view(header + 8, kBlockHeaderSize - 8 + compressed))) {
    return Status::Corruption("checksum mismatch in block at offset " + std::to_string(pos));
  }
  block.codec = static_cast<BlockCodec>(codec);
  block.payload = std::string_view(header + kBlockHeaderSize, compressed);
  block.next = pos + kBlockHeaderSize + compressed;
  return block;
}

Status DecompressBlock(const BlockView& block, void* dst) {
  switch (block.codec) {
    case BlockCodec::kNone:
      if (block.payload.size() != block.raw_size) return Status::Corruption("stored block size mismatch");
      if (block.raw_size > 0) std::memcpy(dst, block.payload.data(), block.raw_size);
      return Status::Ok();
    case BlockCodec::kLz4: {
      int n = LZ4_decompress_safe(block.payload.data(), static_cast<char*>(dst),
                                  static_cast<int>(block.payload.size()), static_cast<int>(block.raw_size));
      if (n < 0 || static_cast<size_t>(n) != block.raw_size) return Status::Corruption("bad LZ4 block");
      return Status::Ok();
    }
    case BlockCodec::kZstd: {
      size_t n = ZSTD_decompress(dst, block.raw_size, block.payload.data(), block.payload.size());
      if (ZSTD_isError(n) || n != block.raw_size) return Status::Corruption("bad ZSTD block");
      return Status::Ok();
    }
  }
  return Status::Corruption("unknown codec");
}

Status WriteFileDurably(const std::string& path, std::string_view data) {
  HEDGEROW_ASSIGN_OR_RETURN(int fd, CreateFile(path));
  Status s = WriteAll(fd, data, path);
  if (s.ok()) s = DataSync(fd, path);
  ::close(fd);
  return s;
}

FileSyncBatch::~FileSyncBatch() {
  for (const File& f : files_) {
    if (f.owned) ::close(f.fd);
  }
}

Status FileSyncBatch::Write(const std::string& path, std::string_view data) {
  HEDGEROW_ASSIGN_OR_RETURN(int fd, CreateFile(path));
  files_.push_back({fd, path, true});
  HEDGEROW_RETURN_IF_ERROR(WriteAll(fd, data, path));
  ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint: SyncAll is what makes it durable
  return Status::Ok();
}

void FileSyncBatch::Add(int fd, const std::string& path) {
  files_.push_back({fd, path, false});
  ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

Status FileSyncBatch::SyncAll() {
  for (const File& f : files_) HEDGEROW_RETURN_IF_ERROR(DataSync(f.fd, f.path));
  return Status::Ok();
}

Status SyncDirectory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", path);
  int rc = Injected(FileOp::kSync, path) ? -1 : ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("cannot fsync directory", path);
  return Status::Ok();
}

Result<std::unique_ptr<ReadOnlyFile>> ReadOnlyFile::Open(const std::string& path) {
  int fd = Injected(FileOp::kRead, path) ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0) {
    Status s = ErrnoStatus("cannot size", path);
    ::close(fd);
    return s;
  }
  return std::unique_ptr<ReadOnlyFile>(new ReadOnlyFile(path, fd, static_cast<uint64_t>(size)));
}

ReadOnlyFile::~ReadOnlyFile() { ::close(fd_); }

Status ReadOnlyFile::ReadAt(uint64_t offset, size_t size, char* dst) const {
  size_t done = 0;
  while (done < size) {
    ssize_t n = Injected(FileOp::kRead, path_) ? -1 : ::pread(fd_, dst + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read", path_);
    if (n == 0) return Status::Corruption("file shorter than expected: " + path_);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t size) {
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> file, ReadOnlyFile::Open(path));
  std::string out(size, '\0');
  HEDGEROW_RETURN_IF_ERROR(file->ReadAt(offset, size, out.data()));
  return out;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> file, ReadOnlyFile::Open(path));
  std::string out(file->size(), '\0');
  HEDGEROW_RETURN_IF_ERROR(file->ReadAt(0, out.size(), out.data()));
  return out;
}

void ResizeBuffer(std::string& buffer, size_t size) {
  if (size > buffer.capacity()) {
    std::string grown;
    grown.reserve(size);  // from empty: exactly `size`
    buffer.swap(grown);
  }
  buffer.resize(size);
}

Result<BlockView> BlockFileReader::Next() {
  const uint64_t size = file_->size();
  if (offset_ > size || size - offset_ < kBlockHeaderSize) {
    return Status::Corruption("truncated block header at offset " + std::to_string(offset_));
  }
  // The payload size comes from a header not yet checksummed: bound it by the file before
  // allocating, so a damaged header cannot ask for gigabytes.
  char header[kBlockHeaderSize];
  HEDGEROW_RETURN_IF_ERROR(file_->ReadAt(offset_, kBlockHeaderSize, header));
  uint32_t compressed = GetLe<uint32_t>(header + 9);
  if (size - offset_ - kBlockHeaderSize < compressed) {
    return Status::Corruption("truncated block at offset " + std::to_string(offset_));
  }
  ResizeBuffer(buffer_, kBlockHeaderSize + compressed);
  std::memcpy(buffer_.data(), header, kBlockHeaderSize);
  HEDGEROW_RETURN_IF_ERROR(file_->ReadAt(offset_ + kBlockHeaderSize, compressed, buffer_.data() + kBlockHeaderSize));
  Result<BlockView> block = ParseBlock(buffer_, 0);
  if (!block.ok()) {  // ParseBlock's offsets are the buffer's: say where in the file
    const char* what = static_cast<uint8_t>(header[8]) > 2 ? "unknown codec" : "checksum mismatch";
    return Status::Corruption(std::string(what) + " in block at offset " + std::to_string(offset_));
  }
  offset_ += block->next;
  block->next = offset_;
  return block;
}

}  // namespace hedgerow::store
