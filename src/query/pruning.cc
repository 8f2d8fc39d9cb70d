// Partition and primary-key pruning from WHERE. Conditions on a table's partition column
// (events.timestamp) bound the time range the scan reads. Parts whose time range misses it
// are skipped, and, since the table's ORDER BY starts with (team_id, toDate(timestamp)),
// so are granules of other days. Only top-level AND conditions of the form
// `timestamp <op> constant` or `toDate(timestamp) <op> constant` (either side, BETWEEN
// too) bound it; anything else leaves the range as wide as before, so pruning never drops a
// row the WHERE would keep. And `column = constant` or `column IN (constants)` on a later
// ORDER BY column (events' `event`) skips the granules that cannot hold those values.

#include <cmath>
#include <limits>

#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "hedgerow/store/table.h"
#include "functions_date.h"
#include "plan.h"
#include "rewrite.h"

namespace hedgerow::query {
namespace {

constexpr int64_t kMicrosPerDay = 86'400'000'000;

// A constant expression's value as microseconds since the epoch (strings read as times).
std::optional<int64_t> ConstantMicros(const Expr& e) {
  if (e.kind != Expr::Kind::kLiteral && e.kind != Expr::Kind::kFunction && e.kind != Expr::Kind::kConstant) return std::nullopt;
  Chunk one;
  one.rows = 1;
  Result<ColumnPtr> c = Evaluate(e, one);
  if (!c.ok() || !(*c)->is_const) return std::nullopt;
  ColumnPtr v = *c;
  if (v->type->id == TypeId::kString) {
    // Read as the comparison reads it against the table's UTC timestamps: fraction kept
    // (floored to the microsecond), so a bound never cuts into the second it names.
    std::optional<dates::ParsedTime> parsed = dates::ParseDateTime(v->StringAt(0));
    if (!parsed) return std::nullopt;
    int64_t seconds = parsed->is_timestamp ? parsed->seconds : dates::Utc().FromLocal(parsed->seconds);
    return seconds * 1'000'000 + parsed->nanos / 1000;
  }
  switch (v->type->id) {
    case TypeId::kDate: return int64_t{v->Get<uint16_t>(0)} * kMicrosPerDay;
    case TypeId::kDateTime: return int64_t{v->Get<uint32_t>(0)} * 1'000'000;
    case TypeId::kDateTime64: {
      long double x = static_cast<long double>(v->Get<int64_t>(0)) * std::pow(10.0L, 6 - static_cast<int>(v->type->scale));
      return static_cast<int64_t>(std::floor(x));
    }
    default: return std::nullopt;
  }
}

struct Bounds {
  std::optional<int64_t> min, max;
  void AtLeast(int64_t v) { min = min ? std::max(*min, v) : v; }
  void AtMost(int64_t v) { max = max ? std::min(*max, v) : v; }
};

// 0: `e` is the column; 1: toDate(column); -1: neither.
int ColumnForm(const Expr& e, const std::string& column) {
  if (e.kind == Expr::Kind::kIdentifier && IdentifierName(e) == column) return 0;
  if (e.kind == Expr::Kind::kFunction && e.name == "toDate" && e.args.size() == 1 && ColumnForm(*e.args[0], column) == 0) return 1;
  return -1;
}

// Bounds from `column_side <op> value`; `op` with the column on the left.
void Bound(Bounds& b, const std::string& op, int form, int64_t value) {
  // toDate(t) compared with a day D: t within D's day; the value is D's first microsecond.
  const int64_t day_end = form == 1 ? value - value % kMicrosPerDay + kMicrosPerDay - 1 : value;
  const int64_t day_start = form == 1 ? value - value % kMicrosPerDay : value;
  if (op == "equals") {
    b.AtLeast(day_start);
    b.AtMost(day_end);
  } else if (op == "greater" || op == "greaterOrEquals") {
    b.AtLeast(day_start);
  } else if (op == "less" || op == "lessOrEquals") {
    b.AtMost(day_end);
  }
}

std::string Mirrored(const std::string& op) {
  if (op == "greater") return "less";
  if (op == "less") return "greater";
  if (op == "greaterOrEquals") return "lessOrEquals";
  if (op == "lessOrEquals") return "greaterOrEquals";
  return op;
}

void Collect(const Expr& e, const std::string& column, Bounds& b) {
  if (e.kind != Expr::Kind::kFunction) return;
  if (e.name == "and") {
    for (const ExprPtr& a : e.args) Collect(*a, column, b);
    return;
  }
  if (e.name == "between" && e.args.size() == 3) {
    int form = ColumnForm(*e.args[0], column);
    if (form < 0) return;
    if (auto low = ConstantMicros(*e.args[1])) Bound(b, "greaterOrEquals", form, *low);
    if (auto high = ConstantMicros(*e.args[2])) Bound(b, "lessOrEquals", form, *high);
    return;
  }
  if (e.args.size() != 2) return;
  for (int side = 0; side < 2; ++side) {
    int form = ColumnForm(*e.args[side], column);
    if (form < 0) continue;
    if (auto value = ConstantMicros(*e.args[1 - side])) Bound(b, side == 0 ? e.name : Mirrored(e.name), form, *value);
  }
}

// The constants of `column = c` or `column IN (c1, c2, ...)` as key values of the column's
// kind; empty when `e` is neither or a constant is of another kind.
std::vector<store::KeyValue> KeyValues(const Expr& e, const std::string& column, bool string_column) {
  if (e.kind != Expr::Kind::kFunction || e.args.size() != 2) return {};
  if (e.name != "equals" && e.name != "in") return {};
  int side = e.args[0]->kind == Expr::Kind::kIdentifier && IdentifierName(*e.args[0]) == column ? 0
             : e.name == "equals" && e.args[1]->kind == Expr::Kind::kIdentifier && IdentifierName(*e.args[1]) == column ? 1
                                                                                                                     : -1;
  if (side < 0) return {};
  const Expr& set = *e.args[1 - side];
  std::vector<const Expr*> constants;
  if (set.kind == Expr::Kind::kFunction && set.name == "tuple" && e.name == "in") {
    for (const ExprPtr& a : set.args) constants.push_back(a.get());
  } else {
    constants.push_back(&set);
  }
  std::vector<store::KeyValue> out;
  for (const Expr* c : constants) {
    if (c->kind != Expr::Kind::kLiteral) return {};
    if (const auto* s = std::get_if<std::string>(&c->literal); s != nullptr && string_column) {
      out.emplace_back(*s);
    } else if (const auto* i = std::get_if<int64_t>(&c->literal); i != nullptr && !string_column) {
      out.emplace_back(*i);
    } else if (const auto* u = std::get_if<uint64_t>(&c->literal); u != nullptr && !string_column) {
      out.emplace_back(*u);
    } else {
      return {};
    }
  }
  return out;
}

void CollectConjuncts(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == Expr::Kind::kFunction && e.name == "and") {
    for (const ExprPtr& a : e.args) CollectConjuncts(*a, out);
    return;
  }
  out.push_back(&e);
}

}  // namespace

