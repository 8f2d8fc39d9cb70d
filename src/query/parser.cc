#include "hedgerow/query/parser.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "parser_impl.h"

namespace hedgerow::query {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

// Words that end an expression or a table where an implicit alias could stand instead.
constexpr std::string_view kClauseWords[] = {
    "FROM",  "WHERE", "PREWHERE", "GROUP", "HAVING", "ORDER",  "LIMIT", "OFFSET", "UNION", "SETTINGS", "FORMAT",
    "INTO",  "JOIN",  "INNER",    "LEFT",  "RIGHT",  "FULL",   "CROSS", "ANY",    "ALL",   "ASOF",     "SEMI",
    "ANTI",  "GLOBAL", "ON",      "USING", "AS",     "ARRAY",  "FINAL", "SAMPLE", "WITH",  "AND",      "OR",
    "NOT",   "IN",    "LIKE",     "ILIKE", "BETWEEN", "IS",    "ASC",   "DESC",   "ASCENDING", "DESCENDING",
    "NULLS", "COLLATE", "BY",     "THEN",  "ELSE",   "END",    "WHEN",  "DIV",    "MOD",   "TOTALS",   "SELECT",
    "OUTER", "LOCAL"};

// Statements that would change data or the server: refused whole, before anything else.
constexpr std::string_view kWriteStatements[] = {"INSERT", "ALTER",  "CREATE", "DROP",   "TRUNCATE", "RENAME",
                                                 "DELETE", "UPDATE", "OPTIMIZE", "SYSTEM", "KILL",   "ATTACH",
                                                 "DETACH", "GRANT",  "REVOKE", "SET",    "USE",      "EXCHANGE"};

}  // namespace

bool Parser::IsKeyword(std::string_view keyword, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kBareWord && EqualsIgnoreCase(t.text, keyword);
}

bool Parser::IsPunct(std::string_view punct, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kPunct && t.text == punct;
}

bool Parser::AcceptKeyword(std::string_view keyword) {
  if (!IsKeyword(keyword)) return false;
  Next();
  return true;
}

bool Parser::AcceptPunct(std::string_view punct) {
  if (!IsPunct(punct)) return false;
  Next();
  return true;
}

Status Parser::ExpectKeyword(std::string_view keyword) { return AcceptKeyword(keyword) ? Status::Ok() : Expected(keyword); }

Status Parser::ExpectPunct(std::string_view punct) {
  return AcceptPunct(punct) ? Status::Ok() : Expected(fmt::format("'{}'", punct));
}

Status Parser::Expected(std::string_view what) const {
  const Token& t = Peek();
  return Status::InvalidArgument(fmt::format("Syntax error at line {}, column {}: expected {}, got {}", t.position.line,
                                             t.position.column, what, Describe(t)));
}

Result<std::string> Parser::Name(std::string_view what) {
  if (Peek().kind != TokenKind::kBareWord && Peek().kind != TokenKind::kQuotedName) return Expected(what);
  return Next().text;
}

bool Parser::AtClauseEnd() const {
  const Token& t = Peek();
  if (t.kind != TokenKind::kBareWord) return false;
  return std::any_of(std::begin(kClauseWords), std::end(kClauseWords),
                     [&](std::string_view w) { return EqualsIgnoreCase(t.text, w); });
}

Status Parser::Enter() {
  if (++depth_ > kMaxParserDepth) {
    const Token& t = Peek();
    return Status::InvalidArgument(fmt::format("Syntax error at line {}, column {}: the query nests deeper than {} levels",
                                               t.position.line, t.position.column, kMaxParserDepth));
  }
  return Status::Ok();
}

Result<std::unique_ptr<SelectUnion>> Parser::Union() {
  auto u = std::make_unique<SelectUnion>();
  do {
    if (IsPunct("(")) {  // (SELECT ...) UNION ALL (SELECT ...)
      Next();
      HEDGEROW_RETURN_IF_ERROR(Enter());
      HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<SelectUnion> inner, Union());
      HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
      Leave();
      for (auto& s : inner->selects) u->selects.push_back(std::move(s));
    } else {
      HEDGEROW_ASSIGN_OR_RETURN(std::unique_ptr<SelectQuery> select, Select());
      u->selects.push_back(std::move(select));
    }
    if (!IsKeyword("UNION")) break;
    Next();
    if (!AcceptKeyword("ALL")) return Expected("ALL after UNION (only UNION ALL is supported)");
  } while (true);
  return u;
}

