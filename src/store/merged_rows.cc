#include "merged_rows.h"

#include <algorithm>

namespace hedgerow::store {
namespace {

// Granules read per source at a time: memory is sources x this x row width.
constexpr size_t kBlockGranules = 1;

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
  // Column by column, so each copy loop stays on one column's buffers; consecutive rows of
  // one source block are copied as one range.
  rows = Block();
  key = Block();
  if (picks.empty()) return Status::Ok();
  struct Run {
    const Pick* pick;
    size_t end;
  };
  std::vector<Run> runs;
  for (const Pick& p : picks) {
    if (!runs.empty() && runs.back().pick->rows == p.rows && runs.back().end == p.pos) {
      ++runs.back().end;
    } else {
      runs.push_back({&p, p.pos + 1});
    }
  }
  rows = picks[0].rows->EmptyLike();
  key = picks[0].key->EmptyLike();
  Block* targets[2] = {&rows, &key};
  for (Block* target : targets) {
    const bool is_key = target == &key;
    for (size_t c = 0; c < target->columns.size(); ++c) {
      Column& to = target->columns[c];
      to.Reserve(picks.size());
      for (const Run& r : runs) {
        const Column& from = (is_key ? r.pick->key : r.pick->rows)->columns[c];
        if (r.end - r.pick->pos == 1) {
          to.PushFrom(from, r.pick->pos);
        } else {
          to.AppendRangeFrom(from, r.pick->pos, r.end);
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace hedgerow::store
