#pragma once

// ClickHouse's error codes and HTTP statuses for what the query engine reports, so that
// ClickHouse clients see the errors they know.

#include <string>

#include "hedgerow/common/status.h"

namespace hedgerow::api {

struct ClickHouseCode {
  int number;
  const char* name;
  int http_status;
};

inline constexpr ClickHouseCode kSyntaxError{62, "SYNTAX_ERROR", 400};
inline constexpr ClickHouseCode kUnknownTable{60, "UNKNOWN_TABLE", 404};
inline constexpr ClickHouseCode kUnknownIdentifier{47, "UNKNOWN_IDENTIFIER", 400};
inline constexpr ClickHouseCode kUnknownFunction{46, "UNKNOWN_FUNCTION", 400};
inline constexpr ClickHouseCode kReadonly{164, "READONLY", 403};
inline constexpr ClickHouseCode kNotImplemented{48, "NOT_IMPLEMENTED", 501};
inline constexpr ClickHouseCode kAuthenticationFailed{516, "AUTHENTICATION_FAILED", 403};
inline constexpr ClickHouseCode kUnknownFormat{73, "UNKNOWN_FORMAT", 400};
inline constexpr ClickHouseCode kIllegalType{43, "ILLEGAL_TYPE_OF_ARGUMENT", 400};
inline constexpr ClickHouseCode kIllegalDivision{153, "ILLEGAL_DIVISION", 400};
inline constexpr ClickHouseCode kBadArguments{36, "BAD_ARGUMENTS", 400};
inline constexpr ClickHouseCode kInternalError{49, "LOGICAL_ERROR", 500};

// The code of an error from the parser or the executor, by what its message says.
inline ClickHouseCode CodeOf(const Status& s) {
  const std::string& m = s.message();
  auto has = [&](const char* text) { return m.find(text) != std::string::npos; };
  if (s.code() != StatusCode::kInvalidArgument) return kInternalError;
  if (m.rfind("Syntax error", 0) == 0 || has("nests deeper") || m.rfind("Query is", 0) == 0) return kSyntaxError;
  if (has("doesn't exist")) return kUnknownTable;
  if (m.rfind("Missing columns", 0) == 0) return kUnknownIdentifier;
  if (m.rfind("Unknown function", 0) == 0 || m.rfind("Unknown aggregate function", 0) == 0) return kUnknownFunction;
  if (has("queries are read-only")) return kReadonly;
  if (has("is not supported yet")) return kNotImplemented;
  if (m.rfind("Division", 0) == 0) return kIllegalDivision;
  if (m.rfind("Illegal type", 0) == 0) return kIllegalType;
  if (m.rfind("Unknown format", 0) == 0) return kUnknownFormat;
  return kBadArguments;
}

}  // namespace hedgerow::api