Result<std::unique_ptr<SelectQuery>> Parser::Select() {
  auto q = std::make_unique<SelectQuery>();
  if (AcceptKeyword("WITH")) {
    do {
      // name AS (SELECT ...) is a common table expression; anything else is expr AS name.
      if ((Peek().kind == TokenKind::kBareWord || Peek().kind == TokenKind::kQuotedName) && IsKeyword("AS", 1) &&
          IsPunct("(", 2) && (IsKeyword("SELECT", 3) || IsKeyword("WITH", 3))) {
        std::string name = Next().text;
        Next();
        Position p = Next().position;
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr sub, Parenthesized(p));
        sub->alias = std::move(name);
        q->with.push_back(std::move(sub));
      } else {
        HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, ExpressionWithAlias(false));
        if (e->alias.empty()) return Expected("AS and a name for the WITH expression");
        q->with.push_back(std::move(e));
      }
    } while (AcceptPunct(","));
  }
  HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("SELECT"));
  if (AcceptKeyword("DISTINCT")) q->distinct = true;
  else AcceptKeyword("ALL");
  HEDGEROW_ASSIGN_OR_RETURN(q->columns, ExpressionList(true));
  if (AcceptKeyword("FROM")) {
    HEDGEROW_ASSIGN_OR_RETURN(TableExpr table, Table());
    q->from = std::move(table);
    HEDGEROW_RETURN_IF_ERROR(Joins(*q));
  }
  if (AcceptKeyword("PREWHERE")) {
    HEDGEROW_ASSIGN_OR_RETURN(q->prewhere, Expression());
  }
  if (AcceptKeyword("WHERE")) {
    HEDGEROW_ASSIGN_OR_RETURN(q->where, Expression());
  }
  if (AcceptKeyword("GROUP")) {
    HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("BY"));
    HEDGEROW_ASSIGN_OR_RETURN(q->group_by, ExpressionList(false));
    if (IsKeyword("WITH") && IsKeyword("TOTALS", 1)) {
      Next();
      Next();
      q->with_totals = true;
    }
  }
  if (AcceptKeyword("HAVING")) {
    HEDGEROW_ASSIGN_OR_RETURN(q->having, Expression());
  }
  if (AcceptKeyword("ORDER")) {
    HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("BY"));
    HEDGEROW_ASSIGN_OR_RETURN(q->order_by, OrderBy());
  }
  // LIMIT n [OFFSET m] BY ..., then LIMIT n [OFFSET m] | LIMIT m, n, then OFFSET m.
  for (int round = 0; round < 2 && IsKeyword("LIMIT"); ++round) {
    Next();
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr first, Expression());
    ExprPtr limit, offset;
    if (AcceptPunct(",")) {
      offset = std::move(first);
      HEDGEROW_ASSIGN_OR_RETURN(limit, Expression());
    } else {
      limit = std::move(first);
      if (AcceptKeyword("OFFSET")) {
        HEDGEROW_ASSIGN_OR_RETURN(offset, Expression());
      }
    }
    if (AcceptKeyword("BY")) {
      if (q->limit_by) return Expected("one LIMIT ... BY");
      LimitBy by{std::move(limit), std::move(offset), {}};
      HEDGEROW_ASSIGN_OR_RETURN(by.by, ExpressionList(false));
      q->limit_by = std::move(by);
      continue;
    }
    q->limit = std::move(limit);
    q->offset = std::move(offset);
    break;
  }
  if (!q->offset && AcceptKeyword("OFFSET")) {
    HEDGEROW_ASSIGN_OR_RETURN(q->offset, Expression());
  }
  if (AcceptKeyword("SETTINGS")) {
    HEDGEROW_ASSIGN_OR_RETURN(q->settings, Settings());
  }
  return q;
}

Result<TableExpr> Parser::Table() {
  TableExpr t;
  t.position = Peek().position;
  if (IsPunct("(")) {
    Position p = Next().position;
    HEDGEROW_RETURN_IF_ERROR(Enter());
    if (!IsKeyword("SELECT") && !IsKeyword("WITH")) return Expected("SELECT in a subquery");
    HEDGEROW_ASSIGN_OR_RETURN(t.subquery, Union());
    HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
    Leave();
    (void)p;
  } else if (Peek().kind == TokenKind::kBareWord && IsPunct("(", 1)) {
    Position p = Peek().position;
    std::string name = Next().text;
    Next();
    HEDGEROW_ASSIGN_OR_RETURN(t.function, FunctionCall(std::move(name), p));
  } else {
    if (Peek().kind == TokenKind::kBareWord && AtClauseEnd()) return Expected("a table");
    HEDGEROW_ASSIGN_OR_RETURN(t.table, Name("a table"));
    if (AcceptPunct(".")) {
      t.database = std::move(t.table);
      HEDGEROW_ASSIGN_OR_RETURN(t.table, Name("a table after the database"));
    }
  }
  if (AcceptKeyword("AS")) {
    HEDGEROW_ASSIGN_OR_RETURN(t.alias, Name("an alias after AS"));
  } else if (Peek().kind == TokenKind::kQuotedName || (Peek().kind == TokenKind::kBareWord && !AtClauseEnd())) {
    t.alias = Next().text;
  }
  if (AcceptKeyword("FINAL")) t.final = true;
  return t;
}

