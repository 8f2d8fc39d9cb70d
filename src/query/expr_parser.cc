// Expressions by precedence climbing, lowest first (ClickHouse's order):
//   lambda ->   ternary ?:   OR   AND   NOT   IS [NOT] NULL
//   comparisons (= == != <> < > <= >=, [NOT] LIKE/ILIKE, [GLOBAL] [NOT] IN, [NOT] BETWEEN)
//   ||   + -   * / % DIV MOD   unary -   a[i], t.N, x::T   primaries

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "parser_impl.h"

namespace hedgerow::query {
namespace {

enum Precedence : int {
  kOr = 3,
  kAnd = 4,
  kNot = 5,
  kIsNull = 6,
  kComparison = 7,
  kConcat = 8,
  kAdditive = 9,
  kMultiplicative = 10,
  kUnary = 11,
};

// An operator at the current token: its function, precedence and how many tokens it takes.
struct BinaryOperator {
  const char* function;
  int precedence;
  size_t tokens;
};

Literal NumberLiteral(const std::string& text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
    if (error == std::errc() && end == text.data() + text.size()) {
      if (value <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(value);
      return value;
    }
    return std::strtod(text.c_str(), nullptr);
  }
  if (text.find_first_of(".eE") == std::string::npos) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end == text.data() + text.size()) return value;
    uint64_t big = 0;
    auto [end2, error2] = std::from_chars(text.data(), text.data() + text.size(), big);
    if (error2 == std::errc() && end2 == text.data() + text.size()) return big;
  }
  return std::strtod(text.c_str(), nullptr);
}

// INTERVAL units, singular and plural, to ClickHouse's toInterval functions.
const char* IntervalFunction(std::string unit) {
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'S') unit.pop_back();
  static const std::pair<const char*, const char*> kUnits[] = {
      {"SECOND", "toIntervalSecond"}, {"MINUTE", "toIntervalMinute"}, {"HOUR", "toIntervalHour"},
      {"DAY", "toIntervalDay"},       {"WEEK", "toIntervalWeek"},     {"MONTH", "toIntervalMonth"},
      {"QUARTER", "toIntervalQuarter"}, {"YEAR", "toIntervalYear"}};
  for (const auto& [name, function] : kUnits) {
    if (unit == name) return function;
  }
  return nullptr;
}

}  // namespace

ExprPtr MakeFunction(std::string name, std::vector<ExprPtr> args, Position position) {
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kFunction;
  e->name = std::move(name);
  e->args = std::move(args);
  e->position = position;
  return e;
}

ExprPtr MakeLiteral(Literal literal, Position position) {
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kLiteral;
  e->literal = std::move(literal);
  e->position = position;
  return e;
}

namespace {

ExprPtr Binary2(const char* name, ExprPtr a, ExprPtr b) {
  Position p = a->position;
  std::vector<ExprPtr> args;
  args.push_back(std::move(a));
  args.push_back(std::move(b));
  return MakeFunction(name, std::move(args), p);
}

ExprPtr Unary(const char* name, ExprPtr a, Position p) {
  std::vector<ExprPtr> args;
  args.push_back(std::move(a));
  return MakeFunction(name, std::move(args), p);
}

}  // namespace

Result<ExprPtr> Parser::Expression() {
  if (LambdaAhead()) return Lambda();
  return Ternary();
}

Result<ExprPtr> Parser::ExpressionWithAlias(bool implicit_alias) {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Expression());
  if (AcceptKeyword("AS")) {
    HEDGEROW_ASSIGN_OR_RETURN(e->alias, Name("an alias after AS"));
  } else if (implicit_alias && (Peek().kind == TokenKind::kQuotedName ||
                                (Peek().kind == TokenKind::kBareWord && !AtClauseEnd()))) {
    HEDGEROW_ASSIGN_OR_RETURN(e->alias, Name("an alias"));
  }
  return e;
}

Result<std::vector<ExprPtr>> Parser::ExpressionList(bool implicit_alias) {
  std::vector<ExprPtr> out;
  do {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, ExpressionWithAlias(implicit_alias));
    out.push_back(std::move(e));
  } while (AcceptPunct(","));
  return out;
}

bool Parser::LambdaAhead() const {
  if (Peek().kind == TokenKind::kBareWord && IsPunct("->", 1)) return true;
  if (!IsPunct("(")) return false;
  size_t i = 1;
  while (Peek(i).kind == TokenKind::kBareWord) {
    if (IsPunct(")", i + 1)) return IsPunct("->", i + 2);
    if (!IsPunct(",", i + 1)) return false;
    i += 2;
  }
  return false;
}

