// Runs a Plan: streams the input's chunks (from several shard threads at once) through the
// joins, ARRAY JOINs and WHERE, then projects or aggregates each; then HAVING, DISTINCT,
// ORDER BY, LIMIT BY and LIMIT on the result. Expressions are evaluated outside the lock;
// only merging a chunk into the shared result is serialized. Aggregation needs no lock: each
// thread adds its chunks to its own groups and states, merged when the input ends.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "aggregate.h"
#include "chunk_ops.h"
#include "functions_impl.h"
#include "group_by.h"
#include "hedgerow/query/evaluate.h"
#include "plan.h"
#include "rewrite.h"

namespace hedgerow::query {
namespace {

// One thread's share of an aggregation: the groups of the chunks it added and their states.
struct PartialAggregation {
  std::thread::id owner;                   // the thread that adds to it
  std::unique_ptr<GroupIndex> index;       // made for the first chunk's key types
  std::vector<std::unique_ptr<Aggregate>> states;  // per aggregate call
  std::vector<uint32_t> groups;            // scratch: the group of each row of a chunk
};

// Thread-safe through `mu`, which guards the list of partials; each partial is used by its
// owner thread only, until the input ends and they are merged.
struct Aggregation {
  std::vector<std::string> texts;  // of the aggregate calls
  std::vector<const Expr*> calls;
  std::vector<std::vector<Literal>> params;      // per call
  std::vector<std::vector<DataTypePtr>> types;   // per call: of its arguments
  std::mutex mu;
  std::vector<std::unique_ptr<PartialAggregation>> partials;  // the first made before any chunk
};

Result<std::unique_ptr<PartialAggregation>> MakePartial(const Aggregation& agg) {
  auto partial = std::make_unique<PartialAggregation>();
  for (size_t i = 0; i < agg.calls.size(); ++i) {
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<Aggregate> state, Aggregate::Make(agg.calls[i]->name, agg.params[i], agg.types[i]));
    partial->states.push_back(std::move(state));
  }
  return partial;
}

Status SetUpAggregation(const Plan& plan, Aggregation& agg) {
  for (const auto& [text, call] : plan.aggregate_calls) {
    std::vector<DataTypePtr> args;
    for (const ExprPtr& a : call->args) {
      HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*a, plan.column_types));
      args.push_back(std::move(t));
    }
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<Literal> params, Aggregate::Params(*call));
    agg.texts.push_back(text);
    agg.calls.push_back(call);
    agg.params.push_back(std::move(params));
    agg.types.push_back(std::move(args));
  }
  // Made now, so that a wrong call is refused before any row is read.
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PartialAggregation> first, MakePartial(agg));
  agg.partials.push_back(std::move(first));
  return Status::Ok();
}

// The values one chunk adds: its group keys and aggregate arguments, or its output rows.
struct ChunkValues {
  size_t rows = 0;
  std::vector<ColumnPtr> keys;  // constants stay constant: GroupIndex reads them in place
  std::vector<std::vector<ColumnPtr>> args;  // per aggregate call
  std::vector<ColumnPtr> values;             // not aggregating: outputs, then ORDER BY and LIMIT BY keys
};

Result<ChunkValues> Evaluate(const Plan& plan, const Aggregation& agg, const Chunk& chunk) {
  ChunkValues out;
  out.rows = chunk.rows;
  if (!plan.aggregating) {
    for (const std::vector<ExprPtr>* list : {&plan.outputs, &plan.order_by, &plan.limit_by}) {
      for (const ExprPtr& e : *list) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, query::Evaluate(*e, chunk));
        out.values.push_back(Materialize(c));
      }
    }
    return out;
  }
  for (const ExprPtr& e : plan.group_by) {
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, query::Evaluate(*e, chunk));
    out.keys.push_back(std::move(c));
  }
  for (const Expr* call : agg.calls) {
    std::vector<ColumnPtr> args;
    for (const ExprPtr& a : call->args) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, query::Evaluate(*a, chunk));
      args.push_back(std::move(c));
    }
    out.args.push_back(std::move(args));
  }
  return out;
}

