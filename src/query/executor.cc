// Plans a SELECT: opens its inputs (tables, subqueries, CTEs, system tables, numbers()),
// resolves every name the query uses, runs its subqueries and hands a Plan to RunPlan.
// UNION ALL runs each SELECT and casts their columns to common types.

#include "hedgerow/query/executor.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "aggregate.h"
#include "functions_impl.h"
#include "hedgerow/query/evaluate.h"
#include "hedgerow/query/functions.h"
#include "hedgerow/store/store.h"
#include "plan.h"
#include "rewrite.h"
#include "scope.h"

namespace hedgerow::query {
namespace {

// Subqueries nested deeper than this are refused (each level runs a whole SELECT).
constexpr int kMaxSubqueryDepth = 32;

Status NotSupported(std::string_view what) {
  return Status::InvalidArgument(fmt::format("{} is not supported yet", what));
}

Result<uint64_t> ConstantNumber(const ExprPtr& e, const char* clause) {
  if (!e) return uint64_t{0};
  Chunk one;
  one.rows = 1;
  HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr c, Evaluate(*e, one));
  if (!c->is_const || !c->type->IsInteger()) {
    return Status::InvalidArgument(fmt::format("The {} must be a constant integer", clause));
  }
  if (c->type->IsSigned() && NumbersAs<int64_t>(*c, 1)[0] < 0) {
    return Status::InvalidArgument(fmt::format("The {} must not be negative", clause));
  }
  return NumbersAs<uint64_t>(*c, 1)[0];
}

ExprPtr Identifier(std::string name) {
  auto id = std::make_unique<Expr>();
  id->kind = Expr::Kind::kIdentifier;
  id->parts = {std::move(name)};
  return id;
}

// a AND b, either of which may be absent.
ExprPtr And(ExprPtr a, ExprPtr b) {
  if (!a) return b;
  if (!b) return a;
  std::vector<ExprPtr> both;
  both.push_back(std::move(a));
  both.push_back(std::move(b));
  return MakeFunction("and", std::move(both), Position{});
}

// The conjuncts of a condition: a AND b AND c as [a, b, c].
void SplitAnd(ExprPtr e, std::vector<ExprPtr>& out) {
  if (e->kind == Expr::Kind::kFunction && e->name == "and" && e->alias.empty()) {
    for (ExprPtr& a : e->args) SplitAnd(std::move(a), out);
    return;
  }
  out.push_back(std::move(e));
}

struct Env {
  const QueryContext* context = nullptr;
  std::map<std::string, std::shared_ptr<SelectUnion>> ctes;  // WITH name AS (SELECT ...)
  int depth = 0;
};

Result<QueryResult> RunUnion(const SelectUnion& select, const Env& env);

// A subquery's result as the one-row constant that stands for it: its value (a scalar
// subquery), or the Array of its rows (the right side of IN).
Result<ExprPtr> SubqueryConstant(const SelectUnion& subquery, bool as_set, const Env& env) {
  HEDGEROW_ASSIGN_OR_RETURN(QueryResult r, RunUnion(subquery, env));
  ColumnPtr value;
  if (r.columns.size() == 1) {
    value = r.columns[0];
  } else {
    std::vector<DataTypePtr> types;
    for (const ColumnPtr& c : r.columns) types.push_back(c->type);
    auto tuple = MakeEmpty(MakeTuple(types));
    tuple->nested = r.columns;
    tuple->rows = r.rows;
    value = tuple;
  }
  auto out = std::make_unique<Expr>();
  out->kind = Expr::Kind::kConstant;
  out->name = "(" + FormatSelect(subquery) + ")";
  if (as_set) {
    auto array = MakeEmpty(MakeArray(value->type));
    array->nested = {value};
    array->offsets = {r.rows};
    array->rows = 1;
    array->is_const = true;
    out->constant = array;
    return ExprPtr(std::move(out));
  }
  if (r.rows > 1) return Status::InvalidArgument("Scalar subquery returned more than one row");
  // No row: NULL (of Nullable(T), as current ClickHouse; 18.16 typed it Nullable(Nothing)).
  std::shared_ptr<Column> one;
  if (r.rows == 0) {
    const TypeId id = value->type->id;
    const bool wraps = id == TypeId::kNullable || id == TypeId::kArray || id == TypeId::kTuple;  // these stay as they are
    DataTypePtr type = wraps ? value->type : MakeNullable(value->type);
    one = DefaultColumn(type, 1);
  } else {
    one = std::make_shared<Column>(*value);
  }
  one->is_const = true;
  one->rows = 1;
  out->constant = one;
  return ExprPtr(std::move(out));
}

// FROM's or a JOIN's table as an input, with the names it may be qualified by.
Result<Input> OpenTable(const TableExpr& t, const Env& env) {
  Input input;
  const QueryContext& context = *env.context;
  if (t.subquery) {
    Env inner = env;
    ++inner.depth;
    HEDGEROW_ASSIGN_OR_RETURN(QueryResult r, RunUnion(*t.subquery, inner));
    input = ResultInput(std::move(r));
  } else if (t.function) {
    HEDGEROW_ASSIGN_OR_RETURN(input, TableFunction(*t.function));
    input.qualifiers.push_back(t.function->name);
  } else if (t.database == "system") {
    Result<Input> system = SystemTable(t.table, context);
    if (!system.ok()) return Status::InvalidArgument(std::string(system.status().message()));
    input = std::move(*system);
    input.qualifiers = {t.table, "system." + t.table};
  } else if (t.database.empty() && env.ctes.count(t.table)) {
    Env inner = env;
    ++inner.depth;
    HEDGEROW_ASSIGN_OR_RETURN(QueryResult r, RunUnion(*env.ctes.at(t.table), inner));
    input = ResultInput(std::move(r));
    input.qualifiers.push_back(t.table);
  } else {
    if (!t.database.empty() && t.database != "default") {
      return Status::InvalidArgument(fmt::format("Database {} doesn't exist", t.database));
    }
    const store::Table* table = context.store == nullptr ? nullptr : context.store->table(t.table);
    if (table == nullptr) return Status::InvalidArgument(fmt::format("Table default.{} doesn't exist.", t.table));
    input = TableInput(*table, t.final, context.team_id);
    input.qualifiers = {t.table, "default." + t.table};
  }
  if (t.final && (input.table == nullptr || input.table->schema().engine != store::Engine::kReplacingMergeTree)) {
    return Status::InvalidArgument(fmt::format(
        "Storage {} doesn't support FINAL: only ReplacingMergeTree tables (events, person, ...) do",
        input.table == nullptr ? "of a subquery" : "MergeTree"));
  }
  if (!t.alias.empty()) input.qualifiers.insert(input.qualifiers.begin(), t.alias);
  return input;
}

// Every arrayJoin(x) call in `e` (outermost), by text; each becomes an ARRAY JOIN step.
void CollectArrayJoins(const Expr& e, std::map<std::string, const Expr*>& out) {
  if (e.kind == Expr::Kind::kFunction && e.name == "arrayJoin") {
    out.emplace(ExprText(e), &e);
    return;
  }
  for (const ExprPtr& a : e.args) CollectArrayJoins(*a, out);
}

class SelectPlanner {
 public:
  SelectPlanner(const SelectQuery& q, Env env) : q_(q), env_(std::move(env)) {}

