#include "hedgerow/store/part.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "block_io.h"
#include "hedgerow/common/hash.h"
#include "hedgerow/common/log.h"
#include "hedgerow/store/part_check.h"

namespace hedgerow::store {
namespace {

namespace fs = std::filesystem;

// meta.json ends with this member, then the hex digits and `"}`.
constexpr std::string_view kChecksumMember = R"(,"checksum":")";
constexpr size_t kChecksumDigits = 16;
constexpr size_t kChecksumSuffixSize = kChecksumMember.size() + kChecksumDigits + 2;
// Every member an unchecksummed (older) meta.json may have.
constexpr std::string_view kLegacyMembers[] = {"table", "shard", "partition", "name", "rows", "granules", "min_time",
                                               "max_time", "bytes_on_disk", "uncompressed_bytes", "log_offsets",
                                               "columns"};

BlockCodec CodecFor(bool zstd) { return zstd ? BlockCodec::kZstd : BlockCodec::kLz4; }

// Rows [begin, end) of a column as one block (fixed width) or two (string lengths, chars).
void AppendGranule(std::string& out, const Column& c, size_t begin, size_t end, BlockCodec codec) {
  if (c.type() != Type::kString) {
    size_t width = FixedWidth(c.type());
    AppendBlock(out, c.fixed().data() + begin * width, (end - begin) * width, BlockCodec::kLz4);
    return;
  }
  std::vector<uint32_t> lengths(end - begin);
  for (size_t r = begin; r < end; ++r) lengths[r - begin] = static_cast<uint32_t>(c.StringAt(r).size());
  AppendBlock(out, lengths.data(), lengths.size() * sizeof(uint32_t), BlockCodec::kLz4);
  uint64_t first = begin == 0 ? 0 : c.offsets()[begin - 1];
  uint64_t last = end == 0 ? 0 : c.offsets()[end - 1];
  AppendBlock(out, c.chars().data() + first, last - first, codec);
}

// What rows [begin, end) of `rows` take in memory: fixed-width values, string chars and
// their lengths as a granule stores them.
uint64_t ValueBytes(const Block& rows, size_t begin, size_t end) {
  uint64_t bytes = 0;
  for (const Column& c : rows.columns) {
    if (c.type() != Type::kString) {
      bytes += (end - begin) * FixedWidth(c.type());
      continue;
    }
    uint64_t first = begin == 0 ? 0 : c.offsets()[begin - 1];
    bytes += c.offsets()[end - 1] - first + (end - begin) * sizeof(uint32_t);
  }
  return bytes;
}

// The rows [begin, end) of `rows` that go into the granule under way, which already holds
// `held_rows` rows of `held_bytes`; `full` when it closes with them: kGranuleRows rows, or
// the row that brings it to kGranuleBytes (so a granule has at least one row).
struct GranuleCut {
  size_t end;
  bool full;
};
GranuleCut CutGranule(const Block& rows, size_t begin, size_t held_rows, uint64_t held_bytes) {
  const size_t limit = std::min(rows.rows(), begin + (kGranuleRows - held_rows));
  if (held_bytes + ValueBytes(rows, begin, limit) < kGranuleBytes) {
    return {limit, held_rows + (limit - begin) == kGranuleRows};
  }
  size_t lo = begin + 1, hi = limit;  // the first end whose bytes reach kGranuleBytes
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (held_bytes + ValueBytes(rows, begin, mid) >= kGranuleBytes) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return {lo, true};
}

// Decodes `granules` granules of a column from `data` (blocks back to back) into `c`.
Status DecodeGranules(std::string_view data, size_t granules, Column& c) {
  size_t blocks_per_granule = c.type() == Type::kString ? 2 : 1;
  std::vector<BlockView> blocks;
  blocks.reserve(granules * blocks_per_granule);
  size_t pos = 0;
  size_t raw_fixed = 0;
  size_t raw_chars = 0;
  size_t values = 0;
  for (size_t i = 0; i < granules * blocks_per_granule; ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(BlockView b, ParseBlock(data, pos));
    pos = b.next;
    if (c.type() == Type::kString && i % 2 == 1) {
      raw_chars += b.raw_size;
    } else {
      raw_fixed += b.raw_size;
    }
    blocks.push_back(b);
  }
  if (pos != data.size()) return Status::Corruption("column data does not end at its last mark");
  if (c.type() != Type::kString) {
    if (raw_fixed % FixedWidth(c.type()) != 0) return Status::Corruption("column size is not a multiple of its width");
    size_t at = c.fixed().size();
    c.fixed().resize(at + raw_fixed);
    for (const BlockView& b : blocks) {
      HEDGEROW_RETURN_IF_ERROR(DecompressBlock(b, c.fixed().data() + at));
      at += b.raw_size;
    }
    return Status::Ok();
  }
  values = raw_fixed / sizeof(uint32_t);
  std::vector<uint32_t> lengths(values);
  size_t chars_at = c.chars().size();
  c.chars().resize(chars_at + raw_chars);
  c.offsets().reserve(c.offsets().size() + values);
  size_t length_at = 0;
  uint64_t end = chars_at;
  for (size_t i = 0; i < blocks.size(); i += 2) {
    if (blocks[i].raw_size % sizeof(uint32_t) != 0) return Status::Corruption("bad string lengths block");
    HEDGEROW_RETURN_IF_ERROR(DecompressBlock(blocks[i], lengths.data() + length_at));
    size_t n = blocks[i].raw_size / sizeof(uint32_t);
    uint64_t granule_chars = 0;
    for (size_t k = 0; k < n; ++k) {
      end += lengths[length_at + k];
      granule_chars += lengths[length_at + k];
      c.offsets().push_back(end);
    }
    if (granule_chars != blocks[i + 1].raw_size) return Status::Corruption("string lengths do not match chars");
    HEDGEROW_RETURN_IF_ERROR(DecompressBlock(blocks[i + 1], c.chars().data() + chars_at));
    chars_at += blocks[i + 1].raw_size;
    length_at += n;
  }
  return Status::Ok();
}

std::string MetaToJson(const PartMeta& m, const TableSchema& schema) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("table"); w.String(m.table.c_str());
  w.Key("shard"); w.Uint(m.shard);
  w.Key("partition"); w.String(m.partition.c_str());
  w.Key("name"); w.String(m.name.ToString().c_str());
  w.Key("rows"); w.Uint64(m.rows);
  w.Key("granules"); w.Uint64(m.granules);
  w.Key("min_time"); w.Int64(m.min_time);
  w.Key("max_time"); w.Int64(m.max_time);
  w.Key("bytes_on_disk"); w.Uint64(m.bytes_on_disk);
  w.Key("uncompressed_bytes"); w.Uint64(m.uncompressed_bytes);
  if (m.granule_bytes != 0) {
    w.Key("granule_bytes"); w.Uint64(m.granule_bytes);
  }
  w.Key("log_offsets");
  w.StartObject();
  for (const auto& [partition, offset] : m.log_offsets) {
    w.Key(std::to_string(partition).c_str());
    w.Uint64(offset);
  }
  w.EndObject();
  w.Key("columns");
  w.StartArray();
  for (const ColumnDef& c : schema.columns) {
    w.StartObject();
    w.Key("name"); w.String(c.name.c_str());
    w.Key("type"); w.String(std::string(TypeName(c.type)).c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string ChecksumHex(std::string_view body) { return fmt::format("{:016x}", CityHash64(body)); }

// The member goes last and is found by position, so a reader hashes the text without it
// exactly as the writer did, with no JSON re-serialisation in between.
std::string WithChecksum(std::string body) {
  std::string hex = ChecksumHex(body);
  body.pop_back();  // the closing brace
  body.append(kChecksumMember).append(hex).append("\"}");
  return body;
}

Result<PartMeta> MetaFromJson(std::string_view text, bool checksummed) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());  // a damaged file may nest anyhow
  if (d.HasParseError() || !d.IsObject()) return Status::Corruption("meta.json is not a JSON object");
  if (!checksummed) {
    for (const auto& member : d.GetObject()) {
      std::string_view key(member.name.GetString(), member.name.GetStringLength());
      if (std::find(std::begin(kLegacyMembers), std::end(kLegacyMembers), key) == std::end(kLegacyMembers)) {
        return Status::Corruption("meta.json has no valid checksum and an unknown member \"" + std::string(key) + "\"");
      }
    }
  }
  PartMeta m;
  auto u64 = [&d](const char* k) { return d.HasMember(k) && d[k].IsUint64() ? d[k].GetUint64() : 0; };
  auto i64 = [&d](const char* k) { return d.HasMember(k) && d[k].IsInt64() ? d[k].GetInt64() : 0; };
  if (!d.HasMember("name") || !d["name"].IsString() || !d.HasMember("partition") || !d["partition"].IsString() ||
      !d.HasMember("table") || !d["table"].IsString()) {
    return Status::Corruption("meta.json lacks table, partition or name");
  }
  auto name = PartName::Parse(d["name"].GetString());
  if (!name) return Status::Corruption("meta.json has a bad part name");
  m.table = d["table"].GetString();
  m.partition = d["partition"].GetString();
  m.name = *name;
  m.shard = static_cast<uint32_t>(u64("shard"));
  m.rows = u64("rows");
  m.granules = u64("granules");
  m.min_time = i64("min_time");
  m.max_time = i64("max_time");
  m.bytes_on_disk = u64("bytes_on_disk");
  m.uncompressed_bytes = u64("uncompressed_bytes");
  m.granule_bytes = u64("granule_bytes");
  const uint64_t fewest = (m.rows + kGranuleRows - 1) / kGranuleRows;
  const bool fits = m.granule_bytes == 0 ? m.granules == fewest : fewest <= m.granules && m.granules <= m.rows;
  if (!fits) {
    return Status::Corruption("meta.json: " + std::to_string(m.rows) + " rows cannot fill " + std::to_string(m.granules) +
                              " granules");
  }
  if (d.HasMember("log_offsets") && d["log_offsets"].IsObject()) {
    for (const auto& kv : d["log_offsets"].GetObject()) {
      std::string_view key(kv.name.GetString(), kv.name.GetStringLength());
      uint32_t partition = 0;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), partition);
      if (ec != std::errc() || end != key.data() + key.size() || !kv.value.IsUint64()) {
        return Status::Corruption("meta.json has a bad log offset");
      }
      m.log_offsets[partition] = kv.value.GetUint64();
    }
  }
  return m;
}