// The calling thread's partial aggregation: the first free one, or a new one.
Result<PartialAggregation*> PartialOfThisThread(Aggregation& agg) {
  const std::thread::id self = std::this_thread::get_id();
  std::lock_guard<std::mutex> lock(agg.mu);
  for (const auto& p : agg.partials) {
    if (p->owner == self) return p.get();
  }
  if (agg.partials[0]->owner == std::thread::id()) {
    agg.partials[0]->owner = self;
    return agg.partials[0].get();
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PartialAggregation> partial, MakePartial(agg));
  partial->owner = self;
  agg.partials.push_back(std::move(partial));
  return agg.partials.back().get();
}

std::vector<DataTypePtr> TypesOf(const std::vector<ColumnPtr>& columns) {
  std::vector<DataTypePtr> types;
  for (const ColumnPtr& c : columns) types.push_back(c->type);
  return types;
}

// Adds a chunk to the calling thread's partial aggregation; may run in several threads at once.
Status AddToAggregation(Aggregation& agg, const ChunkValues& v) {
  HEDGEROW_ASSIGN_OR_RETURN(PartialAggregation* partial, PartialOfThisThread(agg));
  if (partial->index == nullptr) partial->index = std::make_unique<GroupIndex>(TypesOf(v.keys));
  partial->index->Map(v.keys, v.rows, partial->groups);
  for (size_t i = 0; i < partial->states.size(); ++i) partial->states[i]->Add(partial->groups, v.args[i], v.rows);
  return Status::Ok();
}

// Merges every partial aggregation into the first (the partials of one plan have the same
// key types and aggregate calls) and returns it.
PartialAggregation& MergePartials(Aggregation& agg) {
  PartialAggregation& into = *agg.partials[0];
  std::vector<uint32_t> mapping;
  for (size_t p = 1; p < agg.partials.size(); ++p) {
    PartialAggregation& from = *agg.partials[p];
    if (into.index == nullptr) {
      std::swap(into.index, from.index);
      std::swap(into.states, from.states);
      continue;
    }
    into.index->Merge(*from.index, mapping);
    for (size_t i = 0; i < into.states.size(); ++i) into.states[i]->Merge(*from.states[i], mapping);
  }
  return into;
}

// The largest OFFSET + LIMIT sorted chunk by chunk (above it, all rows are kept and sorted
// at the end).
constexpr uint64_t kMaxTopNRows = 65536;

bool IsNullOrNan(const Column& c, size_t row) {
  if (c.IsNullAt(row)) return true;
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  if (v.type->id == TypeId::kFloat32) return std::isnan(v.Get<float>(row));
  if (v.type->id == TypeId::kFloat64) return std::isnan(v.Get<double>(row));
  return false;
}

// ORDER BY's "row a goes before row b" over the keys in `columns` from `first_key` on.
auto RowsBefore(const Plan& plan, const std::vector<ColumnPtr>& columns, size_t first_key) {
  return [&plan, &columns, first_key](uint32_t a, uint32_t b) {
    for (size_t k = 0; k < plan.order.size(); ++k) {
      const OrderItem& item = plan.order[k];
      const Column& key = *columns[first_key + k];
      // NULLs (and nan) go last in either direction unless NULLS FIRST, as ClickHouse's.
      bool na = IsNullOrNan(key, a), nb = IsNullOrNan(key, b);
      if (na || nb) {
        if (na == nb) continue;
        return na == item.nulls_first.value_or(false);
      }
      int c = CompareValues(key, a, b);
      if (c != 0) return item.descending ? c > 0 : c < 0;
    }
    return false;
  };
}

// The rows in result order: ORDER BY's keys sit in `columns` from `first_key` on.
std::vector<uint32_t> SortedRows(const Plan& plan, const std::vector<ColumnPtr>& columns, size_t first_key, size_t rows) {
  std::vector<uint32_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  if (plan.order_by.empty()) return order;
  std::stable_sort(order.begin(), order.end(), RowsBefore(plan, columns, first_key));
  return order;
}

