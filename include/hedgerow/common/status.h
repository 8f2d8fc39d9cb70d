#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hedgerow {

// The closed set of error kinds every module reports in. The HTTP layer maps each to one
// status code (http/response.h); the CLI maps each to an exit code.
enum class StatusCode {
  kOk,
  kInvalidArgument,  // the caller's input is wrong; retrying it unchanged fails again
  kNotFound,
  kUnauthenticated,
  kTooLarge,
  kUnavailable,  // a dependency cannot serve now (disk full, shutting down); retry later
  kCorruption,
  kIOError,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

// An outcome without a value: ok, or a code and a message that names the module, the input
// and the expectation. Immutable; safe to copy between threads.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>", or "ok".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status saying why there is none. Accessing value() of a failed Result is a
// bug and asserts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit like absl::StatusOr
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(state_).ok() && "a Result is built from a failed Status only");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace hedgerow

#define HEDGEROW_CONCAT_INNER(a, b) a##b
#define HEDGEROW_CONCAT(a, b) HEDGEROW_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it failed.
#define HEDGEROW_RETURN_IF_ERROR(expr)              \
  do {                                              \
    ::hedgerow::Status hedgerow_status_ = (expr);   \
    if (!hedgerow_status_.ok()) return hedgerow_status_; \
  } while (0)

// Declares `lhs` from the value of the Result `expr`, or returns its Status.
#define HEDGEROW_ASSIGN_OR_RETURN(lhs, expr)                                   \
  auto HEDGEROW_CONCAT(hedgerow_result_, __LINE__) = (expr);                   \
  if (!HEDGEROW_CONCAT(hedgerow_result_, __LINE__).ok())                       \
    return HEDGEROW_CONCAT(hedgerow_result_, __LINE__).status();               \
  lhs = std::move(HEDGEROW_CONCAT(hedgerow_result_, __LINE__)).value()
