// Hash joins and ARRAY JOIN, one chunk of the left side at a time.

#include <fmt/format.h>

#include "chunk_ops.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "plan.h"

namespace hedgerow::query {
namespace {

// More rows than this out of one chunk's join or ARRAY JOIN is refused: a cross join of
// two large tables would otherwise take all memory before any limit could stop it.
constexpr size_t kMaxRowsPerStep = 50'000'000;

Status TooManyRows(const char* what) {
  return Status::InvalidArgument(fmt::format(
      "{} produces more than {} rows from one block: add a condition or a smaller table", what, kMaxRowsPerStep));
}

// The key bytes of each row (empty optional-like: a row with a NULL key never matches).
Result<std::vector<std::string>> KeyBytes(const std::vector<ColumnPtr>& keys, size_t rows, std::vector<uint8_t>& has_null) {
  std::vector<std::string> out(rows);
  has_null.assign(rows, 0);
  for (size_t r = 0; r < rows; ++r) {
    for (const ColumnPtr& k : keys) {
      if (k->IsNullAt(r)) has_null[r] = 1;
      AppendKey(out[r], *k, r);
    }
  }
  return out;
}

Result<std::vector<ColumnPtr>> CastKeys(std::vector<ColumnPtr> keys, const std::vector<DataTypePtr>& types) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i]->type->Name() != types[i]->Name()) {
      HEDGEROW_ASSIGN_OR_RETURN(keys[i], CastColumn(Materialize(keys[i]), types[i]));
    }
  }
  return keys;
}

}  // namespace

namespace {

// One String key (not Nullable): looked up by its bytes in place.
bool SingleStringKey(const std::vector<DataTypePtr>& types) { return types.size() == 1 && types[0]->id == TypeId::kString; }

// The group of each row's key (-1: no right row has it, or the key has a NULL).
Result<std::vector<int64_t>> Groups(const JoinStep& join, const std::vector<ColumnPtr>& keys, size_t rows) {
  std::vector<int64_t> out(rows, -1);
  if (SingleStringKey(join.key_types)) {
    const Column& k = *keys[0];
    for (size_t r = 0; r < rows; ++r) {
      auto it = join.string_groups.find(k.StringAt(r));
      if (it != join.string_groups.end()) out[r] = it->second;
    }
    return out;
  }
  std::vector<uint8_t> has_null;
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<std::string> bytes, KeyBytes(keys, rows, has_null));
  for (size_t r = 0; r < rows; ++r) {
    if (has_null[r]) continue;
    auto it = join.key_groups.find(bytes[r]);
    if (it != join.key_groups.end()) out[r] = it->second;
  }
  return out;
}

}  // namespace

Status BuildJoinIndex(JoinStep& join, const std::vector<ExprPtr>& right_keys, const std::vector<DataTypePtr>& left_types) {
  std::vector<ColumnPtr> keys;
  for (size_t i = 0; i < right_keys.size(); ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr k, Evaluate(*right_keys[i], join.right));
    Result<DataTypePtr> common = LeastSupertype({left_types[i], k->type});
    if (!common.ok()) {
      return Status::InvalidArgument(fmt::format("Type mismatch of columns to JOIN by: {} at left, {} at right",
                                                 left_types[i]->Name(), k->type->Name()));
    }
    join.key_types.push_back(*common);
    keys.push_back(Materialize(k));
  }
  HEDGEROW_ASSIGN_OR_RETURN(keys, CastKeys(std::move(keys), join.key_types));
  // Each right row's group (a new one per distinct key), then the rows of each group.
  std::vector<int64_t> group_of(join.right.rows, -1);
  uint32_t groups = 0;
  if (SingleStringKey(join.key_types)) {
    join.right_key = keys[0];
    for (size_t r = 0; r < join.right.rows; ++r) {
      group_of[r] = join.string_groups.try_emplace(join.right_key->StringAt(r), groups).first->second;
      if (group_of[r] == groups) ++groups;
    }
  } else {
    std::vector<uint8_t> has_null;
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<std::string> bytes, KeyBytes(keys, join.right.rows, has_null));
    for (size_t r = 0; r < join.right.rows; ++r) {
      if (has_null[r]) continue;  // a NULL key matches nothing
      group_of[r] = join.key_groups.try_emplace(std::move(bytes[r]), groups).first->second;
      if (group_of[r] == groups) ++groups;
    }
  }
  join.group_starts.assign(groups + 1, 0);
  for (int64_t g : group_of) {
    if (g >= 0) ++join.group_starts[static_cast<size_t>(g) + 1];
  }
  for (size_t g = 0; g < groups; ++g) join.group_starts[g + 1] += join.group_starts[g];
  join.group_rows.resize(join.group_starts[groups]);
  std::vector<uint32_t> filled(join.group_starts.begin(), join.group_starts.end() - 1);
  // Every row, even for ANY (which joins the first): RIGHT and FULL mark them all matched.
  for (size_t r = 0; r < join.right.rows; ++r) {
    if (group_of[r] >= 0) join.group_rows[filled[static_cast<size_t>(group_of[r])]++] = static_cast<uint32_t>(r);
  }
  if (join.kind == JoinClause::Kind::kRight || join.kind == JoinClause::Kind::kFull) {
    join.matched.reset(new std::atomic<uint8_t>[join.right.rows]());
  }
  return Status::Ok();
}

