#include "hedgerow/store/part_check.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

#include "block_io.h"
#include "hedgerow/store/part.h"

namespace hedgerow::store {
namespace {

namespace fs = std::filesystem;

// Marks read at once: a column's marks file grows with the part, so it is read in chunks.
constexpr size_t kMarksChunk = 512;

// One check of one part: walks its files in the order the header of CheckPart lists,
// reusing one decompression buffer. Not thread-safe; lives for one CheckPart call.
class Checker {
 public:
  Checker(const std::string& dir, const TableSchema& schema, const PartCheckHooks& hooks, PartCheck& out)
      : dir_(dir), schema_(schema), hooks_(hooks), out_(out) {}

  Status Run() {
    HEDGEROW_RETURN_IF_ERROR(CheckMeta());
    for (const ColumnDef& def : schema_.columns) HEDGEROW_RETURN_IF_ERROR(CheckColumn(def));
    HEDGEROW_RETURN_IF_ERROR(CheckIndex());
    if (files_bytes_ != meta_.bytes_on_disk) {
      return Status::Corruption("meta.json: bytes_on_disk is " + std::to_string(meta_.bytes_on_disk) +
                                " but the part's files hold " + std::to_string(files_bytes_));
    }
    return Status::Ok();
  }

 private:
  Result<std::unique_ptr<ReadOnlyFile>> OpenFile(const std::string& name) {
    if (hooks_.before_file) hooks_.before_file(name);
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> file, ReadOnlyFile::Open(dir_ + "/" + name));
    files_bytes_ += file->size();
    return file;
  }

  void NoteBuffers(size_t reader_bytes) {
    size_t held = reader_bytes + raw_.capacity() + marks_.capacity() * sizeof(uint64_t);
    out_.max_buffer_bytes = std::max(out_.max_buffer_bytes, held);
  }

  Status CheckMeta() {
    if (hooks_.before_file) hooks_.before_file(kPartMetaFile);
    HEDGEROW_ASSIGN_OR_RETURN(StoredPartMeta stored, ReadPartMeta(dir_));
    meta_ = std::move(stored.meta);
    if (!stored.checksummed) out_.warnings.push_back("meta.json has no checksum (written by an older version)");
    // Directories named like a part must hold that part: Table finds parts by directory name.
    std::string base = fs::path(dir_).filename().string();
    if (PartName::Parse(base) && *PartName::Parse(base) != meta_.name) {
      return Status::Corruption("meta.json: names part " + meta_.name.ToString() + " but the directory is " + base);
    }
    if (meta_.table != schema_.name) {
      return Status::Corruption("meta.json: names table " + meta_.table + " but the part is checked as " + schema_.name);
    }
    return Status::Ok();
  }

  // Where each granule starts (granules.idx, or computed for a part written before it).
  Status LoadGranules() {
    std::string raw;
    if (meta_.granule_bytes != 0) {
      HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> file, OpenFile(kGranulesFile));
      raw.resize(file->size());
      HEDGEROW_RETURN_IF_ERROR(file->ReadAt(0, raw.size(), raw.data()));
      out_.bytes_read += raw.size();
    }
    HEDGEROW_ASSIGN_OR_RETURN(granule_starts_, GranuleStarts(meta_, raw));
    return Status::Ok();
  }

  // Decompresses `block` into raw_ (checksummed already by the reader).
  Status Decompress(const BlockView& block) {
    ResizeBuffer(raw_, block.raw_size);
    ++out_.blocks;
    return DecompressBlock(block, raw_.data());
  }

  // The blocks at the reader's offset that hold `rows` values of `type`: one block of
  // fixed-width values, or string lengths then chars.
  Status CheckValues(BlockFileReader& reader, Type type, uint64_t rows) {
    HEDGEROW_ASSIGN_OR_RETURN(BlockView first, reader.Next());
    HEDGEROW_RETURN_IF_ERROR(Decompress(first));
    const size_t width = type == Type::kString ? sizeof(uint32_t) : FixedWidth(type);
    if (first.raw_size != rows * width) {
      return Status::Corruption("holds " + std::to_string(first.raw_size) + " bytes where " + std::to_string(rows) +
                                " rows take " + std::to_string(rows * width));
    }
    NoteBuffers(reader.buffer_bytes());
    if (type != Type::kString) return Status::Ok();
    uint64_t chars = 0;
    for (size_t r = 0; r < rows; ++r) {
      uint32_t length;
      std::memcpy(&length, raw_.data() + r * sizeof(uint32_t), sizeof(length));
      chars += length;
    }
    HEDGEROW_ASSIGN_OR_RETURN(BlockView second, reader.Next());
    if (second.raw_size != chars) {
      return Status::Corruption("string lengths add up to " + std::to_string(chars) + " bytes but the chars block has " +
                                std::to_string(second.raw_size));
    }
    HEDGEROW_RETURN_IF_ERROR(Decompress(second));
    NoteBuffers(reader.buffer_bytes());
    return Status::Ok();
  }