  Result<QueryResult> Run() {
    HEDGEROW_RETURN_IF_ERROR(CollectWith());
    HEDGEROW_RETURN_IF_ERROR(OpenInputs());
    HEDGEROW_RETURN_IF_ERROR(PlanColumns());
    HEDGEROW_RETURN_IF_ERROR(PlanJoins());
    HEDGEROW_RETURN_IF_ERROR(PlanArrayJoins());
    HEDGEROW_RETURN_IF_ERROR(PlanClauses());
    HEDGEROW_RETURN_IF_ERROR(PlanScan());
    return RunPlan(plan_, *env_.context);
  }

 private:
  // WITH: expressions become aliases; subqueries become CTEs (and scalars where used as values).
  Status CollectWith() {
    for (const ExprPtr& w : q_.with) {
      if (w->alias.empty()) return Status::InvalidArgument("An expression of WITH needs a name: WITH expr AS name");
      if (w->kind == Expr::Kind::kSubquery) env_.ctes[w->alias] = w->subquery;
      aliases_[w->alias] = w.get();
    }
    for (const ExprPtr& c : q_.columns) {
      if (!c->alias.empty()) aliases_[c->alias] = c.get();
    }
    return Status::Ok();
  }

  Status OpenInputs() {
    Input from;
    if (q_.from) {
      HEDGEROW_ASSIGN_OR_RETURN(from, OpenTable(*q_.from, env_));
    } else {
      HEDGEROW_ASSIGN_OR_RETURN(from, SystemTable("one", *env_.context));
      from.qualifiers = {"one", "system.one"};
    }
    scope_.AddInput(from.qualifiers, from.names, from.types);
    plan_.input = std::move(from);
    for (const JoinClause& j : q_.joins) {
      if (j.strictness == JoinClause::Strictness::kAsof || j.strictness == JoinClause::Strictness::kSemi ||
          j.strictness == JoinClause::Strictness::kAnti) {
        return NotSupported("ASOF, SEMI and ANTI JOIN");
      }
      HEDGEROW_ASSIGN_OR_RETURN(Input right, OpenTable(j.table, env_));
      std::set<std::string> hidden(j.using_columns.begin(), j.using_columns.end());
      scope_.AddInput(right.qualifiers, right.names, right.types, hidden);
      right_inputs_.push_back(std::move(right));
    }
    return Status::Ok();
  }