Result<Chunk> ApplyJoin(const JoinStep& join, const Chunk& left) {
  std::vector<uint32_t> left_rows, right_rows;
  const bool cross = join.kind == JoinClause::Kind::kCross || join.kind == JoinClause::Kind::kComma;
  if (cross) {
    if (left.rows * join.right.rows > kMaxRowsPerStep) return TooManyRows("CROSS JOIN");
    for (size_t l = 0; l < left.rows; ++l) {
      for (size_t r = 0; r < join.right.rows; ++r) {
        left_rows.push_back(static_cast<uint32_t>(l));
        right_rows.push_back(static_cast<uint32_t>(r));
      }
    }
  } else {
    std::vector<ColumnPtr> keys;
    for (const ExprPtr& e : join.left_keys) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr k, Evaluate(*e, left));
      keys.push_back(Materialize(k));
    }
    HEDGEROW_ASSIGN_OR_RETURN(keys, CastKeys(std::move(keys), join.key_types));
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<int64_t> groups, Groups(join, keys, left.rows));
    const bool keep_unmatched = join.kind == JoinClause::Kind::kLeft || join.kind == JoinClause::Kind::kFull;
    left_rows.reserve(left.rows);
    right_rows.reserve(left.rows);
    for (size_t l = 0; l < left.rows; ++l) {
      if (groups[l] < 0) {
        if (keep_unmatched) {
          left_rows.push_back(static_cast<uint32_t>(l));
          right_rows.push_back(kDefaultRow);
        }
        continue;
      }
      const size_t g = static_cast<size_t>(groups[l]);
      const uint32_t begin = join.group_starts[g], end = join.group_starts[g + 1];
      const uint32_t joined_end = join.any ? begin + 1 : end;
      for (uint32_t k = begin; k < joined_end; ++k) {
        left_rows.push_back(static_cast<uint32_t>(l));
        right_rows.push_back(join.group_rows[k]);
      }
      if (join.matched) {
        for (uint32_t k = begin; k < end; ++k) join.matched[join.group_rows[k]].store(1, std::memory_order_relaxed);
      }
      if (left_rows.size() > kMaxRowsPerStep) return TooManyRows("JOIN");
    }
  }
  Chunk out = GatherChunk(left, left_rows);
  for (size_t i = 0; i < join.right.columns.size(); ++i) {
    out.names.push_back(join.right.names[i]);
    out.columns.push_back(Gather(join.right.columns[i], right_rows));
  }
  return out;
}

Chunk UnmatchedRight(const JoinStep& join) {
  std::vector<uint32_t> right_rows;
  for (size_t r = 0; r < join.right.rows; ++r) {
    if (join.matched[r].load(std::memory_order_relaxed) == 0) right_rows.push_back(static_cast<uint32_t>(r));
  }
  Chunk out;
  out.rows = right_rows.size();
  const std::vector<uint32_t> defaults(right_rows.size(), kDefaultRow);
  for (size_t i = 0; i < join.left_names.size(); ++i) {
    out.names.push_back(join.left_names[i]);
    auto key = join.using_keys.find(i);
    // A USING key takes the right row's value; other left columns their defaults.
    out.columns.push_back(key != join.using_keys.end() ? Gather(key->second, right_rows)
                                                       : Gather(MakeEmpty(join.left_types[i]), defaults));
  }
  for (size_t i = 0; i < join.right.columns.size(); ++i) {
    out.names.push_back(join.right.names[i]);
    out.columns.push_back(Gather(join.right.columns[i], right_rows));
  }
  return out;
}

Result<Chunk> ApplyArrayJoin(const ArrayJoinStep& step, const Chunk& chunk) {
  std::vector<ColumnPtr> arrays;
  for (const ExprPtr& e : step.arrays) {
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr a, Evaluate(*e, chunk));
    a = Materialize(a);
    if (a->type->id != TypeId::kArray) {
      return Status::InvalidArgument(fmt::format("ARRAY JOIN requires array argument, got {} of type {}",
                                                 FormatExpr(*e), a->type->Name()));
    }
    arrays.push_back(std::move(a));
  }
  std::vector<uint32_t> rows, elements;
  for (size_t r = 0; r < chunk.rows; ++r) {
    uint64_t begin = r == 0 ? 0 : arrays[0]->offsets[r - 1];
    uint64_t size = arrays[0]->offsets[r] - begin;
    for (size_t i = 1; i < arrays.size(); ++i) {
      uint64_t b = r == 0 ? 0 : arrays[i]->offsets[r - 1];
      if (arrays[i]->offsets[r] - b != size) return Status::InvalidArgument("Sizes of ARRAY-JOIN-ed arrays do not match");
    }
    if (size == 0 && step.left) {
      rows.push_back(static_cast<uint32_t>(r));
      elements.push_back(kDefaultRow);
    }
    for (uint64_t e = 0; e < size; ++e) {
      rows.push_back(static_cast<uint32_t>(r));
      elements.push_back(static_cast<uint32_t>(begin + e));
    }
    if (rows.size() > kMaxRowsPerStep) return TooManyRows("ARRAY JOIN");
  }
  Chunk out = GatherChunk(chunk, rows);
  for (size_t i = 0; i < arrays.size(); ++i) {
    // Elements sit at the same positions in every zipped array (their sizes match).
    std::vector<uint32_t> at = elements;
    if (i > 0) {
      for (size_t k = 0; k < at.size(); ++k) {
        if (at[k] == kDefaultRow) continue;
        uint32_t r = rows[k];
        uint64_t first0 = r == 0 ? 0 : arrays[0]->offsets[r - 1];
        uint64_t first = r == 0 ? 0 : arrays[i]->offsets[r - 1];
        at[k] = static_cast<uint32_t>(first + (at[k] - first0));
      }
    }
    ColumnPtr values = Gather(arrays[i]->nested[0], at);
    int existing = out.Find(step.names[i]);
    if (existing >= 0) {
      out.columns[static_cast<size_t>(existing)] = std::move(values);
    } else {
      out.names.push_back(step.names[i]);
      out.columns.push_back(std::move(values));
    }
  }
  return out;
}

}  // namespace hedgerow::query