Status Parser::Joins(SelectQuery& q) {
  while (true) {
    if (AcceptPunct(",")) {
      JoinClause j;
      j.kind = JoinClause::Kind::kComma;
      HEDGEROW_ASSIGN_OR_RETURN(j.table, Table());
      q.joins.push_back(std::move(j));
      continue;
    }
    if ((IsKeyword("ARRAY") && IsKeyword("JOIN", 1)) || (IsKeyword("LEFT") && IsKeyword("ARRAY", 1))) {
      if (q.array_join) return Expected("one ARRAY JOIN");
      ArrayJoinClause a;
      a.left = AcceptKeyword("LEFT");
      Next();
      Next();
      HEDGEROW_ASSIGN_OR_RETURN(a.exprs, ExpressionList(false));
      q.array_join = std::move(a);
      continue;
    }
    size_t look = 0;
    JoinClause j;
    auto take = [&](std::string_view word) {
      if (!IsKeyword(word, look)) return false;
      ++look;
      return true;
    };
    j.global = take("GLOBAL");
    if (take("ANY")) j.strictness = JoinClause::Strictness::kAny;
    else if (take("ALL")) j.strictness = JoinClause::Strictness::kAll;
    else if (take("ASOF")) j.strictness = JoinClause::Strictness::kAsof;
    if (take("INNER")) j.kind = JoinClause::Kind::kInner;
    else if (take("LEFT")) j.kind = JoinClause::Kind::kLeft;
    else if (take("RIGHT")) j.kind = JoinClause::Kind::kRight;
    else if (take("FULL")) j.kind = JoinClause::Kind::kFull;
    else if (take("CROSS")) j.kind = JoinClause::Kind::kCross;
    if (j.kind == JoinClause::Kind::kLeft || j.kind == JoinClause::Kind::kRight) {
      if (take("SEMI")) j.strictness = JoinClause::Strictness::kSemi;
      else if (take("ANTI")) j.strictness = JoinClause::Strictness::kAnti;
      else if (j.strictness == JoinClause::Strictness::kDefault && take("ANY")) j.strictness = JoinClause::Strictness::kAny;
    }
    take("OUTER");
    if (!IsKeyword("JOIN", look)) {
      if (look == 0) return Status::Ok();
      at_ += look;
      return Expected("JOIN");
    }
    at_ += look + 1;
    HEDGEROW_ASSIGN_OR_RETURN(j.table, Table());
    if (j.kind != JoinClause::Kind::kCross) {
      if (AcceptKeyword("ON")) {
        HEDGEROW_ASSIGN_OR_RETURN(j.on, Expression());
      } else if (AcceptKeyword("USING")) {
        bool parenthesized = AcceptPunct("(");
        do {
          HEDGEROW_ASSIGN_OR_RETURN(std::string column, Name("a column in USING"));
          j.using_columns.push_back(std::move(column));
        } while (AcceptPunct(","));
        if (parenthesized) HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
      } else {
        return Expected("ON or USING");
      }
    }
    q.joins.push_back(std::move(j));
  }
}

Result<std::vector<OrderItem>> Parser::OrderBy() {
  std::vector<OrderItem> items;
  do {
    OrderItem item;
    HEDGEROW_ASSIGN_OR_RETURN(item.expr, ExpressionWithAlias(false));
    if (AcceptKeyword("DESC") || AcceptKeyword("DESCENDING")) {
      item.descending = true;
    } else if (!AcceptKeyword("ASC")) {
      AcceptKeyword("ASCENDING");
    }
    if (AcceptKeyword("NULLS")) {
      if (AcceptKeyword("FIRST")) item.nulls_first = true;
      else if (AcceptKeyword("LAST")) item.nulls_first = false;
      else return Expected("FIRST or LAST after NULLS");
    }
    if (AcceptKeyword("COLLATE")) {
      if (Peek().kind != TokenKind::kString) return Expected("a collation string");
      item.collation = Next().text;
    }
    items.push_back(std::move(item));
  } while (AcceptPunct(","));
  return items;
}

