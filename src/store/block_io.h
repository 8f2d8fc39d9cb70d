#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// Files written for durability: the data, then fsync.
Status WriteFileDurably(const std::string& path, std::string_view data);
Status SyncDirectory(const std::string& path);
Result<std::string> ReadWholeFile(const std::string& path);
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, uint64_t size);

}  // namespace hedgerow::store