Result<ExprPtr> Parser::Lambda() {
  HEDGEROW_RETURN_IF_ERROR(Enter());
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kLambda;
  e->position = Peek().position;
  if (AcceptPunct("(")) {
    do {
      e->lambda_params.push_back(Next().text);
    } while (AcceptPunct(","));
    HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
  } else {
    e->lambda_params.push_back(Next().text);
  }
  HEDGEROW_RETURN_IF_ERROR(ExpectPunct("->"));
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr body, Expression());
  e->args.push_back(std::move(body));
  Leave();
  return e;
}

Result<ExprPtr> Parser::Ternary() {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr condition, Binary(kOr));
  if (!IsPunct("?")) return condition;
  Position p = Next().position;
  HEDGEROW_RETURN_IF_ERROR(Enter());
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr then, Ternary());
  HEDGEROW_RETURN_IF_ERROR(ExpectPunct(":"));
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr otherwise, Ternary());
  Leave();
  std::vector<ExprPtr> args;
  args.push_back(std::move(condition));
  args.push_back(std::move(then));
  args.push_back(std::move(otherwise));
  return MakeFunction("if", std::move(args), p);
}

Result<ExprPtr> Parser::Binary(int min_precedence) {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr left, Prefix(min_precedence));
  // Each operator wrapped around `left` nests the tree a level deeper without recursing
  // here (1+1+...+1): counted as a parenthesis is, so the passes that walk the tree later
  // recurse at most kMaxParserDepth deep.
  size_t levels = 0;
  while (true) {
    if (min_precedence <= kIsNull && IsKeyword("IS")) {
      HEDGEROW_RETURN_IF_ERROR(Enter());
      ++levels;
      Position p = Next().position;
      bool negated = AcceptKeyword("NOT");
      HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("NULL"));
      left = Unary(negated ? "isNotNull" : "isNull", std::move(left), p);
      continue;
    }
    std::optional<BinaryOperator> op;
    const Token& t = Peek();
    if (t.kind == TokenKind::kPunct) {
      static const BinaryOperator kPuncts[] = {
          {"equals", kComparison, 1},   {"equals", kComparison, 1},   {"notEquals", kComparison, 1},
          {"notEquals", kComparison, 1}, {"less", kComparison, 1},    {"greater", kComparison, 1},
          {"lessOrEquals", kComparison, 1}, {"greaterOrEquals", kComparison, 1}, {"concat", kConcat, 1},
          {"plus", kAdditive, 1},       {"minus", kAdditive, 1},      {"multiply", kMultiplicative, 1},
          {"divide", kMultiplicative, 1}, {"modulo", kMultiplicative, 1}};
      static const char* kTexts[] = {"=", "==", "!=", "<>", "<", ">", "<=", ">=", "||", "+", "-", "*", "/", "%"};
      for (size_t i = 0; i < std::size(kTexts); ++i) {
        if (t.text == kTexts[i]) op = kPuncts[i];
      }
    } else if (t.kind == TokenKind::kBareWord) {
      if (IsKeyword("OR")) op = BinaryOperator{"or", kOr, 1};
      else if (IsKeyword("AND")) op = BinaryOperator{"and", kAnd, 1};
      else if (IsKeyword("LIKE")) op = BinaryOperator{"like", kComparison, 1};
      else if (IsKeyword("ILIKE")) op = BinaryOperator{"ilike", kComparison, 1};
      else if (IsKeyword("IN")) op = BinaryOperator{"in", kComparison, 1};
      else if (IsKeyword("BETWEEN")) op = BinaryOperator{"between", kComparison, 1};
      else if (IsKeyword("DIV")) op = BinaryOperator{"intDiv", kMultiplicative, 1};
      else if (IsKeyword("MOD")) op = BinaryOperator{"modulo", kMultiplicative, 1};
      else if (IsKeyword("NOT") && IsKeyword("LIKE", 1)) op = BinaryOperator{"notLike", kComparison, 2};
      else if (IsKeyword("NOT") && IsKeyword("ILIKE", 1)) op = BinaryOperator{"notILike", kComparison, 2};
      else if (IsKeyword("NOT") && IsKeyword("IN", 1)) op = BinaryOperator{"notIn", kComparison, 2};
      else if (IsKeyword("NOT") && IsKeyword("BETWEEN", 1)) op = BinaryOperator{"notBetween", kComparison, 2};
      else if (IsKeyword("GLOBAL") && IsKeyword("IN", 1)) op = BinaryOperator{"globalIn", kComparison, 2};
      else if (IsKeyword("GLOBAL") && IsKeyword("NOT", 1) && IsKeyword("IN", 2)) {
        op = BinaryOperator{"globalNotIn", kComparison, 3};
      }
    }
    if (!op || op->precedence < min_precedence) {
      depth_ -= levels;
      return left;
    }
    for (size_t i = 0; i < op->tokens; ++i) Next();
    std::string_view name = op->function;
    if (name == "between" || name == "notBetween") {
      // One call of three arguments: x is evaluated once (ClickHouse rewrites to two
      // comparisons, which needs a copy of x).
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr low, Binary(kConcat));
      HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("AND"));
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr high, Binary(kConcat));
      Position p = left->position;
      std::vector<ExprPtr> args;
      args.push_back(std::move(left));
      args.push_back(std::move(low));
      args.push_back(std::move(high));
      HEDGEROW_RETURN_IF_ERROR(Enter());
      ++levels;
      left = MakeFunction(op->function, std::move(args), p);
      continue;
    }
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr right, Binary(op->precedence + 1));
    // AND and OR chains are one call, as ClickHouse makes them: and(a, b, c).
    if ((name == "and" || name == "or") && left->kind == Expr::Kind::kFunction && left->name == name &&
        left->alias.empty()) {
      left->args.push_back(std::move(right));
      continue;
    }
    HEDGEROW_RETURN_IF_ERROR(Enter());
    ++levels;
    left = Binary2(op->function, std::move(left), std::move(right));
  }
}

