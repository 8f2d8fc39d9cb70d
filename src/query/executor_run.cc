// Runs a Plan: scans the table block by block (filtering, then projecting or aggregating
// each block as it comes), then HAVING, ORDER BY and LIMIT on the result.

#include <algorithm>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

#include "aggregate.h"
#include "dispatch.h"
#include "functions_impl.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/store/table.h"
#include "plan.h"
#include "rewrite.h"

namespace hedgerow::query {
namespace {

// Returned by a scan's sink to end the scan early (LIMIT reached): not an error.
constexpr std::string_view kEnough = "enough rows";

// A scanned block as a chunk: the buffers move, nothing is copied.
Chunk ToChunk(store::Block&& block) {
  Chunk chunk;
  chunk.rows = block.rows();
  for (size_t i = 0; i < block.columns.size(); ++i) {
    store::Column& in = block.columns[i];
    auto c = std::make_shared<Column>();
    c->type = QueryType(in.type());
    c->rows = in.size();
    c->fixed = std::move(in.fixed());
    c->offsets = std::move(in.offsets());
    c->chars = std::move(in.chars());
    chunk.names.push_back(std::move(block.names[i]));
    chunk.columns.push_back(std::move(c));
  }
  return chunk;
}

ColumnPtr Gather(const Column& c, const std::vector<uint32_t>& rows) {
  auto out = MakeEmpty(c.type);
  for (uint32_t r : rows) AppendRow(*out, c, r);
  return out;
}

// The rows of `chunk` where `mask` is non-zero (and not NULL).
Result<Chunk> Filter(const Chunk& chunk, const ColumnPtr& mask) {
  const bool nullable = mask->type->id == TypeId::kNullable;
  const Column& values = nullable ? *mask->nested[0] : *mask;
  if (!values.type->IsNumber()) {
    return Status::InvalidArgument(fmt::format("Illegal type {} of column for filter", mask->type->Name()));
  }
  std::vector<double> v = NumbersAs<double>(values, mask->is_const ? 1 : chunk.rows);
  std::vector<uint32_t> keep;
  for (size_t r = 0; r < chunk.rows; ++r) {
    if (v[mask->is_const ? 0 : r] != 0 && !mask->IsNullAt(r)) keep.push_back(static_cast<uint32_t>(r));
  }
  if (keep.size() == chunk.rows) return chunk;
  Chunk out;
  out.names = chunk.names;
  out.rows = keep.size();
  for (const ColumnPtr& c : chunk.columns) out.columns.push_back(Gather(*Materialize(c), keep));
  return out;
}


// ORDER BY's comparison of the values of two rows of one key column (neither NULL).
int CompareValues(const Column& c, size_t a, size_t b) {
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  if (v.type->id == TypeId::kString) return v.StringAt(a).compare(v.StringAt(b));
  if (v.type->id == TypeId::kUuid) return std::memcmp(v.fixed.data() + a * 16, v.fixed.data() + b * 16, 16);
  long double x = NumberAt(v, a), y = NumberAt(v, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// The bytes that tell groups apart: each key's value, length-prefixed, NULL marked.
void AppendKey(std::string& key, const Column& c, size_t row) {
  if (c.IsNullAt(row)) {
    key += '\0';
    return;
  }
  const Column& v = c.type->id == TypeId::kNullable ? *c.nested[0] : c;
  key += '\1';
  if (v.type->id == TypeId::kString) {
    std::string_view s = v.StringAt(row);
    uint64_t n = s.size();
    key.append(reinterpret_cast<const char*>(&n), sizeof n).append(s);
  } else {
    size_t width = FixedValueWidth(*v.type);
    key.append(reinterpret_cast<const char*>(v.fixed.data() + v.At(row) * width), width);
  }
}

struct Aggregation {
  std::vector<std::string> texts;  // of the aggregate calls
  std::vector<const Expr*> calls;
  std::vector<std::unique_ptr<Aggregate>> states;
  std::unordered_map<std::string, uint32_t> groups;
  std::vector<std::shared_ptr<Column>> keys;  // one row per group
};

}  // namespace

Result<QueryResult> RunPlan(const Plan& plan, const QueryContext& context) {
  Aggregation agg;
  for (const auto& [text, call] : plan.aggregate_calls) {
    std::vector<DataTypePtr> args;
    for (const ExprPtr& a : call->args) {
      HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*a, plan.column_types));
      args.push_back(std::move(t));
    }
    HEDGEROW_ASSIGN_OR_RETURN(std::vector<Literal> params, Aggregate::Params(*call));
    HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<Aggregate> state, Aggregate::Make(call->name, params, args));
    agg.texts.push_back(text);
    agg.calls.push_back(call);
    agg.states.push_back(std::move(state));
  }
  // Without aggregation: the outputs, then the ORDER BY keys, accumulated as they come.
  std::vector<std::shared_ptr<Column>> rows_out;
  size_t collected = 0;

