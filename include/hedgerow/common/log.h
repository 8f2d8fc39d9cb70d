#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "hedgerow/common/status.h"

namespace hedgerow {

// Structured logging: one line per event, logfmt, written to stderr with one write(2) so
// lines from different threads never interleave:
//   ts=2026-11-29T12:00:00.123456Z level=info module=http msg="listening" addr=127.0.0.1:8000
// Fields carry the request or batch an event belongs to (request_id=..., batch=...).
// Thread-safe.

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Parses "debug", "info", "warn", "error"; kInvalidArgument names the accepted values.
Result<LogLevel> ParseLogLevel(std::string_view text);

// One key=value pair. Values are quoted when they hold spaces, quotes or '='.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string_view key;
  std::string value;
};

void SetLogLevel(LogLevel level);
// Whether a line at `level` would be written: lets hot paths skip building their fields.
bool LogEnabled(LogLevel level);

// Redirects output to `fd` (default 2). For tests that read the log.
void SetLogFd(int fd);

void Log(LogLevel level, std::string_view module, std::string_view msg,
         std::initializer_list<LogField> fields = {});

// Formats one event as its log line, without the trailing newline. Exposed for tests.
std::string FormatLogLine(LogLevel level, std::string_view module, std::string_view msg,
                          std::initializer_list<LogField> fields);

inline void LogDebug(std::string_view module, std::string_view msg,
                     std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kDebug, module, msg, fields);
}
inline void LogInfo(std::string_view module, std::string_view msg,
                    std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, module, msg, fields);
}
inline void LogWarn(std::string_view module, std::string_view msg,
                    std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, module, msg, fields);
}
inline void LogError(std::string_view module, std::string_view msg,
                     std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, module, msg, fields);
}

}  // namespace hedgerow