// The `n` rows of `rows` that go first by ORDER BY (ties: the earlier row), in row order.
std::vector<uint32_t> FirstRows(const Plan& plan, const std::vector<ColumnPtr>& keys, size_t rows, size_t n) {
  std::vector<uint32_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  auto before = RowsBefore(plan, keys, 0);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&before](uint32_t a, uint32_t b) { return before(a, b) || (!before(b, a) && a < b); });
  order.resize(n);
  std::sort(order.begin(), order.end());
  return order;
}

// Keeps the first row of each distinct combination of `columns[0, count)`, in order.
std::vector<uint32_t> DistinctRows(const std::vector<ColumnPtr>& columns, size_t count, const std::vector<uint32_t>& rows) {
  std::unordered_set<std::string> seen;
  std::vector<uint32_t> out;
  std::string key;
  for (uint32_t r : rows) {
    key.clear();
    for (size_t c = 0; c < count; ++c) AppendKey(key, *columns[c], r);
    if (seen.insert(key).second) out.push_back(r);
  }
  return out;
}

// LIMIT n OFFSET m BY keys: per combination of the keys (columns from `first`), its rows
// m+1 .. m+n in order.
std::vector<uint32_t> LimitByRows(const Plan& plan, const std::vector<ColumnPtr>& columns, size_t first,
                                  const std::vector<uint32_t>& rows) {
  std::unordered_map<std::string, uint64_t> seen;
  std::vector<uint32_t> out;
  std::string key;
  for (uint32_t r : rows) {
    key.clear();
    for (size_t c = 0; c < plan.limit_by.size(); ++c) AppendKey(key, *columns[first + c], r);
    uint64_t n = seen[key]++;
    if (n >= plan.limit_by_offset && n < plan.limit_by_offset + plan.limit_by_limit) out.push_back(r);
  }
  return out;
}

// WITH TOTALS: the outputs over one row whose aggregates take every group (before HAVING,
// as ClickHouse's totals_mode = 'before_having') and whose keys are their types' defaults.
// `merged`'s states are merged away: call after the groups are finalized.
Result<std::vector<ColumnPtr>> Totals(const Plan& plan, const Aggregation& agg, PartialAggregation& merged,
                                      const Chunk& grouped, const std::set<std::string>& computed, size_t groups) {
  HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<PartialAggregation> all, MakePartial(agg));
  Chunk one;
  one.rows = 1;
  for (size_t i = 0; i < plan.group_by.size(); ++i) {
    one.names.push_back(grouped.names[i]);
    one.columns.push_back(DefaultColumn(grouped.columns[i]->type, 1));
  }
  const std::vector<uint32_t> into_one(groups, 0);
  for (size_t i = 0; i < all->states.size(); ++i) {
    if (groups > 0) all->states[i]->Merge(*merged.states[i], into_one);
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr value, all->states[i]->Finalize(1));
    one.names.push_back(agg.texts[i]);
    one.columns.push_back(std::move(value));
  }
  std::vector<ColumnPtr> out;
  for (const ExprPtr& e : plan.outputs) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr replaced, ReplaceComputed(*e, computed));
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, query::Evaluate(*replaced, one));
    out.push_back(Materialize(c));
  }
  return out;
}

}  // namespace

uint64_t ColumnBytes(const Column& c) {
  uint64_t bytes = c.fixed.capacity() + c.offsets.capacity() * sizeof(uint64_t) + c.chars.capacity() + c.nulls.capacity();
  for (const ColumnPtr& n : c.nested) bytes += ColumnBytes(*n);
  return bytes;
}