  auto process = [&](Chunk chunk) -> Status {
    if (plan.where) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr mask, Evaluate(*plan.where, chunk));
      HEDGEROW_ASSIGN_OR_RETURN(chunk, Filter(chunk, mask));
    }
    if (chunk.rows == 0) return Status::Ok();
    if (!plan.aggregating) {
      std::vector<ColumnPtr> values;
      for (const ExprPtr& e : plan.outputs) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*e, chunk));
        values.push_back(std::move(c));
      }
      for (const ExprPtr& e : plan.order_by) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*e, chunk));
        values.push_back(std::move(c));
      }
      if (rows_out.empty()) {
        for (const ColumnPtr& c : values) rows_out.push_back(MakeEmpty(c->type));
      }
      for (size_t i = 0; i < values.size(); ++i) {
        for (size_t r = 0; r < chunk.rows; ++r) AppendRow(*rows_out[i], *values[i], r);
      }
      collected += chunk.rows;
      if (collected > context.max_result_rows) {
        return Status::InvalidArgument(fmt::format("Limit for result rows exceeded: more than {}", context.max_result_rows));
      }
      if (plan.has_limit && plan.order_by.empty() && collected >= plan.limit + plan.offset) {
        return Status::Unavailable(std::string(kEnough));
      }
      return Status::Ok();
    }
    std::vector<ColumnPtr> keys;
    for (const ExprPtr& e : plan.group_by) {
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*e, chunk));
      keys.push_back(Materialize(c));
    }
    if (agg.keys.empty()) {
      for (const ColumnPtr& k : keys) agg.keys.push_back(MakeEmpty(k->type));
    }
    std::vector<uint32_t> group_of(chunk.rows, 0);
    std::string key;
    for (size_t r = 0; r < chunk.rows && !keys.empty(); ++r) {
      key.clear();
      for (const ColumnPtr& k : keys) AppendKey(key, *k, r);
      auto [it, fresh] = agg.groups.try_emplace(key, static_cast<uint32_t>(agg.groups.size()));
      if (fresh) {
        for (size_t i = 0; i < keys.size(); ++i) AppendRow(*agg.keys[i], *keys[i], r);
      }
      group_of[r] = it->second;
    }
    if (keys.empty() && agg.groups.empty()) agg.groups.emplace("", 0);
    for (size_t i = 0; i < agg.calls.size(); ++i) {
      std::vector<ColumnPtr> args;
      for (const ExprPtr& a : agg.calls[i]->args) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*a, chunk));
        args.push_back(std::move(c));
      }
      agg.states[i]->Add(group_of, args, chunk.rows);
    }
    return Status::Ok();
  };

  if (plan.table != nullptr) {
    store::ScanRequest request{.columns = plan.scan_columns, .final = plan.final};
    const auto& order = plan.table->schema().order_by;
    if (plan.team_id && !order.empty() && order[0].column == "team_id" && order[0].function == store::KeyFunction::kIdentity) {
      request.key_min = {store::KeyValue(*plan.team_id)};
      request.key_max = {store::KeyValue(*plan.team_id)};
    }
    std::mutex mu;
    Status s = plan.table->Scan(request, [&](uint32_t, store::Block&& block) {
      std::lock_guard<std::mutex> lock(mu);  // one block at a time: the states are shared
      return process(ToChunk(std::move(block)));
    });
    if (!s.ok() && s.message() != kEnough) return s;
  } else {
    Chunk one;
    one.rows = 1;
    one.names = {"dummy"};
    HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr dummy, MakeConstColumn(int64_t{0}, 1, MakeType(TypeId::kUInt8)));
    one.columns = {Materialize(dummy)};
    HEDGEROW_RETURN_IF_ERROR(process(std::move(one)));
  }

  // The result's columns (and ORDER BY's keys after them), all of `rows` rows.
  std::vector<ColumnPtr> result;
  size_t rows = 0;
  if (plan.aggregating) {
    // A chunk of one row per group: the keys and the aggregates, named by their text.
    size_t groups = plan.group_by.empty() ? 1 : agg.groups.size();
    Chunk grouped;
    grouped.rows = groups;
    std::set<std::string> computed;
    for (size_t i = 0; i < plan.group_by.size(); ++i) {
      std::string text = ExprText(*plan.group_by[i]);
      grouped.names.push_back(text);
      computed.insert(text);
      if (i < agg.keys.size()) {
        grouped.columns.push_back(agg.keys[i]);
      } else {  // no rows at all: empty keys of the right type
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*plan.group_by[i], plan.column_types));
        grouped.columns.push_back(MakeEmpty(t));
      }
    }
    for (size_t i = 0; i < agg.states.size(); ++i) {
      grouped.names.push_back(agg.texts[i]);
      computed.insert(agg.texts[i]);
      grouped.columns.push_back(agg.states[i]->Finalize(groups));
    }
    if (plan.having) {
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr having, ReplaceComputed(*plan.having, computed));
      HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr mask, Evaluate(*having, grouped));
      HEDGEROW_ASSIGN_OR_RETURN(grouped, Filter(grouped, mask));
    }
    for (const std::vector<ExprPtr>* list : {&plan.outputs, &plan.order_by}) {
      for (const ExprPtr& e : *list) {
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr replaced, ReplaceComputed(*e, computed));
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*replaced, grouped));
        result.push_back(Materialize(c));
      }
    }
    rows = grouped.rows;
  } else if (rows_out.empty()) {
    for (const std::vector<ExprPtr>* list : {&plan.outputs, &plan.order_by}) {
      for (const ExprPtr& e : *list) {
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*e, plan.column_types));
        result.push_back(MakeEmpty(t));
      }
    }
  } else {
    result.assign(rows_out.begin(), rows_out.end());
    rows = collected;
  }

  // ORDER BY, then OFFSET and LIMIT.
  std::vector<uint32_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  const size_t first_key = plan.outputs.size();
  if (!plan.order_by.empty()) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      for (size_t k = 0; k < plan.order.size(); ++k) {
        const OrderItem& item = plan.order[k];
        const Column& key = *result[first_key + k];
        // NULLs go last in either direction unless NULLS FIRST, as ClickHouse's.
        bool na = key.IsNullAt(a), nb = key.IsNullAt(b);
        if (na || nb) {
          if (na == nb) continue;
          return na == item.nulls_first.value_or(false);
        }
        int c = CompareValues(key, a, b);
        if (c != 0) return item.descending ? c > 0 : c < 0;
      }
      return false;
    });
  }
  size_t begin = std::min<size_t>(plan.offset, order.size());
  size_t end = plan.has_limit ? std::min<size_t>(order.size(), begin + plan.limit) : order.size();
  std::vector<uint32_t> kept(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end));
  QueryResult out;
  out.names = plan.names;
  out.rows = kept.size();
  for (size_t i = 0; i < plan.outputs.size(); ++i) out.columns.push_back(Gather(*result[i], kept));
  return out;
}

}  // namespace hedgerow::query
