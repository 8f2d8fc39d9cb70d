// HogQL sugar: PostHog's names for event properties and persons, rewritten into the
// ClickHouse SQL PostHog's printer (posthog/hogql/printer) would send.

#include "hedgerow/query/hogql.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgerow/query/parser.h"

namespace hedgerow::query {
namespace {

// Each level the parser counts is at most two here (a subquery is a SELECT and an
// expression), so a parsed query never reaches this; trees built by hand are checked too.
constexpr int kMaxDepth = 2 * static_cast<int>(kMaxParserDepth);

// The person_distinct_id2 and person rows that count: the highest version of each key,
// unless that version deleted it (ingestion.md §8; PostHog's events__pdi and persons).
constexpr const char* kDistinctIdsSql =
    "SELECT distinct_id, argMax(person_id, version) AS person_id FROM person_distinct_id2 "
    "GROUP BY distinct_id HAVING argMax(is_deleted, version) = 0";
constexpr const char* kPersonsSql = "SELECT id{} FROM person GROUP BY id HAVING argMax(is_deleted, version) = 0";

Status TooDeep() {
  return Status::InvalidArgument(fmt::format("HogQL: the query nests deeper than {} levels", kMaxParserDepth));
}

ExprPtr Identifier(std::vector<std::string> parts, Position position) {
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kIdentifier;
  e->parts = std::move(parts);
  e->position = position;
  return e;
}

ExprPtr Call(const char* name, ExprPtr a, ExprPtr b, Position position) {
  std::vector<ExprPtr> args;
  args.push_back(std::move(a));
  args.push_back(std::move(b));
  return MakeFunction(name, std::move(args), position);
}

// PostHog's printer's _unsafe_json_extract_trim_quotes: the raw JSON of the value, NULL for
// a missing key or JSON null, and a string without its quotes (escapes stay as written).
ExprPtr ExtractProperty(ExprPtr json, const std::vector<std::string>& keys, Position p) {
  std::vector<ExprPtr> args;
  args.push_back(std::move(json));
  for (const std::string& k : keys) args.push_back(MakeLiteral(k, p));
  ExprPtr raw = MakeFunction("JSONExtractRaw", std::move(args), p);
  ExprPtr value = Call("nullIf", Call("nullIf", std::move(raw), MakeLiteral(std::string(), p), p),
                       MakeLiteral(std::string("null"), p), p);
  std::vector<ExprPtr> trim;
  trim.push_back(std::move(value));
  trim.push_back(MakeLiteral(std::string("^\"|\"$"), p));
  trim.push_back(MakeLiteral(std::string(), p));
  return MakeFunction("replaceRegexpAll", std::move(trim), p);
}

// A store table in FROM or JOIN whose names this pass rewrites.
struct SugarInput {
  bool events = false;                  // else the person table: only its properties
  std::string alias, table;
  std::string qualifier;                // how rewritten names point at it: alias, else table
  // Person joins this SELECT needs for this events table, named once needed.
  std::string distinct_ids_alias, persons_alias;
  bool person_properties = false, person_created_at = false;
};

// What a name means, once its qualifier is taken off.
struct Meaning {
  enum class Kind { kNone, kProperties, kPersonProperties, kPersonId, kPersonCreatedAt };
  Kind kind = Kind::kNone;
  SugarInput* input = nullptr;
  std::vector<std::string> keys;  // below properties
};

bool IsArrayElementWithKey(const Expr& e) {
  return e.kind == Expr::Kind::kFunction && e.name == "arrayElement" && e.args.size() == 2 &&
         e.args[1]->kind == Expr::Kind::kLiteral && std::holds_alternative<std::string>(e.args[1]->literal);
}

// Every name the query uses anywhere, so that the joins' aliases collide with none.
Status CollectNames(const Expr& e, std::set<std::string>& out, int depth);

Status CollectNames(const SelectUnion& u, std::set<std::string>& out, int depth) {
  if (++depth > kMaxDepth) return TooDeep();
  for (const auto& q : u.selects) {
    auto table = [&](const TableExpr& t) -> Status {
      out.insert(t.alias);
      out.insert(t.table);
      if (t.subquery) HEDGEROW_RETURN_IF_ERROR(CollectNames(*t.subquery, out, depth));
      if (t.function) HEDGEROW_RETURN_IF_ERROR(CollectNames(*t.function, out, depth));
      return Status::Ok();
    };
    if (q->from) HEDGEROW_RETURN_IF_ERROR(table(*q->from));
    for (const JoinClause& j : q->joins) {
      HEDGEROW_RETURN_IF_ERROR(table(j.table));
      out.insert(j.using_columns.begin(), j.using_columns.end());
      if (j.on) HEDGEROW_RETURN_IF_ERROR(CollectNames(*j.on, out, depth));
    }
    for (const auto* list : {&q->with, &q->columns, &q->group_by}) {
      for (const ExprPtr& e : *list) HEDGEROW_RETURN_IF_ERROR(CollectNames(*e, out, depth));
    }
    for (const ExprPtr* e : {&q->prewhere, &q->where, &q->having}) {
      if (*e) HEDGEROW_RETURN_IF_ERROR(CollectNames(**e, out, depth));
    }
    for (const OrderItem& o : q->order_by) HEDGEROW_RETURN_IF_ERROR(CollectNames(*o.expr, out, depth));
    if (q->array_join) {
      for (const ExprPtr& e : q->array_join->exprs) HEDGEROW_RETURN_IF_ERROR(CollectNames(*e, out, depth));
    }
    if (q->limit_by) {
      for (const ExprPtr& e : q->limit_by->by) HEDGEROW_RETURN_IF_ERROR(CollectNames(*e, out, depth));
    }
  }
  return Status::Ok();
}

Status CollectNames(const Expr& e, std::set<std::string>& out, int depth) {
  if (++depth > kMaxDepth) return TooDeep();
  out.insert(e.alias);
  out.insert(e.parts.begin(), e.parts.end());
  out.insert(e.lambda_params.begin(), e.lambda_params.end());
  if (e.subquery) HEDGEROW_RETURN_IF_ERROR(CollectNames(*e.subquery, out, depth));
  for (const ExprPtr& a : e.args) HEDGEROW_RETURN_IF_ERROR(CollectNames(*a, out, depth));
  for (const ExprPtr& a : e.params) HEDGEROW_RETURN_IF_ERROR(CollectNames(*a, out, depth));
  return Status::Ok();
}

class Rewriter {
 public:
  explicit Rewriter(std::set<std::string> taken) : taken_(std::move(taken)) {}