Result<ExprPtr> Parser::Prefix(int min_precedence) {
  (void)min_precedence;
  if (IsKeyword("NOT")) {
    Position p = Next().position;
    HEDGEROW_RETURN_IF_ERROR(Enter());
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr operand, Binary(kIsNull));
    Leave();
    return Unary("not", std::move(operand), p);
  }
  if (IsPunct("-")) {
    Position p = Next().position;
    HEDGEROW_RETURN_IF_ERROR(Enter());
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr operand, Prefix(kUnary));
    Leave();
    // A negative number is a literal, as ClickHouse reads -1.
    if (operand->kind == Expr::Kind::kLiteral && operand->alias.empty()) {
      if (auto* i = std::get_if<int64_t>(&operand->literal)) {
        operand->literal = -*i;  // INT64_MIN's magnitude arrives as uint64 below
        operand->position = p;
        return operand;
      }
      if (auto* u = std::get_if<uint64_t>(&operand->literal); u != nullptr && *u == (uint64_t{1} << 63)) {
        operand->literal = INT64_MIN;
        operand->position = p;
        return operand;
      }
      if (auto* d = std::get_if<double>(&operand->literal)) {
        operand->literal = -*d;
        operand->position = p;
        return operand;
      }
    }
    return Unary("negate", std::move(operand), p);
  }
  return Postfix();
}

Result<ExprPtr> Parser::Postfix() {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr e, Primary());
  size_t levels = 0;  // x[1][2]::T nests as Binary's chains do
  while (true) {
    if (IsPunct("[") || IsPunct("::") || (IsPunct(".") && Peek(1).kind == TokenKind::kNumber)) {
      HEDGEROW_RETURN_IF_ERROR(Enter());
      ++levels;
    }
    if (IsPunct("[")) {
      Next();
      HEDGEROW_RETURN_IF_ERROR(Enter());
      HEDGEROW_ASSIGN_OR_RETURN(ExprPtr index, Expression());
      Leave();
      HEDGEROW_RETURN_IF_ERROR(ExpectPunct("]"));
      e = Binary2("arrayElement", std::move(e), std::move(index));
    } else if (IsPunct(".") && Peek(1).kind == TokenKind::kNumber) {
      Next();
      const Token& n = Next();
      e = Binary2("tupleElement", std::move(e), MakeLiteral(NumberLiteral(n.text), n.position));
    } else if (IsPunct("::")) {
      Position p = Next().position;
      HEDGEROW_ASSIGN_OR_RETURN(std::string type, TypeName());
      e = Binary2("CAST", std::move(e), MakeLiteral(std::move(type), p));
    } else {
      depth_ -= levels;
      return e;
    }
  }
}