Result<std::vector<uint64_t>> LoadMarks(const std::string& path, uint64_t granules) {
  HEDGEROW_ASSIGN_OR_RETURN(std::string raw, ReadWholeFile(path));
  if (raw.size() != (granules + 1) * sizeof(uint64_t)) return Status::Corruption("marks file has the wrong size: " + path);
  std::vector<uint64_t> marks(granules + 1);
  std::memcpy(marks.data(), raw.data(), raw.size());
  if (!std::is_sorted(marks.begin(), marks.end())) return Status::Corruption("marks out of order: " + path);
  return marks;
}

}  // namespace

std::string PartName::ToString() const {
  return std::to_string(min_block) + "_" + std::to_string(max_block) + "_" + std::to_string(level);
}

std::optional<PartName> PartName::Parse(std::string_view text) {
  PartName n;
  uint64_t* fields[3] = {&n.min_block, &n.max_block, nullptr};
  uint64_t level = 0;
  fields[2] = &level;
  size_t field = 0;
  bool digits = false;
  for (char ch : text) {
    if (ch == '_') {
      if (!digits || ++field > 2) return std::nullopt;
      digits = false;
    } else if (ch >= '0' && ch <= '9') {
      *fields[field] = *fields[field] * 10 + static_cast<uint64_t>(ch - '0');
      digits = true;
    } else {
      return std::nullopt;
    }
  }
  if (field != 2 || !digits || n.min_block > n.max_block) return std::nullopt;
  n.level = static_cast<uint32_t>(level);
  return n;
}