Result<Literal> Parser::SettingValue() {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr value, Prefix(0));
  if (value->kind == Expr::Kind::kLiteral) return value->literal;
  if (value->kind == Expr::Kind::kIdentifier && value->parts.size() == 1) return Literal(value->parts[0]);
  return Status::InvalidArgument(fmt::format("Syntax error at line {}, column {}: a setting's value must be a literal",
                                             value->position.line, value->position.column));
}

Result<std::vector<std::pair<std::string, Literal>>> Parser::Settings() {
  std::vector<std::pair<std::string, Literal>> out;
  do {
    HEDGEROW_ASSIGN_OR_RETURN(std::string name, Name("a setting name"));
    HEDGEROW_RETURN_IF_ERROR(ExpectPunct("="));
    HEDGEROW_ASSIGN_OR_RETURN(Literal value, SettingValue());
    out.emplace_back(std::move(name), std::move(value));
  } while (AcceptPunct(","));
  return out;
}

Result<Statement> Parser::Statement_() {
  Statement s;
  for (std::string_view word : kWriteStatements) {
    if (IsKeyword(word)) {
      std::string upper(word);
      return Status::InvalidArgument(fmt::format("Cannot execute {}: queries are read-only", upper));
    }
  }
  if (IsKeyword("SHOW")) {
    Next();
    if (AcceptKeyword("DATABASES")) {
      s.kind = Statement::Kind::kShowDatabases;
    } else if (AcceptKeyword("TABLES")) {
      s.kind = Statement::Kind::kShowTables;
      if (AcceptKeyword("FROM") || AcceptKeyword("IN")) {
        HEDGEROW_ASSIGN_OR_RETURN(s.database, Name("a database"));
      }
      if (AcceptKeyword("LIKE")) {
        if (Peek().kind != TokenKind::kString) return Expected("a pattern string after LIKE");
        s.like = Next().text;
      }
    } else {
      return Expected("TABLES or DATABASES after SHOW");
    }
  } else if (IsKeyword("DESCRIBE") || IsKeyword("DESC") || IsKeyword("EXISTS")) {
    s.kind = IsKeyword("EXISTS") ? Statement::Kind::kExists : Statement::Kind::kDescribe;
    Next();
    AcceptKeyword("TABLE");
    HEDGEROW_ASSIGN_OR_RETURN(s.table, Name("a table"));
    if (AcceptPunct(".")) {
      s.database = std::move(s.table);
      HEDGEROW_ASSIGN_OR_RETURN(s.table, Name("a table after the database"));
    }
  } else if (IsKeyword("SELECT") || IsKeyword("WITH") || IsPunct("(")) {
    HEDGEROW_ASSIGN_OR_RETURN(s.select, Union());
  } else {
    return Expected("SELECT, WITH, SHOW, DESCRIBE or EXISTS");
  }
  if (AcceptKeyword("FORMAT")) {
    HEDGEROW_ASSIGN_OR_RETURN(s.format, Name("a format name"));
  }
  if (AcceptKeyword("SETTINGS")) {
    HEDGEROW_ASSIGN_OR_RETURN(s.settings, Settings());
  }
  AcceptPunct(";");
  if (Peek().kind != TokenKind::kEnd) return Expected("end of query");
  return s;
}

Result<ExprPtr> Parser::WholeExpression() {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Expression());
  if (Peek().kind != TokenKind::kEnd) return Expected("end of expression");
  return e;
}

Result<Statement> ParseStatement(std::string_view sql) {
  if (sql.size() > kMaxQueryBytes) {
    return Status::InvalidArgument(fmt::format("Query is {} bytes; the limit is {}", sql.size(), kMaxQueryBytes));
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql));
  return Parser(std::move(tokens)).Statement_();
}

Result<ExprPtr> ParseExpression(std::string_view sql) {
  if (sql.size() > kMaxQueryBytes) {
    return Status::InvalidArgument(fmt::format("Expression is {} bytes; the limit is {}", sql.size(), kMaxQueryBytes));
  }
  HEDGEROW_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(sql));
  return Parser(std::move(tokens)).WholeExpression();
}

std::string QuoteStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
  return out + "'";
}

}  // namespace hedgerow::query
