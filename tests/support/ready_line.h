#pragma once

// The ports `hedgerow serve` announces in its ready line, for tests and benchmarks that start
// the binary (no Catch here: benchmarks use it too).

#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "support/child_process.h"

namespace hedgerow::testing {

struct ServerPorts {
  uint16_t api = 0, clickhouse = 0;
};

// Waits for the server's "msg=ready" line and reads the ports of its api= and clickhouse=;
// nullopt if the line does not come within `timeout` or lacks them.
inline std::optional<ServerPorts> WaitForServerPorts(ChildProcess& child, std::chrono::seconds timeout) {
  auto ready = child.WaitForLine("msg=ready", timeout);
  std::smatch api, ch;
  if (!ready || !std::regex_search(*ready, api, std::regex("api=127\\.0\\.0\\.1:(\\d+)")) ||
      !std::regex_search(*ready, ch, std::regex("clickhouse=127\\.0\\.0\\.1:(\\d+)"))) {
    return std::nullopt;
  }
  return ServerPorts{static_cast<uint16_t>(std::stoi(api[1])), static_cast<uint16_t>(std::stoi(ch[1]))};
}

}  // namespace hedgerow::testing
