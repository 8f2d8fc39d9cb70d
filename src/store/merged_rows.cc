#include "merged_rows.h"

#include <algorithm>

namespace hedgerow::store {
namespace {

constexpr size_t kBlockGranules = 4;

}  // namespace

MergedRows::MergedRows(const TableSchema& schema, std::vector<Source> sources, std::vector<std::string> columns,
                       bool replacing)
    : schema_(schema), columns_(std::move(columns)), replacing_(replacing) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == schema.version_column) version_index_ = static_cast<int>(i);
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    Cursor c;
    c.next_granule = sources[i].first_granule;
    c.source = std::move(sources[i]);
    c.order = i;
    heap_.push_back(std::move(c));
  }
}

bool MergedRows::After(const Cursor& a, const Cursor& b) const {
  int c = CompareKeyRows(*a.key, a.pos, *b.key, b.pos, a.key->columns.size());
  return c != 0 ? c > 0 : a.order > b.order;
}

Status MergedRows::Load(Cursor& c) {
  c.rows.reset();
  c.key.reset();
  c.pos = 0;
  while (c.next_granule < c.source.end_granule) {
    size_t end = std::min(c.source.end_granule, c.next_granule + kBlockGranules);
    HEDGEROW_ASSIGN_OR_RETURN(Block rows, c.source.part->Read(columns_, c.next_granule, end));
    c.next_granule = end;
    if (rows.rows() == 0) continue;
    auto key = std::make_shared<const Block>(EvaluateKey(schema_, rows));
    c.rows = std::make_shared<const Block>(std::move(rows));
    c.key = std::move(key);
    return Status::Ok();
  }
  return Status::Ok();
}

// The cursor at the back of heap_ (popped) moves one row on; it goes back into the heap
// unless it is exhausted.
Status MergedRows::Advance() {
  Cursor& c = heap_.back();
  if (++c.pos >= c.rows->rows()) HEDGEROW_RETURN_IF_ERROR(Load(c));
  if (c.rows == nullptr) {
    heap_.pop_back();
  } else {
    std::push_heap(heap_.begin(), heap_.end(), [this](const Cursor& a, const Cursor& b) { return After(a, b); });
  }
  return Status::Ok();
}

Status MergedRows::Next(size_t max_rows, Block& rows, Block& key) {
  auto after = [this](const Cursor& a, const Cursor& b) { return After(a, b); };
  if (!started_) {
    started_ = true;
    std::vector<Cursor> loaded;
    for (Cursor& c : heap_) {
      HEDGEROW_RETURN_IF_ERROR(Load(c));
      if (c.rows != nullptr) loaded.push_back(std::move(c));
    }
    heap_ = std::move(loaded);
    std::make_heap(heap_.begin(), heap_.end(), after);
  }
  std::vector<Pick> picks;
  picks.reserve(max_rows);
  while (!heap_.empty() && picks.size() < max_rows) {
    std::pop_heap(heap_.begin(), heap_.end(), after);
    Cursor& c = heap_.back();
    Pick best{c.rows, c.key, c.pos};
    HEDGEROW_RETURN_IF_ERROR(Advance());
    if (replacing_) {
      // Every row with this key, in (part order, row order): the last of the highest
      // version wins. The picks keep their blocks alive across cursor reloads.
      while (!heap_.empty()) {
        const Cursor& top = heap_.front();
        if (CompareKeyRows(*top.key, top.pos, *best.key, best.pos, best.key->columns.size()) != 0) break;
        std::pop_heap(heap_.begin(), heap_.end(), after);
        Cursor& d = heap_.back();
        if (version_index_ < 0 ||
            CompareCells(d.rows->columns[version_index_], d.pos, best.rows->columns[version_index_], best.pos) >= 0) {
          best = Pick{d.rows, d.key, d.pos};
        }
        HEDGEROW_RETURN_IF_ERROR(Advance());
      }
    }
    picks.push_back(std::move(best));
  }
  // Column by column, so each copy loop stays on one column's buffers.
  rows = Block();
  key = Block();
  if (picks.empty()) return Status::Ok();
  rows = picks[0].rows->EmptyLike();
  key = picks[0].key->EmptyLike();
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    Column& to = rows.columns[c];
    to.Reserve(picks.size());
    for (const Pick& p : picks) to.PushFrom(p.rows->columns[c], p.pos);
  }
  for (size_t c = 0; c < key.columns.size(); ++c) {
    Column& to = key.columns[c];
    to.Reserve(picks.size());
    for (const Pick& p : picks) to.PushFrom(p.key->columns[c], p.pos);
  }
  return Status::Ok();
}

}  // namespace hedgerow::store