void PruneByKey(const Expr* where, Input& input) {
  if (where == nullptr || input.table == nullptr) return;
  const store::TableSchema& schema = input.table->schema();
  std::vector<const Expr*> conjuncts;
  CollectConjuncts(*where, conjuncts);
  for (size_t k = 1; k < schema.order_by.size(); ++k) {
    const store::KeyExpr& key = schema.order_by[k];
    int at = schema.Find(key.column);
    if (key.function != store::KeyFunction::kIdentity || at < 0) continue;
    const store::Type type = schema.columns[static_cast<size_t>(at)].type;
    if (type == store::Type::kFloat64 || type == store::Type::kUuid) continue;
    for (const Expr* c : conjuncts) {
      std::vector<store::KeyValue> values = KeyValues(*c, key.column, type == store::Type::kString);
      if (values.empty()) continue;
      input.key_in_column = k;
      input.key_in_values = std::move(values);
      return;
    }
  }
}

void PruneByTime(const Expr* where, Input& input) {
  if (where == nullptr || input.table == nullptr) return;
  const store::TableSchema& schema = input.table->schema();
  if (!schema.partition_by) return;
  Bounds b;
  Collect(*where, schema.partition_by->column, b);
  input.time_min = b.min;
  input.time_max = b.max;
}

}  // namespace hedgerow::query