Result<StoredPartMeta> ReadPartMeta(const std::string& dir) {
  HEDGEROW_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(dir + "/" + kPartMetaFile));
  StoredPartMeta stored;
  std::string_view view(text);
  const bool has_member = view.size() >= kChecksumSuffixSize + 1 && view.ends_with("\"}") &&
                          view.substr(view.size() - kChecksumSuffixSize, kChecksumMember.size()) == kChecksumMember;
  if (has_member) {
    std::string body(view.substr(0, view.size() - kChecksumSuffixSize));
    body += '}';
    // Compared as text: the writer's lower-case hex is the only spelling, so no flipped
    // letter case passes.
    std::string_view digits = view.substr(view.size() - 2 - kChecksumDigits, kChecksumDigits);
    if (digits != ChecksumHex(body)) return Status::Corruption("meta.json: checksum mismatch");
    stored.checksummed = true;
    HEDGEROW_ASSIGN_OR_RETURN(stored.meta, MetaFromJson(body, true));
  } else {
    HEDGEROW_ASSIGN_OR_RETURN(stored.meta, MetaFromJson(view, false));
  }
  return stored;
}

Result<std::vector<uint64_t>> GranuleStarts(const PartMeta& meta, std::string_view raw) {
  if (meta.granule_bytes == 0) {
    std::vector<uint64_t> starts(meta.granules + 1);
    for (uint64_t g = 0; g < meta.granules; ++g) starts[g] = g * kGranuleRows;
    starts[meta.granules] = meta.rows;
    return starts;
  }
  // Sized by the file before anything is allocated for the count meta.json claims.
  if (raw.size() % sizeof(uint64_t) != 0 || raw.size() / sizeof(uint64_t) != meta.granules + 1) {
    return Status::Corruption(std::string(kGranulesFile) + ": " + std::to_string(raw.size()) + " bytes, but " +
                              std::to_string(meta.granules) + " granules need " +
                              std::to_string((meta.granules + 1) * sizeof(uint64_t)));
  }
  std::vector<uint64_t> starts(meta.granules + 1);
  std::memcpy(starts.data(), raw.data(), raw.size());
  if (starts.front() != 0 || starts.back() != meta.rows) {
    return Status::Corruption(std::string(kGranulesFile) + ": granules do not cover the part's " + std::to_string(meta.rows) +
                              " rows");
  }
  for (uint64_t g = 0; g < meta.granules; ++g) {
    if (starts[g + 1] <= starts[g] || starts[g + 1] - starts[g] > kGranuleRows) {
      return Status::Corruption(std::string(kGranulesFile) + ": granule " + std::to_string(g) + " has " +
                                std::to_string(static_cast<int64_t>(starts[g + 1] - starts[g])) + " rows");
    }
  }
  return starts;
}