Status CheckLimits(const QueryContext& context, uint64_t memory) {
  if (context.cancelled != nullptr && context.cancelled->load(std::memory_order_relaxed)) {
    return Status::InvalidArgument("Query was cancelled: the client went away");
  }
  if (context.stopping != nullptr && context.stopping->load(std::memory_order_relaxed)) {
    return Status::InvalidArgument("Query was cancelled: the server is stopping");
  }
  if (context.deadline && std::chrono::steady_clock::now() > *context.deadline) {
    return Status::InvalidArgument(fmt::format(
        "Timeout exceeded: maximum: {} seconds (max_execution_time): add conditions or a LIMIT", context.max_execution_seconds));
  }
  if (context.max_memory_bytes != 0 && memory > context.max_memory_bytes) {
    return Status::InvalidArgument(fmt::format(
        "Memory limit (for query) exceeded: would use {:.2f} MiB, maximum: {:.2f} MiB (max_memory_usage)",
        memory / 1048576.0, context.max_memory_bytes / 1048576.0));
  }
  return Status::Ok();
}

Result<QueryResult> RunPlan(Plan& plan, const QueryContext& context) {
  Aggregation agg;
  HEDGEROW_RETURN_IF_ERROR(SetUpAggregation(plan, agg));
  std::mutex mu;
  Chunk collected;  // not aggregating: the values of every row so far
  const bool can_stop_early = !plan.aggregating && plan.order_by.empty() && !plan.distinct && plan.limit_by.empty() &&
                              plan.has_limit;
  // ORDER BY ... LIMIT n (no DISTINCT, no LIMIT BY): each chunk keeps only its first
  // offset + n rows by the ORDER BY keys before the outputs are evaluated, as ClickHouse's
  // top-N sort does. The latest 100 events then extract their JSON properties for a few
  // hundred rows, not for every row scanned.
  const size_t top_n = !plan.aggregating && !plan.order_by.empty() && !plan.distinct && plan.limit_by.empty() &&
                               plan.has_limit && plan.limit <= kMaxTopNRows && plan.offset <= kMaxTopNRows - plan.limit
                           ? static_cast<size_t>(plan.offset + plan.limit)
                           : 0;

  // One chunk through the steps from join `first_join` on.
  // What the query holds beyond the chunks in flight: the joins' right sides and the rows
  // collected so far.
  std::atomic<uint64_t> memory{0};
  for (const auto& j : plan.joins) {
    for (const ColumnPtr& c : j->right.columns) memory += ColumnBytes(*c);
  }
  auto process = [&](Chunk chunk, size_t first_join) -> Status {
    HEDGEROW_RETURN_IF_ERROR(CheckLimits(context, memory.load(std::memory_order_relaxed)));
    for (size_t j = first_join; j < plan.joins.size(); ++j) {
      HEDGEROW_ASSIGN_OR_RETURN(chunk, ApplyJoin(*plan.joins[j], chunk));
    }
    for (const ArrayJoinStep& step : plan.array_joins) {
      HEDGEROW_ASSIGN_OR_RETURN(chunk, ApplyArrayJoin(step, chunk));
    }
    if (plan.where) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr mask, query::Evaluate(*plan.where, chunk));
      HEDGEROW_ASSIGN_OR_RETURN(chunk, Filter(chunk, mask));
    }
    if (chunk.rows == 0) return Status::Ok();
    if (top_n > 0 && chunk.rows > 2 * top_n) {
      std::vector<ColumnPtr> keys;
      for (const ExprPtr& e : plan.order_by) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, query::Evaluate(*e, chunk));
        keys.push_back(Materialize(c));
      }
      chunk = GatherChunk(chunk, FirstRows(plan, keys, chunk.rows, top_n));
    }
    HEDGEROW_ASSIGN_OR_RETURN(ChunkValues values, Evaluate(plan, agg, chunk));
    if (plan.aggregating) return AddToAggregation(agg, values);
    std::lock_guard<std::mutex> lock(mu);
    Chunk rows;
    rows.rows = values.rows;
    rows.columns = std::move(values.values);
    rows.names.resize(rows.columns.size());
    AppendChunk(collected, rows);
    for (const ColumnPtr& c : rows.columns) memory.fetch_add(ColumnBytes(*c), std::memory_order_relaxed);
    // Rows kept for ORDER BY are bounded by the memory limit; max_result_rows is the result's.
    if (can_stop_early && collected.rows >= plan.offset && collected.rows - plan.offset >= plan.limit) {
      return Status::Unavailable(std::string(kEnoughRows));
    }
    return Status::Ok();
  };
  HEDGEROW_RETURN_IF_ERROR(Produce(plan.input, plan.scan_columns, [&](Chunk&& chunk) { return process(std::move(chunk), 0); }));
  for (size_t j = 0; j < plan.joins.size(); ++j) {
    if (!plan.joins[j]->matched) continue;
    Status s = process(UnmatchedRight(*plan.joins[j]), j + 1);
    if (!s.ok() && s.message() != kEnoughRows) return s;
  }

  // The result's columns, then ORDER BY's and LIMIT BY's keys, all of `rows` rows.
  std::vector<ColumnPtr> totals;
  std::vector<ColumnPtr> result;
  size_t rows = 0;
  if (plan.aggregating) {
    // A chunk of one row per group: the keys and the aggregates, named by their text.
    PartialAggregation& merged = MergePartials(agg);
    size_t groups = plan.group_by.empty() ? 1 : merged.index != nullptr ? merged.index->size() : 0;
    std::vector<ColumnPtr> keys = merged.index != nullptr ? merged.index->KeyColumns() : std::vector<ColumnPtr>{};
    Chunk grouped;
    grouped.rows = groups;
    std::set<std::string> computed;
    for (size_t i = 0; i < plan.group_by.size(); ++i) {
      std::string text = ExprText(*plan.group_by[i]);
      grouped.names.push_back(text);
      computed.insert(text);
      if (i < keys.size()) {
        grouped.columns.push_back(keys[i]);
      } else {  // no rows at all: empty keys of the right type
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*plan.group_by[i], plan.column_types));
        grouped.columns.push_back(MakeEmpty(t));
      }
    }
    for (size_t i = 0; i < merged.states.size(); ++i) {
      grouped.names.push_back(agg.texts[i]);
      computed.insert(agg.texts[i]);
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr values, merged.states[i]->Finalize(groups));
      grouped.columns.push_back(std::move(values));
    }
    if (plan.with_totals) {
      HEDGEROW_ASSIGN_OR_RETURN(totals, Totals(plan, agg, merged, grouped, computed, groups));
    }
    if (plan.having) {
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr having, ReplaceComputed(*plan.having, computed));
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr mask, query::Evaluate(*having, grouped));
      HEDGEROW_ASSIGN_OR_RETURN(grouped, Filter(grouped, mask));
    }
    for (const std::vector<ExprPtr>* list : {&plan.outputs, &plan.order_by, &plan.limit_by}) {
      for (const ExprPtr& e : *list) {
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr replaced, ReplaceComputed(*e, computed));
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, query::Evaluate(*replaced, grouped));
        result.push_back(Materialize(c));
      }
    }
    rows = grouped.rows;
  } else if (collected.columns.empty()) {
    for (const std::vector<ExprPtr>* list : {&plan.outputs, &plan.order_by, &plan.limit_by}) {
      for (const ExprPtr& e : *list) {
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*e, plan.column_types));
        result.push_back(MakeEmpty(t));
      }
    }
  } else {
    result = collected.columns;
    rows = collected.rows;
  }

  // DISTINCT, ORDER BY, LIMIT BY, then OFFSET and LIMIT.
  const size_t outputs = plan.outputs.size();
  std::vector<uint32_t> order = SortedRows(plan, result, outputs, rows);
  if (plan.distinct) order = DistinctRows(result, outputs, order);
  if (!plan.limit_by.empty()) order = LimitByRows(plan, result, outputs + plan.order_by.size(), order);
  size_t begin = std::min<size_t>(plan.offset, order.size());
  size_t end = plan.has_limit ? begin + std::min<size_t>(order.size() - begin, plan.limit) : order.size();
  std::vector<uint32_t> kept(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end));
  QueryResult out;
  out.names = plan.names;
  out.rows = kept.size();
  out.totals = std::move(totals);
  for (size_t i = 0; i < outputs; ++i) out.columns.push_back(Gather(result[i], kept));
  return out;
}

}  // namespace hedgerow::query
