#pragma once

// `hedgerow serve` as a child process for tests that talk to it over its real sockets: waits
// for its ready line, reads the ports it chose, and queries it through the ClickHouse listener.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/ready_line.h"

namespace hedgerow::testing {

// Waits for the server's ready line; the ports are those of its api= and clickhouse=.
inline ServerPorts AwaitServerReady(ChildProcess& child, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  std::optional<ServerPorts> ports = WaitForServerPorts(child, timeout);
  INFO(child.stderr_text());
  REQUIRE(ports);
  return *ports;
}

// `sql`'s answer from the ClickHouse listener (TabSeparated), authenticated with `key`.
inline std::string QueryServer(uint16_t clickhouse_port, const std::string& key, const std::string& sql) {
  auto r = HttpRequest(clickhouse_port, "POST", "/", sql, {{"X-ClickHouse-Key", key}});
  REQUIRE(r);
  INFO(sql << " -> " << r->body);
  REQUIRE(r->status == 200);
  return r->body;
}

// Waits until `sql` answers `expected`.
inline void AwaitServerAnswer(uint16_t clickhouse_port, const std::string& key, const std::string& sql,
                              const std::string& expected, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (QueryServer(clickhouse_port, key, sql) != expected) {
    INFO(sql << " still answers something else than " << expected);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace hedgerow::testing