Result<ExprPtr> Parser::Primary() {
  const Token& t = Peek();
  const Position p = t.position;
  switch (t.kind) {
    case TokenKind::kNumber:
      return MakeLiteral(NumberLiteral(Next().text), p);
    case TokenKind::kString:
      return MakeLiteral(Next().text, p);
    case TokenKind::kEnd:
      return Expected("an expression");
    case TokenKind::kPunct: {
      if (AcceptPunct("(")) return Parenthesized(p);
      if (AcceptPunct("[")) {
        HEDGEROW_RETURN_IF_ERROR(Enter());
        std::vector<ExprPtr> elements;
        if (!IsPunct("]")) {
          HEDGEROW_ASSIGN_OR_RETURN(elements, ExpressionList(false));
        }
        HEDGEROW_RETURN_IF_ERROR(ExpectPunct("]"));
        Leave();
        return MakeFunction("array", std::move(elements), p);
      }
      if (AcceptPunct("{")) {
        // A query parameter, {name:Type}, bound from param_name by the HTTP interface.
        auto e = std::make_unique<Expr>();
        e->kind = Expr::Kind::kParameter;
        e->position = p;
        HEDGEROW_ASSIGN_OR_RETURN(e->parameter_name, Name("a parameter name"));
        HEDGEROW_RETURN_IF_ERROR(ExpectPunct(":"));
        HEDGEROW_ASSIGN_OR_RETURN(e->type_name, TypeName());
        HEDGEROW_RETURN_IF_ERROR(ExpectPunct("}"));
        return e;
      }
      if (AcceptPunct("*")) {
        auto e = std::make_unique<Expr>();
        e->kind = Expr::Kind::kAsterisk;
        e->position = p;
        return e;
      }
      return Expected("an expression");
    }
    case TokenKind::kBareWord:
    case TokenKind::kQuotedName:
      break;
  }
  if (t.kind == TokenKind::kBareWord) {
    if (IsPunct("(", 1)) {
      if (IsKeyword("CAST")) {
        Next();
        Next();
        return Cast(p);
      }
      std::string name = Next().text;
      Next();
      return FunctionCall(std::move(name), p);
    }
    if (IsKeyword("NULL")) return Next(), MakeLiteral(Null{}, p);
    if (IsKeyword("TRUE")) return Next(), MakeLiteral(true, p);
    if (IsKeyword("FALSE")) return Next(), MakeLiteral(false, p);
    if (IsKeyword("CASE")) return Next(), Case(p);
    if (IsKeyword("INTERVAL")) return Next(), Interval(p);
    if ((IsKeyword("DATE") || IsKeyword("TIMESTAMP")) && Peek(1).kind == TokenKind::kString) {
      const char* function = IsKeyword("DATE") ? "toDate" : "toDateTime";
      Next();
      std::vector<ExprPtr> args;
      args.push_back(MakeLiteral(Next().text, p));
      return MakeFunction(function, std::move(args), p);
    }
    if (AtClauseEnd()) return Expected("an expression");
  }
  // A name, possibly compound (t.column, db.t.column), or t.*.
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::kIdentifier;
  e->position = p;
  e->parts.push_back(Next().text);
  while (IsPunct(".")) {
    if (Peek(1).kind == TokenKind::kBareWord || Peek(1).kind == TokenKind::kQuotedName) {
      Next();
      e->parts.push_back(Next().text);
    } else if (IsPunct("*", 1)) {
      Next();
      Next();
      e->kind = Expr::Kind::kAsterisk;
      return e;
    } else {
      break;
    }
  }
  return e;
}

Result<ExprPtr> Parser::Parenthesized(Position p) {
  HEDGEROW_RETURN_IF_ERROR(Enter());
  if (IsKeyword("SELECT") || IsKeyword("WITH")) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kSubquery;
    e->position = p;
    HEDGEROW_ASSIGN_OR_RETURN(e->subquery, Union());
    HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
    Leave();
    return e;
  }
  std::vector<ExprPtr> elements;
  bool trailing_comma = false;
  while (!IsPunct(")")) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr element, ExpressionWithAlias(false));
    elements.push_back(std::move(element));
    trailing_comma = AcceptPunct(",");
    if (!trailing_comma) break;
  }
  HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
  Leave();
  if (elements.size() == 1 && !trailing_comma) return std::move(elements[0]);
  return MakeFunction("tuple", std::move(elements), p);
}