void SortRowsByKey(const Block& key, std::vector<uint32_t>& rows) {
  const size_t prefix = key.columns.size();
  std::stable_sort(rows.begin(), rows.end(),
                   [&](uint32_t a, uint32_t b) { return CompareKeyRows(key, a, key, b, prefix) < 0; });
}

PartWriter::PartWriter(std::string dir, const TableSchema& schema) : dir_(std::move(dir)), schema_(schema) {}

PartWriter::~PartWriter() {
  for (int fd : fds_) ::close(fd);
}

Result<std::unique_ptr<PartWriter>> PartWriter::Create(const std::string& dir, const TableSchema& schema) {
  std::error_code ec;
  if (!fs::create_directories(dir, ec) || ec) return Status::IOError("cannot create part directory " + dir);
  std::unique_ptr<PartWriter> w(new PartWriter(dir, schema));
  for (const ColumnDef& def : schema.columns) {
    std::string path = dir + "/" + DataFileName(def.name);
    HEDGEROW_ASSIGN_OR_RETURN(int fd, CreateFile(path));
    w->fds_.push_back(fd);
  }
  size_t n = schema.columns.size();
  w->buffers_.resize(n);
  w->written_.assign(n, 0);
  w->marks_.resize(n);
  return w;
}

Status PartWriter::FlushColumn(size_t column, bool all) {
  constexpr size_t kFlushBytes = 1u << 20;
  std::string& buffer = buffers_[column];
  if (buffer.empty() || (!all && buffer.size() < kFlushBytes)) return Status::Ok();
  HEDGEROW_RETURN_IF_ERROR(WriteAll(fds_[column], buffer, dir_ + "/" + DataFileName(schema_.columns[column].name)));
  written_[column] += buffer.size();
  buffer.clear();
  return Status::Ok();
}