  Status Union(SelectUnion& u, const std::set<std::string>& ctes, int depth) {
    if (++depth > kMaxDepth) return TooDeep();
    for (auto& q : u.selects) HEDGEROW_RETURN_IF_ERROR(Select(*q, ctes, depth));
    return Status::Ok();
  }

 private:
  // One SELECT: its own inputs, so its own names (a subquery sees only its own FROM).
  Status Select(SelectQuery& q, std::set<std::string> ctes, int depth) {
    if (++depth > kMaxDepth) return TooDeep();
    for (const ExprPtr& w : q.with) {
      if (w->kind == Expr::Kind::kSubquery && !w->alias.empty()) ctes.insert(w->alias);
    }
    std::vector<SugarInput> inputs;
    std::vector<std::vector<std::string>> qualifiers;  // of every input, sugar or not
    size_t from_sugar = SIZE_MAX;
    auto add_input = [&](TableExpr& t, bool from) -> Status {
      if (t.subquery) HEDGEROW_RETURN_IF_ERROR(Union(*t.subquery, ctes, depth));
      std::vector<std::string> names;
      if (!t.alias.empty()) names.push_back(t.alias);
      if (t.function) names.push_back(t.function->name);
      if (!t.subquery && !t.function) {
        names.push_back(t.table);
        if (!t.database.empty()) names.push_back(t.database + "." + t.table);
      }
      qualifiers.push_back(names);
      const bool store_table = !t.subquery && !t.function &&
                               (t.database == "default" || (t.database.empty() && !ctes.count(t.table)));
      if (store_table && (t.table == "events" || t.table == "person")) {
        SugarInput in;
        in.events = t.table == "events";
        in.alias = t.alias;
        in.table = t.table;
        in.qualifier = t.alias.empty() ? t.table : t.alias;
        if (from) from_sugar = inputs.size();
        inputs.push_back(std::move(in));
      }
      return Status::Ok();
    };
    if (q.from) HEDGEROW_RETURN_IF_ERROR(add_input(*q.from, true));
    for (JoinClause& j : q.joins) HEDGEROW_RETURN_IF_ERROR(add_input(j.table, false));
    const size_t own_joins = q.joins.size();
    // Set after the FROM and JOIN subqueries above, which are SELECTs of their own.
    inputs_ = &inputs;
    qualifiers_ = &qualifiers;
    ctes_ = &ctes;
    from_sugar_ = from_sugar;

    for (ExprPtr& w : q.with) HEDGEROW_RETURN_IF_ERROR(Rewrite(w, depth));
    for (ExprPtr& c : q.columns) {
      // A changed column keeps the name it had as written (ClickHouse names by the text).
      std::string written = c->alias.empty() && c->kind != Expr::Kind::kAsterisk ? FormatExpr(*c) : std::string();
      bool changed = false;
      HEDGEROW_RETURN_IF_ERROR(Rewrite(c, depth, &changed));
      if (changed && !written.empty()) c->alias = written;
    }
    for (ExprPtr* e : {&q.prewhere, &q.where, &q.having, &q.limit, &q.offset}) {
      if (*e) HEDGEROW_RETURN_IF_ERROR(Rewrite(*e, depth));
    }
    for (ExprPtr& g : q.group_by) HEDGEROW_RETURN_IF_ERROR(Rewrite(g, depth));
    for (OrderItem& o : q.order_by) HEDGEROW_RETURN_IF_ERROR(Rewrite(o.expr, depth));
    if (q.limit_by) {
      for (ExprPtr& b : q.limit_by->by) HEDGEROW_RETURN_IF_ERROR(Rewrite(b, depth));
    }
    if (q.array_join) {
      for (ExprPtr& a : q.array_join->exprs) HEDGEROW_RETURN_IF_ERROR(Rewrite(a, depth));
    }
    for (JoinClause& j : q.joins) {
      if (j.on) HEDGEROW_RETURN_IF_ERROR(Rewrite(j.on, depth));
    }
    HEDGEROW_RETURN_IF_ERROR(AddPersonJoins(q, inputs));
    if (q.joins.size() > own_joins) ListOwnInputs(q, qualifiers);
    return Status::Ok();
  }