Result<ExprPtr> Parser::FunctionCall(std::string name, Position p) {
  HEDGEROW_RETURN_IF_ERROR(Enter());
  auto e = MakeFunction(std::move(name), {}, p);
  auto arguments = [&](std::vector<ExprPtr>& out) -> Status {
    if (AcceptPunct(")")) return Status::Ok();
    if (AcceptKeyword("DISTINCT")) e->distinct = true;
    HEDGEROW_ASSIGN_OR_RETURN(out, ExpressionList(false));
    return ExpectPunct(")");
  };
  HEDGEROW_RETURN_IF_ERROR(arguments(e->args));
  if (AcceptPunct("(")) {  // parametric: quantile(0.9)(x)
    e->params = std::move(e->args);
    e->has_params = true;
    e->args.clear();
    HEDGEROW_RETURN_IF_ERROR(arguments(e->args));
  }
  Leave();
  return e;
}

Result<ExprPtr> Parser::Case(Position p) {
  HEDGEROW_RETURN_IF_ERROR(Enter());
  std::vector<ExprPtr> args;
  bool with_operand = !IsKeyword("WHEN");
  if (with_operand) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr operand, Expression());
    args.push_back(std::move(operand));
  }
  if (!IsKeyword("WHEN")) return Expected("WHEN");
  while (AcceptKeyword("WHEN")) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr when, Expression());
    HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("THEN"));
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr then, Expression());
    args.push_back(std::move(when));
    args.push_back(std::move(then));
  }
  if (AcceptKeyword("ELSE")) {
    HEDGEROW_ASSIGN_OR_RETURN(ExprPtr otherwise, Expression());
    args.push_back(std::move(otherwise));
  } else {
    args.push_back(MakeLiteral(Null{}, Peek().position));
  }
  HEDGEROW_RETURN_IF_ERROR(ExpectKeyword("END"));
  Leave();
  return MakeFunction(with_operand ? "caseWithExpression" : "multiIf", std::move(args), p);
}

Result<ExprPtr> Parser::Cast(Position) {
  HEDGEROW_RETURN_IF_ERROR(Enter());
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr value, Expression());
  ExprPtr type;
  if (AcceptKeyword("AS")) {
    Position at = Peek().position;
    HEDGEROW_ASSIGN_OR_RETURN(std::string name, TypeName());
    type = MakeLiteral(std::move(name), at);
  } else {
    HEDGEROW_RETURN_IF_ERROR(ExpectPunct(","));
    HEDGEROW_ASSIGN_OR_RETURN(type, Expression());
  }
  HEDGEROW_RETURN_IF_ERROR(ExpectPunct(")"));
  Leave();
  return Binary2("CAST", std::move(value), std::move(type));
}

Result<ExprPtr> Parser::Interval(Position p) {
  HEDGEROW_ASSIGN_OR_RETURN(ExprPtr value, Prefix(kUnary));
  if (Peek().kind != TokenKind::kBareWord) return Expected("an interval unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)");
  const char* function = IntervalFunction(Peek().text);
  if (function == nullptr) return Expected("an interval unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)");
  Next();
  return Unary(function, std::move(value), p);
}

Result<std::string> Parser::TypeName() {
  HEDGEROW_ASSIGN_OR_RETURN(std::string name, Name("a type name"));
  if (!AcceptPunct("(")) return name;
  HEDGEROW_RETURN_IF_ERROR(Enter());
  name += '(';
  bool first = true;
  while (!IsPunct(")")) {
    if (!first) {
      HEDGEROW_RETURN_IF_ERROR(ExpectPunct(","));
      name += ", ";
    }
    first = false;
    if (Peek().kind == TokenKind::kNumber) {
      name += Next().text;
    } else if (Peek().kind == TokenKind::kString) {
      name += FormatLiteral(Next().text);
    } else {
      HEDGEROW_ASSIGN_OR_RETURN(std::string inner, TypeName());
      name += inner;
      // Tuple(a String, b UInt8): element names.
      if (Peek().kind == TokenKind::kBareWord) {
        HEDGEROW_ASSIGN_OR_RETURN(std::string type, TypeName());
        name += ' ' + type;
      }
    }
  }
  Next();
  Leave();
  return name + ')';
}

}  // namespace hedgerow::query