Status PartWriter::WriteGranule(const Block& rows, const Block& key, size_t begin, size_t end) {
  if (index_.columns.empty()) {
    index_ = key.EmptyLike();
    last_key_ = key.EmptyLike();
  }
  index_.AppendRange(key, begin, begin + 1);
  last_key_ = key.EmptyLike();
  last_key_.AppendRange(key, end - 1, end);
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    const ColumnDef& def = schema_.columns[c];
    const Column& column = rows.columns[rows.Find(def.name)];
    marks_[c].push_back(written_[c] + buffers_[c].size());
    AppendGranule(buffers_[c], column, begin, end, CodecFor(def.zstd));
    HEDGEROW_RETURN_IF_ERROR(FlushColumn(c, false));
  }
  if (schema_.partition_by) {
    const Column& t = rows.columns[rows.Find(schema_.partition_by->column)];
    for (size_t r = begin; r < end; ++r) {
      int64_t micros = t.type() == Type::kDateTime ? int64_t{t.Get<uint32_t>(r)} * 1000000 : t.Get<int64_t>(r);
      min_time_ = rows_ == 0 && r == begin ? micros : std::min(min_time_, micros);
      max_time_ = rows_ == 0 && r == begin ? micros : std::max(max_time_, micros);
    }
  }
  granule_starts_.push_back(rows_);
  rows_ += end - begin;
  return Status::Ok();
}

Status PartWriter::Append(const Block& rows, const Block& key) {
  const size_t n = rows.rows();
  for (const Column& c : rows.columns) uncompressed_ += c.ByteSize();
  for (size_t at = 0; at < n;) {
    const GranuleCut cut = CutGranule(rows, at, pending_.rows(), pending_bytes_);
    if (pending_.rows() == 0 && cut.full) {
      HEDGEROW_RETURN_IF_ERROR(WriteGranule(rows, key, at, cut.end));  // straight from the block
      at = cut.end;
      continue;
    }
    if (pending_.rows() == 0) {
      pending_ = rows.EmptyLike();
      pending_key_ = key.EmptyLike();
    }
    pending_.AppendRange(rows, at, cut.end);
    pending_key_.AppendRange(key, at, cut.end);
    pending_bytes_ += ValueBytes(rows, at, cut.end);
    at = cut.end;
    if (cut.full) {
      HEDGEROW_RETURN_IF_ERROR(WriteGranule(pending_, pending_key_, 0, pending_.rows()));
      pending_ = Block();
      pending_key_ = Block();
      pending_bytes_ = 0;
    }
  }
  return Status::Ok();
}

