#include "hedgerow/query/evaluate.h"

#include <fmt/format.h>

#include "functions_lambda.h"
#include "hedgerow/query/functions.h"

namespace hedgerow::query {

Result<ColumnPtr> Evaluate(const Expr& expr, const Chunk& chunk) {
  switch (expr.kind) {
    case Expr::Kind::kLiteral:
      return MakeConstColumn(expr.literal, chunk.rows);
    case Expr::Kind::kIdentifier: {
      std::string name;
      for (const std::string& part : expr.parts) name += (name.empty() ? "" : ".") + part;
      int at = chunk.Find(name);
      if (at < 0) return Status::InvalidArgument(fmt::format("Missing columns: '{}'", name));
      return chunk.columns[static_cast<size_t>(at)];
    }
    case Expr::Kind::kFunction: {
      if (expr.has_params || expr.distinct) {
        return Status::InvalidArgument(fmt::format("Function {} is an aggregate; not allowed here", expr.name));
      }
      if (!expr.args.empty() && expr.args[0]->kind == Expr::Kind::kLambda) return EvaluateHigherOrder(expr, chunk);
      std::vector<ColumnPtr> args;
      args.reserve(expr.args.size());
      for (const ExprPtr& arg : expr.args) {
        HEDGEROW_ASSIGN_OR_RETURN(ColumnPtr column, Evaluate(*arg, chunk));
        args.push_back(std::move(column));
      }
      return CallFunction(expr.name, args, chunk.rows);
    }
    case Expr::Kind::kAsterisk: return Status::InvalidArgument("* is not a value here");
    case Expr::Kind::kLambda: return Status::InvalidArgument("A lambda is only an argument of a higher-order function");
    case Expr::Kind::kSubquery: return Status::InvalidArgument("Subqueries are not supported here yet");
    case Expr::Kind::kConstant: {
      auto c = std::make_shared<Column>(*expr.constant);
      c->rows = chunk.rows;
      return ColumnPtr(std::move(c));
    }
    case Expr::Kind::kParameter:
      return Status::InvalidArgument(fmt::format("Substitution {{{}:{}}} is not set", expr.parameter_name, expr.type_name));
  }
  return Status::Internal("unknown expression kind");
}

}  // namespace hedgerow::query
