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
inline constexpr ClickHouseCode kUnknownDatabase{81, "UNKNOWN_DATABASE", 404};
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
inline constexpr ClickHouseCode kTimeoutExceeded{159, "TIMEOUT_EXCEEDED", 500};
inline constexpr ClickHouseCode kMemoryLimitExceeded{241, "MEMORY_LIMIT_EXCEEDED", 500};
inline constexpr ClickHouseCode kQueryWasCancelled{394, "QUERY_WAS_CANCELLED", 500};
inline constexpr ClickHouseCode kTooManyRows{158, "TOO_MANY_ROWS", 500};
inline constexpr ClickHouseCode kTooManySimultaneousQueries{202, "TOO_MANY_SIMULTANEOUS_QUERIES", 503};
inline constexpr ClickHouseCode kNotAggregated{215, "NOT_AN_AGGREGATE", 400};

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
  if (m.rfind("Timeout exceeded", 0) == 0) return kTimeoutExceeded;
  if (m.rfind("Memory limit (for query) exceeded", 0) == 0) return kMemoryLimitExceeded;
  if (m.rfind("Query was cancelled", 0) == 0) return kQueryWasCancelled;
  if (m.rfind("Limit for result rows exceeded", 0) == 0) return kTooManyRows;
  if (has("is not under aggregate function")) return kNotAggregated;
  return kBadArguments;
}

}  // namespace hedgerow::api