  // `parts` with a sugar input's qualifier (alias, table or default.table) taken off; 0
  // when it has none of them.
  static size_t QualifierLength(const SugarInput& in, const std::vector<std::string>& parts) {
    if (parts.size() >= 2 && !in.alias.empty() && parts[0] == in.alias) return 1;
    if (parts.size() >= 2 && parts[0] == in.table) return 1;
    if (parts.size() >= 3 && parts[0] == "default" && parts[1] == in.table) return 2;
    return 0;
  }

  bool NamesAnInput(const std::vector<std::string>& parts) const {
    for (const auto& names : *qualifiers_) {
      for (const std::string& n : names) {
        if (n == parts[0] || (parts.size() >= 2 && n == parts[0] + "." + parts[1])) return true;
      }
    }
    return false;
  }

  Meaning Classify(const std::vector<std::string>& parts) const {
    Meaning m;
    if (parts.empty() || bound_.count(parts[0])) return m;
    size_t skip = 0;
    for (SugarInput& in : *inputs_) {
      skip = QualifierLength(in, parts);
      if (skip > 0) {
        m.input = &in;
        break;
      }
    }
    if (m.input == nullptr) {
      // Unqualified: FROM's table, unless the first part names another input.
      if (from_sugar_ == SIZE_MAX || NamesAnInput(parts)) return m;
      m.input = &(*inputs_)[from_sugar_];
    }
    std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(skip), parts.end());
    if (rest[0] == "properties") {
      m.kind = Meaning::Kind::kProperties;
      m.keys.assign(rest.begin() + 1, rest.end());
      return m;
    }
    if (!m.input->events) return m;
    if (rest.size() == 1 && rest[0] == "person_id") {
      m.kind = Meaning::Kind::kPersonId;
    } else if (rest.size() == 2 && rest[0] == "person" && rest[1] == "id") {
      m.kind = Meaning::Kind::kPersonId;
    } else if (rest.size() == 2 && rest[0] == "person" && rest[1] == "created_at") {
      m.kind = Meaning::Kind::kPersonCreatedAt;
    } else if (rest.size() >= 2 && rest[0] == "person" && rest[1] == "properties") {
      m.kind = Meaning::Kind::kPersonProperties;
      m.keys.assign(rest.begin() + 2, rest.end());
    }
    return m;
  }