  // A clause's expression: aliases expanded, names resolved, subqueries run.
  Result<ExprPtr> Prepare(const Expr& e) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr expanded, ExpandAliases(e, aliases_));
    SubqueryRunner run = [this](const SelectUnion& s, bool as_set) -> Result<ExprPtr> {
      Env inner = env_;
      if (++inner.depth > kMaxSubqueryDepth) return Status::InvalidArgument("Subqueries are nested too deep");
      return SubqueryConstant(s, as_set, inner);
    };
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr resolved, ResolveExpr(*expanded, scope_, run));
    return ReplaceArrayJoins(std::move(resolved));
  }

  // arrayJoin(x) reads the column its ARRAY JOIN step makes.
  Result<ExprPtr> ReplaceArrayJoins(ExprPtr e) {
    std::map<std::string, const Expr*> calls;
    CollectArrayJoins(*e, calls);
    if (calls.empty()) return e;
    std::set<std::string> texts;
    for (const auto& [text, call] : calls) {
      texts.insert(text);
      if (array_join_calls_.count(text)) continue;
      if (call->args.size() != 1) return WrongArgumentCount("arrayJoin", call->args.size(), "1");
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr array, CloneExpr(*call->args[0]));
      array_join_calls_[text] = std::move(array);
    }
    return ReplaceComputed(*e, texts);
  }

  Status PlanColumns() {
    for (const ExprPtr& c : q_.columns) {
      if (c->kind == Expr::Kind::kAsterisk) {
        for (const ScopeColumn& col : scope_.columns()) {
          if (!c->parts.empty() && !scope_.Qualifies(col.input, IdentifierName(*c))) continue;
          plan_.outputs.push_back(Identifier(col.internal));
          plan_.names.push_back(col.internal);
        }
        continue;
      }
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Prepare(*c));
      plan_.names.push_back(c->alias.empty() ? FormatExpr(*c) : c->alias);
      plan_.outputs.push_back(std::move(e));
    }
    if (plan_.outputs.empty()) return Status::InvalidArgument("Empty list of columns in SELECT query");
    return Status::Ok();
  }

  Status PlanJoins() {
    std::map<std::string, DataTypePtr> types = scope_.Types();
    for (size_t j = 0; j < q_.joins.size(); ++j) {
      const JoinClause& clause = q_.joins[j];
      const size_t input = j + 1;
      auto step = std::make_unique<JoinStep>();
      step->kind = clause.kind;
      step->any = clause.strictness == JoinClause::Strictness::kAny;
      std::vector<ExprPtr> right_keys;
      std::vector<DataTypePtr> left_types;
      for (const std::string& name : clause.using_columns) {
        std::string left = scope_.Resolve({name});
        if (left.empty()) return Status::InvalidArgument(fmt::format("Missing columns: '{}' in USING of JOIN", name));
        int right = right_inputs_[j].Find(name);
        if (right < 0) return Status::InvalidArgument(fmt::format("Missing columns: '{}' at right in USING of JOIN", name));
        step->left_keys.push_back(Identifier(left));
        right_keys.push_back(Identifier("\x01" + name));  // the right chunk's own name, below
        left_types.push_back(types.at(left));
      }
      if (clause.on) {
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr on, Prepare(*clause.on));
        std::vector<ExprPtr> conjuncts;
        SplitAnd(std::move(on), conjuncts);
        for (ExprPtr& c : conjuncts) {
          if (c->kind == Expr::Kind::kFunction && c->name == "equals" && c->args.size() == 2) {
            std::set<size_t> a = InputsOf(*c->args[0]), b = InputsOf(*c->args[1]);
            auto left_only = [&](const std::set<size_t>& s) { return !s.empty() && *s.rbegin() < input; };
            auto right_only = [&](const std::set<size_t>& s) { return s.size() == 1 && *s.begin() == input; };
            int left_arg = left_only(a) && right_only(b) ? 0 : left_only(b) && right_only(a) ? 1 : -1;
            if (left_arg >= 0) {
              HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*c->args[left_arg], types));
              left_types.push_back(std::move(t));
              step->left_keys.push_back(std::move(c->args[left_arg]));
              right_keys.push_back(std::move(c->args[1 - left_arg]));
              continue;
            }
          }
          if (clause.kind != JoinClause::Kind::kInner) {
            return Status::InvalidArgument(fmt::format(
                "Unsupported JOIN ON conditions: {}: only equalities of a left and a right expression", FormatExpr(*c)));
          }
          plan_.where = And(std::move(plan_.where), std::move(c));
        }
      }
      if (step->left_keys.empty() && clause.kind != JoinClause::Kind::kCross && clause.kind != JoinClause::Kind::kComma) {
        return Status::InvalidArgument("JOIN needs ON or USING (or CROSS JOIN)");
      }
      for (const ScopeColumn& c : scope_.columns()) {
        if (c.input < input) {
          step->left_names.push_back(c.internal);
          step->left_types.push_back(c.type);
        }
      }
      join_right_keys_.push_back(std::move(right_keys));
      join_left_types_.push_back(std::move(left_types));
      plan_.joins.push_back(std::move(step));
    }
    return Status::Ok();
  }

  std::set<size_t> InputsOf(const Expr& e) const { return query::InputsOf(e, scope_); }

  Status PlanArrayJoins() {
    std::map<std::string, DataTypePtr> types = scope_.Types();
    if (q_.array_join) {
      ArrayJoinStep step;
      step.left = q_.array_join->left;
      std::vector<std::pair<std::string, DataTypePtr>> made;
      for (const ExprPtr& a : q_.array_join->exprs) {
        ExprPtr copy;
        {
          HEDGEROW_ASSIGN_OR_RETURN(ExprPtr unaliased, CloneExpr(*a));
          unaliased->alias.clear();
          HEDGEROW_ASSIGN_OR_RETURN(copy, Prepare(*unaliased));
        }
        HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*copy, types));
        if (t->id != TypeId::kArray) {
          return Status::InvalidArgument(fmt::format("ARRAY JOIN requires array argument, got {}", t->Name()));
        }
        std::string name = !a->alias.empty() ? a->alias : copy->kind == Expr::Kind::kIdentifier ? IdentifierName(*copy) : ExprText(*a);
        step.names.push_back(name);
        step.arrays.push_back(std::move(copy));
        made.emplace_back(name, t->nested[0]);
      }
      for (auto& [name, type] : made) scope_.AddColumn(name, type);
      plan_.array_joins.push_back(std::move(step));
    }
    return Status::Ok();
  }

  Status PlanClauses() {
    for (const ExprPtr* part : {&q_.prewhere, &q_.where}) {
      if (!*part) continue;
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Prepare(**part));
      plan_.where = And(std::move(plan_.where), std::move(e));
    }
    for (const ExprPtr& g : q_.group_by) {
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Prepare(*g));
      plan_.group_by.push_back(std::move(e));
    }
    for (const OrderItem& o : q_.order_by) {
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Prepare(*o.expr));
      plan_.order_by.push_back(std::move(e));
      plan_.order.push_back(OrderItem{nullptr, o.descending, o.nulls_first, o.collation});
    }
    if (q_.having) {
      HEDGEROW_ASSIGN_OR_RETURN(plan_.having, Prepare(*q_.having));
    }
    if (q_.limit_by) {
      for (const ExprPtr& b : q_.limit_by->by) {
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Prepare(*b));
        plan_.limit_by.push_back(std::move(e));
      }
      HEDGEROW_ASSIGN_OR_RETURN(plan_.limit_by_limit, ConstantNumber(q_.limit_by->limit, "LIMIT BY"));
      HEDGEROW_ASSIGN_OR_RETURN(plan_.limit_by_offset, ConstantNumber(q_.limit_by->offset, "LIMIT BY's OFFSET"));
    }
    plan_.distinct = q_.distinct;
    plan_.with_totals = q_.with_totals;
    HEDGEROW_ASSIGN_OR_RETURN(plan_.limit, ConstantNumber(q_.limit, "LIMIT"));
    HEDGEROW_ASSIGN_OR_RETURN(plan_.offset, ConstantNumber(q_.offset, "OFFSET"));
    plan_.has_limit = q_.limit != nullptr;

    // arrayJoin() calls, each a step of its own after ARRAY JOIN's.
    std::map<std::string, DataTypePtr> types = scope_.Types();
    for (auto& [text, array] : array_join_calls_) {
      HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr t, TypeOfExpr(*array, types));
      if (t->id != TypeId::kArray) {
        return Status::InvalidArgument(fmt::format("Argument for function arrayJoin must be Array, got {}", t->Name()));
      }
      ArrayJoinStep step;
      step.arrays.push_back(std::move(array));
      step.names.push_back(text);
      scope_.AddColumn(text, t->nested[0]);
      types[text] = t->nested[0];
      plan_.array_joins.push_back(std::move(step));
    }

    // Aggregation: GROUP BY, or an aggregate anywhere in SELECT, HAVING or ORDER BY.
    for (const ExprPtr& e : plan_.outputs) CollectAggregates(*e, plan_.aggregate_calls);
    if (plan_.having) CollectAggregates(*plan_.having, plan_.aggregate_calls);
    for (const ExprPtr& e : plan_.order_by) CollectAggregates(*e, plan_.aggregate_calls);
    if (plan_.where && ContainsAggregate(*plan_.where)) return Status::InvalidArgument("Aggregate function found in WHERE");
    plan_.aggregating = !plan_.group_by.empty() || !plan_.aggregate_calls.empty() || plan_.having;
    if (plan_.aggregating) HEDGEROW_RETURN_IF_ERROR(CheckAggregated());
    return Status::Ok();
  }

  // After aggregation only the GROUP BY keys and the aggregates are left: a column used
  // outside both is an error, as ClickHouse's.
  Status CheckAggregated() const {
    std::set<std::string> computed;
    for (const ExprPtr& g : plan_.group_by) computed.insert(ExprText(*g));
    for (const auto& [text, call] : plan_.aggregate_calls) computed.insert(text);
    std::set<std::string> columns;
    for (const ScopeColumn& c : scope_.columns()) columns.insert(c.internal);
    for (const std::vector<ExprPtr>* list : {&plan_.outputs, &plan_.order_by, &plan_.limit_by}) {
      for (const ExprPtr& e : *list) {
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr left, ReplaceComputed(*e, computed));
        std::set<std::string> used;
        CollectColumns(*left, columns, used);
        used.erase(std::string());
        for (const std::string& name : used) {
          if (computed.count(name) == 0) {
            return Status::InvalidArgument(fmt::format(
                "Column `{}` is not under aggregate function and not in GROUP BY: {}", name, FormatExpr(*e)));
          }
        }
      }
    }
    return Status::Ok();
  }

  // The columns each input must give: every one any expression names.
  Status PlanScan() {
    std::set<std::string> internal;
    for (const ScopeColumn& c : scope_.columns()) internal.insert(c.internal);
    std::set<std::string> needed;
    auto collect = [&](const ExprPtr& e) {
      if (e) CollectColumns(*e, internal, needed);
    };
    for (const ExprPtr& e : plan_.outputs) collect(e);
    for (const ExprPtr& e : plan_.group_by) collect(e);
    for (const ExprPtr& e : plan_.order_by) collect(e);
    for (const ExprPtr& e : plan_.limit_by) collect(e);
    collect(plan_.where);
    collect(plan_.having);
    for (const auto& j : plan_.joins) for (const ExprPtr& e : j->left_keys) collect(e);
    for (const auto& keys : join_right_keys_) for (const ExprPtr& e : keys) collect(e);
    for (const ArrayJoinStep& a : plan_.array_joins) for (const ExprPtr& e : a.arrays) collect(e);
    for (const ScopeColumn& c : scope_.columns()) {
      // A right input's columns all travel with the join (RIGHT/FULL tails need them too).
      if (c.input == 0 && needed.count(c.internal) && c.internal == c.name) plan_.scan_columns.push_back(c.name);
    }
    for (size_t j = 0; j < plan_.joins.size(); ++j) {
      JoinStep& step = *plan_.joins[j];
      std::vector<std::string> columns, internal_names;
      for (const ScopeColumn& c : scope_.columns()) {
        if (c.input == j + 1 && (needed.count(c.internal))) {
          columns.push_back(c.name);
          internal_names.push_back(c.internal);
        }
      }
      // USING keys are read under a name no query can write.
      std::vector<ExprPtr>& right_keys = join_right_keys_[j];
      for (ExprPtr& k : right_keys) {
        if (k->kind == Expr::Kind::kIdentifier && k->parts[0][0] == '\x01') {
          columns.push_back(k->parts[0].substr(1));
          internal_names.push_back(k->parts[0]);
        }
      }
      HEDGEROW_ASSIGN_OR_RETURN(step.right, Collect(right_inputs_[j], columns));
      uint64_t bytes = 0;
      for (const ColumnPtr& c : step.right.columns) bytes += ColumnBytes(*c);
      HEDGEROW_RETURN_IF_ERROR(CheckLimits(*env_.context, bytes));
      step.right.names = internal_names;
      HEDGEROW_RETURN_IF_ERROR(BuildJoinIndex(step, right_keys, join_left_types_[j]));
      // RIGHT and FULL: a right row without a match shows its own USING key values.
      std::map<std::string, ColumnPtr> using_values;
      for (size_t k = 0; k < right_keys.size() && step.matched; ++k) {
        if (right_keys[k]->kind != Expr::Kind::kIdentifier || right_keys[k]->parts[0][0] != '\x01') continue;
        int at = step.right.Find(right_keys[k]->parts[0]);
        Result<ColumnPtr> cast = CastColumn(step.right.columns[static_cast<size_t>(at)], join_left_types_[j][k]);
        if (cast.ok()) using_values[step.left_keys[k]->parts[0]] = *cast;
      }
      // Only the columns the query reads travel on.
      for (size_t i = step.right.names.size(); i-- > 0;) {
        if (step.right.names[i][0] == '\x01') {
          step.right.names.erase(step.right.names.begin() + static_cast<std::ptrdiff_t>(i));
          step.right.columns.erase(step.right.columns.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      std::vector<std::string> kept_left;
      std::vector<DataTypePtr> kept_types;
      for (size_t i = 0; i < step.left_names.size(); ++i) {
        if (needed.count(step.left_names[i])) {
          kept_left.push_back(step.left_names[i]);
          kept_types.push_back(step.left_types[i]);
        }
      }
      step.left_names = std::move(kept_left);
      step.left_types = std::move(kept_types);
      for (size_t i = 0; i < step.left_names.size(); ++i) {
        if (auto it = using_values.find(step.left_names[i]); it != using_values.end()) step.using_keys[i] = it->second;
      }
    }
    plan_.column_types = scope_.Types();
    // A RIGHT or FULL join keeps right rows whatever the left's time, so only without one.
    bool keeps_right = std::any_of(plan_.joins.begin(), plan_.joins.end(), [](const auto& j) {
      return j->kind == JoinClause::Kind::kRight || j->kind == JoinClause::Kind::kFull;
    });
    // An ARRAY JOIN name may shadow the table's column: conditions on it are not the column's.
    bool shadowed = false;
    for (const ArrayJoinStep& step : plan_.array_joins) {
      for (const std::string& name : step.names) shadowed = shadowed || plan_.input.Find(name) >= 0;
    }
    if (!keeps_right && !shadowed) {
      PruneByTime(plan_.where.get(), plan_.input);
      PruneByKey(plan_.where.get(), plan_.input);
    }
    return Status::Ok();
  }

  const SelectQuery& q_;
  Env env_;
  std::map<std::string, const Expr*> aliases_;
  Scope scope_;
  std::vector<Input> right_inputs_;
  std::vector<std::vector<ExprPtr>> join_right_keys_;
  std::vector<std::vector<DataTypePtr>> join_left_types_;
  std::map<std::string, ExprPtr> array_join_calls_;
  Plan plan_;
};

Result<QueryResult> RunUnion(const SelectUnion& select, const Env& env) {
  if (env.depth > kMaxSubqueryDepth) return Status::InvalidArgument("Subqueries are nested too deep");
  std::vector<QueryResult> results;
  for (const auto& q : select.selects) {
    HEDGEROW_ASSIGN_OR_RETURN(QueryResult r, SelectPlanner(*q, env).Run());
    if (!results.empty() && r.columns.size() != results[0].columns.size()) {
      return Status::InvalidArgument(fmt::format("Different number of columns in UNION ALL elements: {} and {}",
                                                 results[0].columns.size(), r.columns.size()));
    }
    results.push_back(std::move(r));
  }
  if (results.size() == 1) return std::move(results[0]);
  QueryResult out;
  out.names = results[0].names;
  for (size_t c = 0; c < out.names.size(); ++c) {
    std::vector<DataTypePtr> types;
    for (const QueryResult& r : results) types.push_back(r.columns[c]->type);
    HEDGEROW_ASSIGN_OR_RETURN(DataTypePtr common, LeastSupertype(types));
    auto column = MakeEmpty(common);
    for (const QueryResult& r : results) {
      ColumnPtr cast = r.columns[c];
      if (cast->type->Name() != common->Name()) {
        HEDGEROW_ASSIGN_OR_RETURN(cast, CastColumn(cast, common));
      }
      for (size_t row = 0; row < r.rows; ++row) AppendRow(*column, *cast, row);
    }
    out.columns.push_back(std::move(column));
  }
  for (const QueryResult& r : results) out.rows += r.rows;
  return out;
}

}  // namespace

Result<QueryResult> ExecuteSelect(const SelectUnion& select, const QueryContext& context) {
  Env env;
  env.context = &context;
  HEDGEROW_ASSIGN_OR_RETURN(QueryResult result, RunUnion(select, env));
  // The final result's rows only, as ClickHouse's: subqueries are bounded by memory.
  if (result.rows > context.max_result_rows) {
    return Status::InvalidArgument(fmt::format("Limit for result rows exceeded: more than {}", context.max_result_rows));
  }
  return result;
}

}  // namespace hedgerow::query