Status PartWriter::Finish(PartMeta& meta) {
  if (pending_.rows() > 0) HEDGEROW_RETURN_IF_ERROR(WriteGranule(pending_, pending_key_, 0, pending_.rows()));
  meta.rows = rows_;
  meta.granules = granule_starts_.size();
  meta.granule_bytes = kGranuleBytes;
  meta.min_time = min_time_;
  meta.max_time = max_time_;
  meta.uncompressed_bytes = uncompressed_;
  meta.bytes_on_disk = 0;
  // Every file first, then one round of fsyncs (the part is renamed into place only after).
  FileSyncBatch durable;
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    HEDGEROW_RETURN_IF_ERROR(FlushColumn(c, true));
    const std::string& name = schema_.columns[c].name;
    durable.Add(fds_[c], dir_ + "/" + DataFileName(name));
    std::vector<uint64_t>& marks = marks_[c];
    marks.push_back(written_[c]);
    HEDGEROW_RETURN_IF_ERROR(durable.Write(
        dir_ + "/" + MarksFileName(name),
        std::string_view(reinterpret_cast<const char*>(marks.data()), marks.size() * sizeof(uint64_t))));
    meta.bytes_on_disk += written_[c] + marks.size() * sizeof(uint64_t);
  }
  granule_starts_.push_back(rows_);
  HEDGEROW_RETURN_IF_ERROR(durable.Write(dir_ + "/" + kGranulesFile,
                                         std::string_view(reinterpret_cast<const char*>(granule_starts_.data()),
                                                          granule_starts_.size() * sizeof(uint64_t))));
  meta.bytes_on_disk += granule_starts_.size() * sizeof(uint64_t);
  // The primary index: the key of each granule's first row, then of the last row.
  std::string index_data;
  if (rows_ > 0) {
    index_.AppendRange(last_key_, 0, 1);
    for (const Column& c : index_.columns) AppendGranule(index_data, c, 0, c.size(), BlockCodec::kLz4);
  } else {
    Block empty = EvaluateKey(schema_, schema_.EmptyBlock());
    for (const Column& c : empty.columns) AppendGranule(index_data, c, 0, 0, BlockCodec::kLz4);
  }
  HEDGEROW_RETURN_IF_ERROR(durable.Write(dir_ + "/" + kPrimaryIndexFile, index_data));
  meta.bytes_on_disk += index_data.size();
  std::string meta_json = WithChecksum(MetaToJson(meta, schema_));
  HEDGEROW_RETURN_IF_ERROR(durable.Write(dir_ + "/" + kPartMetaFile, meta_json));
  meta.bytes_on_disk += meta_json.size();
  HEDGEROW_RETURN_IF_ERROR(durable.SyncAll());
  return SyncDirectory(dir_);
}

Status WritePart(const std::string& dir, const TableSchema& schema, const Block& rows, const Block& key,
                 PartMeta& meta) {
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PartWriter> writer, PartWriter::Create(dir, schema));
  HEDGEROW_RETURN_IF_ERROR(writer->Append(rows, key));
  return writer->Finish(meta);
}