  // A JSON path: a properties name, or arrayElement of one with a string key.
  Meaning PropertyPath(const Expr& e, int depth) const {
    if (depth > kMaxDepth) return {};
    if (e.kind == Expr::Kind::kIdentifier) {
      Meaning m = Classify(e.parts);
      if (m.kind == Meaning::Kind::kProperties || m.kind == Meaning::Kind::kPersonProperties) return m;
      return {};
    }
    if (!IsArrayElementWithKey(e) || !e.args[0]->alias.empty()) return {};
    Meaning m = PropertyPath(*e.args[0], depth + 1);
    if (m.kind != Meaning::Kind::kNone) m.keys.push_back(std::get<std::string>(e.args[1]->literal));
    return m;
  }

  std::string FreshName(const std::string& base) {
    std::string name = base;
    for (int n = 2; taken_.count(name); ++n) name = fmt::format("{}_{}", base, n);
    taken_.insert(name);
    return name;
  }

  // The expression a meaning stands for; nullptr when the name stays as written.
  ExprPtr Build(const Meaning& m, Position p) {
    if (m.kind == Meaning::Kind::kNone) return nullptr;
    SugarInput& in = *m.input;
    auto distinct_ids = [&]() -> const std::string& {
      if (in.distinct_ids_alias.empty()) in.distinct_ids_alias = FreshName("__hogql_distinct_ids");
      return in.distinct_ids_alias;
    };
    auto persons = [&]() -> const std::string& {
      distinct_ids();
      if (in.persons_alias.empty()) in.persons_alias = FreshName("__hogql_persons");
      return in.persons_alias;
    };
    switch (m.kind) {
      case Meaning::Kind::kNone: return nullptr;
      case Meaning::Kind::kProperties:
        if (m.keys.empty()) return nullptr;  // the column itself
        return ExtractProperty(Identifier({in.qualifier, "properties"}, p), m.keys, p);
      case Meaning::Kind::kPersonId: return Identifier({distinct_ids(), "person_id"}, p);
      case Meaning::Kind::kPersonCreatedAt:
        in.person_created_at = true;
        return Identifier({persons(), "created_at"}, p);
      case Meaning::Kind::kPersonProperties: {
        in.person_properties = true;
        ExprPtr json = Identifier({persons(), "properties"}, p);
        return m.keys.empty() ? std::move(json) : ExtractProperty(std::move(json), m.keys, p);
      }
    }
    return nullptr;
  }

  Status Rewrite(ExprPtr& e, int depth, bool* changed = nullptr) {
    if (++depth > kMaxDepth) return TooDeep();
    ExprPtr replacement;
    if (e->kind == Expr::Kind::kIdentifier) {
      replacement = Build(Classify(e->parts), e->position);
    } else if (IsArrayElementWithKey(*e)) {
      Meaning m = PropertyPath(*e, depth);
      if (m.kind != Meaning::Kind::kNone) replacement = Build(m, e->position);
    }
    if (replacement) {
      replacement->alias = std::move(e->alias);
      e = std::move(replacement);
      if (changed) *changed = true;
      return Status::Ok();
    }
    if (e->kind == Expr::Kind::kSubquery) return Subquery(*e->subquery, depth);
    std::vector<std::string> newly_bound;
    for (const std::string& p : e->lambda_params) {
      if (bound_.insert(p).second) newly_bound.push_back(p);
    }
    for (ExprPtr& a : e->args) HEDGEROW_RETURN_IF_ERROR(Rewrite(a, depth, changed));
    for (ExprPtr& a : e->params) HEDGEROW_RETURN_IF_ERROR(Rewrite(a, depth, changed));
    for (const std::string& p : newly_bound) bound_.erase(p);
    return Status::Ok();
  }