  Status CheckColumn(const ColumnDef& def) {
    const std::string marks_name = MarksFileName(def.name);
    const std::string data_name = DataFileName(def.name);
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> marks_file, OpenFile(marks_name));
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> data_file, OpenFile(data_name));
    const uint64_t count = meta_.granules + 1;  // one per granule, then the end of the data
    if (marks_file->size() != count * sizeof(uint64_t)) {
      return Status::Corruption(marks_name + ": " + std::to_string(marks_file->size()) + " bytes, but " +
                                std::to_string(meta_.granules) + " granules need " + std::to_string(count * sizeof(uint64_t)));
    }
    out_.bytes_read += marks_file->size();
    // Once the first marks file's size has bounded the granule count meta.json claims.
    if (granule_starts_.empty()) HEDGEROW_RETURN_IF_ERROR(LoadGranules());
    const uint64_t data_size = data_file->size();
    BlockFileReader data(std::move(data_file));
    uint64_t previous = 0;
    for (uint64_t at = 0; at < count; at += kMarksChunk) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kMarksChunk, count - at));
      marks_.resize(n);
      HEDGEROW_RETURN_IF_ERROR(
          marks_file->ReadAt(at * sizeof(uint64_t), n * sizeof(uint64_t), reinterpret_cast<char*>(marks_.data())));
      for (size_t i = 0; i < n; ++i) {
        const uint64_t g = at + i;
        const uint64_t mark = marks_[i];
        const std::string where = marks_name + ": mark " + std::to_string(g) + " (" + std::to_string(mark) + ")";
        if (mark > data_size) {
          return Status::Corruption(where + " points past the end of " + data_name + " (" + std::to_string(data_size) +
                                    " bytes)");
        }
        if (mark < previous) return Status::Corruption(where + " is below the mark before it (" + std::to_string(previous) + ")");
        if (mark != data.offset()) {
          const std::string granule = g == meta_.granules ? "the last granule ends" : "granule " + std::to_string(g) + " starts";
          return Status::Corruption(where + " is not where " + granule + " in " + data_name + " (byte " +
                                    std::to_string(data.offset()) + ")");
        }
        previous = mark;
        if (g == meta_.granules) break;  // the end mark
        const uint64_t rows = granule_starts_[g + 1] - granule_starts_[g];
        Status s = CheckValues(data, def.type, rows);
        if (!s.ok()) return Status(s.code(), data_name + ": granule " + std::to_string(g) + ": " + s.message());
      }
    }
    if (data.offset() != data_size) {
      return Status::Corruption(data_name + ": " + std::to_string(data_size - data.offset()) +
                                " bytes after the last granule");
    }
    out_.bytes_read += data_size;
    return Status::Ok();
  }

  Status CheckIndex() {
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<ReadOnlyFile> file, OpenFile(kPrimaryIndexFile));
    const uint64_t size = file->size();
    BlockFileReader index(std::move(file));
    const uint64_t rows = meta_.rows == 0 ? 0 : meta_.granules + 1;  // each granule's first key, then the last
    for (const KeyExpr& expr : schema_.order_by) {
      int col = schema_.Find(expr.column);
      if (col < 0) return Status::Internal("table " + schema_.name + ": ORDER BY names an unknown column " + expr.column);
      Status s = CheckValues(index, KeyResultType(expr.function, schema_.columns[col].type), rows);
      if (!s.ok()) return Status(s.code(), std::string(kPrimaryIndexFile) + ": key " + expr.column + ": " + s.message());
    }
    if (index.offset() != size) {
      return Status::Corruption(std::string(kPrimaryIndexFile) + ": " + std::to_string(size - index.offset()) +
                                " bytes after the last key column");
    }
    out_.bytes_read += size;
    return Status::Ok();
  }

  const std::string& dir_;
  const TableSchema& schema_;
  const PartCheckHooks& hooks_;
  PartCheck& out_;
  PartMeta meta_;
  std::string raw_;               // the current block, decompressed
  std::vector<uint64_t> marks_;   // the current chunk of marks
  std::vector<uint64_t> granule_starts_;
  uint64_t files_bytes_ = 0;      // sizes of the files bytes_on_disk counts
};

// A part that failed whose partition also holds a part covering it: merged away.
bool CoveredBySibling(const std::string& dir) {
  fs::path path(dir);
  std::optional<PartName> name = PartName::Parse(path.filename().string());
  if (!name) return false;
  std::error_code ec;
  for (fs::directory_iterator it(path.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    std::optional<PartName> other = PartName::Parse(it->path().filename().string());
    if (other && other->Covers(*name)) return true;
  }
  return false;
}

}  // namespace

PartCheck CheckPart(const std::string& dir, const TableSchema& schema, const PartCheckHooks& hooks) {
  PartCheck out;
  Status s = Checker(dir, schema, hooks, out).Run();
  if (s.ok()) return out;
  // A merge in a running server renames a part it replaced away, then deletes it: whatever
  // failed, a part that is gone or covered was not damaged.
  std::error_code ec;
  if ((!fs::exists(dir, ec) && !ec) || CoveredBySibling(dir)) {
    out.outcome = PartCheck::Outcome::kMergedAway;
    return out;
  }
  out.outcome = PartCheck::Outcome::kDamaged;
  out.damage = std::move(s);
  return out;
}

}  // namespace hedgerow::store