Result<std::shared_ptr<Part>> Part::Open(const std::string& dir, const TableSchema& schema) {
  std::shared_ptr<Part> part(new Part(dir, schema));
  HEDGEROW_ASSIGN_OR_RETURN(StoredPartMeta stored, ReadPartMeta(dir));
  part->meta_ = std::move(stored.meta);
  for (const ColumnDef& def : schema.columns) {
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<uint64_t> marks, LoadMarks(dir + "/" + MarksFileName(def.name), part->meta_.granules));
    struct stat st {};
    if (::stat((dir + "/" + DataFileName(def.name)).c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != marks.back()) {
      return Status::Corruption("column file missing or of the wrong size: " + dir + "/" + DataFileName(def.name));
    }
    part->marks_[def.name] = std::move(marks);
  }
  // After the marks: their files' sizes bound the granule count meta.json claims.
  std::string granules_raw;
  if (part->meta_.granule_bytes != 0) {
    HEDGEROW_ASSIGN_OR_RETURN(granules_raw, ReadWholeFile(dir + "/" + kGranulesFile));
  }
  HEDGEROW_ASSIGN_OR_RETURN(part->granule_starts_, GranuleStarts(part->meta_, granules_raw));
  HEDGEROW_ASSIGN_OR_RETURN(std::string index_data, ReadWholeFile(dir + "/" + kPrimaryIndexFile));
  Block index;
  size_t pos = 0;
  for (const KeyExpr& expr : schema.order_by) {
    int col = schema.Find(expr.column);
    if (col < 0) return Status::Internal("ORDER BY names an unknown column " + expr.column);
    Column c(KeyResultType(expr.function, schema.columns[col].type));
    size_t blocks = c.type() == Type::kString ? 2 : 1;
    size_t start = pos;
    for (size_t b = 0; b < blocks; ++b) {
      HEDGEROW_ASSIGN_OR_RETURN(BlockView view, ParseBlock(index_data, pos));
      pos = view.next;
    }
    HEDGEROW_RETURN_IF_ERROR(DecodeGranules(std::string_view(index_data).substr(start, pos - start), 1, c));
    index.names.push_back(expr.column);
    index.columns.push_back(std::move(c));
  }
  size_t expected = part->meta_.rows == 0 ? 0 : part->meta_.granules + 1;
  if (pos != index_data.size() || index.rows() != expected) return Status::Corruption("primary.idx does not match the part");
  part->index_ = std::move(index);
  return part;
}

Part::~Part() {
  if (!obsolete_) return;
  // Renamed first (atomic), so a crash mid-removal leaves a tmp_ directory that the next
  // start deletes, never a part with some files gone.
  fs::path dir(dir_);
  fs::path doomed = dir.parent_path() / ("tmp_delete_" + dir.filename().string());
  std::error_code ec;
  fs::rename(dir, doomed, ec);
  if (!ec) fs::remove_all(doomed, ec);
  if (ec) LogWarn("store", "cannot remove obsolete part", {{"part", dir_}, {"error", ec.message()}});
}

Status Part::ReadColumnInto(const std::string& name, Column& column, size_t first, size_t end) const {
  auto it = marks_.find(name);
  if (it == marks_.end()) return Status::NotFound("part has no column " + name);
  const std::vector<uint64_t>& marks = it->second;
  uint64_t begin = marks[first];
  HEDGEROW_ASSIGN_OR_RETURN(std::string data, ReadFileRange(dir_ + "/" + DataFileName(name), begin, marks[end] - begin));
  Status s = DecodeGranules(data, end - first, column);
  if (!s.ok()) return Status::Corruption(dir_ + "/" + DataFileName(name) + ": " + s.message());
  return Status::Ok();
}

uint64_t Part::CompressedBytes(const std::vector<std::string>& columns, size_t first, size_t end) const {
  uint64_t bytes = 0;
  for (const std::string& name : columns) {
    if (auto it = marks_.find(name); it != marks_.end()) bytes += it->second[end] - it->second[first];
  }
  return bytes;
}

Result<Block> Part::Read(const std::vector<std::string>& columns, size_t first, size_t end) const {
  Block out;
  end = std::min<size_t>(end, meta_.granules);
  for (const std::string& name : columns) {
    int col = schema_.Find(name);
    if (col < 0) return Status::NotFound("table " + schema_.name + " has no column " + name);
    Column c(schema_.columns[col].type);
    if (first < end) HEDGEROW_RETURN_IF_ERROR(ReadColumnInto(name, c, first, end));
    out.names.push_back(name);
    out.columns.push_back(std::move(c));
  }
  return out;
}

Status Part::Verify() const {
  PartCheck check = CheckPart(dir_, schema_);
  switch (check.outcome) {
    case PartCheck::Outcome::kClean:
      return Status::Ok();
    case PartCheck::Outcome::kDamaged:
      return Status(check.damage.code(), dir_ + ": " + check.damage.message());
    case PartCheck::Outcome::kMergedAway:
      return Status::NotFound("part " + dir_ + " was merged away while it was checked");
  }
  return Status::Internal("unknown check outcome");
}

}  // namespace hedgerow::store