  // A subquery in an expression is a scope of its own; this SELECT's state is kept aside.
  Status Subquery(SelectUnion& u, int depth) {
    auto* inputs = inputs_;
    auto* qualifiers = qualifiers_;
    auto* ctes = ctes_;
    const size_t from = from_sugar_;
    std::set<std::string> bound;
    bound.swap(bound_);  // lambda parameters do not reach into subqueries
    Status s = Union(u, *ctes, depth);
    bound.swap(bound_);
    inputs_ = inputs;
    qualifiers_ = qualifiers;
    ctes_ = ctes;
    from_sugar_ = from;
    return s;
  }

  // The joins the person names need, after the query's own.
  static Status AddPersonJoins(SelectQuery& q, std::vector<SugarInput>& inputs) {
    for (SugarInput& in : inputs) {
      if (in.distinct_ids_alias.empty()) continue;
      HEDGEROW_ASSIGN_OR_RETURN(Statement ids, ParseStatement(kDistinctIdsSql));
      JoinClause join;
      join.kind = JoinClause::Kind::kLeft;
      join.table.subquery = std::move(ids.select);
      join.table.alias = in.distinct_ids_alias;
      join.on = Call("equals", Identifier({in.qualifier, "distinct_id"}, {}),
                     Identifier({in.distinct_ids_alias, "distinct_id"}, {}), {});
      q.joins.push_back(std::move(join));
      if (in.persons_alias.empty()) continue;
      std::string columns;
      if (in.person_properties) columns += ", argMax(properties, version) AS properties";
      if (in.person_created_at) columns += ", argMax(created_at, version) AS created_at";
      HEDGEROW_ASSIGN_OR_RETURN(Statement persons, ParseStatement(fmt::format(kPersonsSql, columns)));
      JoinClause person;
      person.kind = JoinClause::Kind::kLeft;
      person.table.subquery = std::move(persons.select);
      person.table.alias = in.persons_alias;
      person.on = Call("equals", Identifier({in.distinct_ids_alias, "person_id"}, {}),
                       Identifier({in.persons_alias, "id"}, {}), {});
      q.joins.push_back(std::move(person));
    }
    return Status::Ok();
  }

  // `*` would list the added joins' columns too: it names the query's own inputs instead,
  // when each has a name of its own (a subquery without an alias has none: `*` stays).
  static void ListOwnInputs(SelectQuery& q, const std::vector<std::vector<std::string>>& qualifiers) {
    std::vector<std::string> names;
    for (const auto& n : qualifiers) {
      if (n.empty() || std::count(names.begin(), names.end(), n[0])) return;
      names.push_back(n[0]);
    }
    std::vector<ExprPtr> columns;
    for (ExprPtr& c : q.columns) {
      if (c->kind != Expr::Kind::kAsterisk || !c->parts.empty()) {
        columns.push_back(std::move(c));
        continue;
      }
      for (const std::string& n : names) {
        auto star = std::make_unique<Expr>();
        star->kind = Expr::Kind::kAsterisk;
        star->parts = {n};
        star->position = c->position;
        columns.push_back(std::move(star));
      }
    }
    q.columns = std::move(columns);
  }

  std::set<std::string> taken_;
  std::set<std::string> bound_;  // lambda parameters in scope
  // The SELECT being rewritten.
  std::vector<SugarInput>* inputs_ = nullptr;
  const std::vector<std::vector<std::string>>* qualifiers_ = nullptr;
  const std::set<std::string>* ctes_ = nullptr;
  size_t from_sugar_ = SIZE_MAX;  // index in inputs_ of FROM's table, if it is one
};

}  // namespace

Status ApplyHogQLSugar(SelectUnion& query) {
  std::set<std::string> taken;
  HEDGEROW_RETURN_IF_ERROR(CollectNames(query, taken, 0));
  return Rewriter(std::move(taken)).Union(query, {}, 0);
}

}  // namespace hedgerow::query
