#include "hedgerow/common/log.h"

#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "hedgerow/common/clock.h"

namespace hedgerow {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<int> g_fd{2};

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void AppendValue(std::string& out, std::string_view v) {
  if (!NeedsQuotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k), value(fmt::format("{}", v)) {}

Result<LogLevel> ParseLogLevel(std::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == LevelName(level)) return level;
  }
  return Status::InvalidArgument(
      fmt::format("log level \"{}\" is not one of debug, info, warn, error", text));
}

void SetLogLevel(LogLevel level) { g_level.store(level); }
void SetLogFd(int fd) { g_fd.store(fd); }

std::string FormatLogLine(LogLevel level, std::string_view module, std::string_view msg,
                          std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(128);
  line += "ts=";
  line += FormatIso8601Micros(NowMicros());
  line += " level=";
  line += LevelName(level);
  line += " module=";
  AppendValue(line, module);
  line += " msg=";
  AppendValue(line, msg);
  for (const LogField& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    AppendValue(line, f.value);
  }
  return line;
}

bool LogEnabled(LogLevel level) { return level >= g_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view module, std::string_view msg,
         std::initializer_list<LogField> fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLogLine(level, module, msg, fields);
  line += '\n';
  // One write per line: POSIX keeps a single write to a pipe or file from interleaving with
  // other writers for lines of ordinary size.
  const char* p = line.data();
  size_t left = line.size();
  int fd = g_fd.load(std::memory_order_relaxed);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;  // nowhere to report a failing log stream; drop the line
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace hedgerow
