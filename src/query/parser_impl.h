#pragma once

// The recursive-descent parser behind ParseStatement: statements and SELECT clauses in
// parser.cc, expressions (precedence climbing) in expr_parser.cc.

#include <string>
#include <string_view>
#include <vector>

#include "hedgerow/query/ast.h"
#include "hedgerow/query/parser.h"
#include "lexer.h"

namespace hedgerow::query {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Statement> Statement_();
  Result<ExprPtr> WholeExpression();

  // Expressions (expr_parser.cc).
  Result<ExprPtr> Expression();                 // without an alias
  Result<ExprPtr> ExpressionWithAlias(bool implicit_alias);
  Result<std::vector<ExprPtr>> ExpressionList(bool implicit_alias);

  // SELECT (parser.cc).
  Result<std::unique_ptr<SelectUnion>> Union();

 private:
  // Tokens.
  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(at_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& Next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }
  bool IsKeyword(std::string_view keyword, size_t ahead = 0) const;
  bool IsPunct(std::string_view punct, size_t ahead = 0) const;
  bool AcceptKeyword(std::string_view keyword);
  bool AcceptPunct(std::string_view punct);
  Status ExpectKeyword(std::string_view keyword);
  Status ExpectPunct(std::string_view punct);
  Status Expected(std::string_view what) const;  // the error at the current token
  Result<std::string> Name(std::string_view what);  // a bare word or quoted name
  bool AtClauseEnd() const;  // a keyword that ends an expression list or a table
  // Counts one level of nesting; the Status when it passes kMaxParserDepth.
  Status Enter();
  void Leave() { --depth_; }

  // SELECT clauses.
  Result<std::unique_ptr<SelectQuery>> Select();
  Result<TableExpr> Table();
  Status Joins(SelectQuery& q);
  Result<std::vector<OrderItem>> OrderBy();
  Result<std::vector<std::pair<std::string, Literal>>> Settings();
  Result<Literal> SettingValue();

  // Expression levels.
  Result<ExprPtr> Ternary();
  Result<ExprPtr> Binary(int min_precedence);
  Result<ExprPtr> Prefix(int min_precedence);
  Result<ExprPtr> Postfix();
  Result<ExprPtr> Primary();
  Result<ExprPtr> Parenthesized(Position position);
  Result<ExprPtr> FunctionCall(std::string name, Position position);
  Result<ExprPtr> Case(Position position);
  Result<ExprPtr> Cast(Position position);
  Result<ExprPtr> Interval(Position position);
  Result<ExprPtr> Lambda();
  Result<std::string> TypeName();
  bool LambdaAhead() const;

  std::vector<Token> tokens_;
  size_t at_ = 0;
  size_t depth_ = 0;
};


}  // namespace hedgerow::query
