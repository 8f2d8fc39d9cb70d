#pragma once

// A throwaway clickhouse-server (Debian's 18.16) for benchmarks that compare hedgerow with
// ClickHouse on the same rows (store_bench, query_bench) and for the tests of
// --store-backend clickhouse (a two-shard cluster): its own directory, free ports, query_log
// on, stopped with the object. Also the events table as ClickHouse DDL and the
// process-memory helpers both sides are measured with.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "support/child_process.h"
#include "support/http_client.h"

namespace hedgerow::testing {

// PostHog's events table (ingestion.md §8) as 18.16 can hold it: DateTime for the
// DateTime64 columns, cityHash64(toString(uuid)) because 18.16 cannot hash a UUID.
inline constexpr const char* kClickHouseEventsDdl =
    "CREATE TABLE events (uuid UUID, event String, properties String, timestamp DateTime, team_id Int64, "
    "distinct_id String, elements_chain String, created_at DateTime, person_id UUID, person_properties String, "
    "person_created_at DateTime, person_mode String, `$group_0` String, `$group_1` String, `$group_2` String, "
    "`$group_3` String, `$group_4` String, _timestamp DateTime, _offset UInt64) "
    "ENGINE = ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp) "
    "ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(toString(uuid)))";

// A field of /proc/<pid>/status in kB (VmRSS:, VmHWM:), or -1.
inline long StatusKb(const std::string& status_file, const char* field) {
  std::ifstream status(status_file);
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

// Resets this process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0), so that the
// peak of one measured step can be read afterwards.
inline void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

inline uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Not thread-safe. `dir` must outlive the server. `remote_servers` is the XML inside the
// config's <remote_servers> (clusters of other servers), and `tcp_port` the native port those
// clusters name; both optional.
class ClickHouseServer {
 public:
  ClickHouseServer(const std::string& binary, const std::string& dir, uint16_t tcp_port = 0,
                   const std::string& remote_servers = "")
      : binary_(binary), dir_(dir), port_(FreePort()), tcp_port_(tcp_port == 0 ? FreePort() : tcp_port) {
    std::filesystem::create_directories(dir + "/data");
    std::ofstream(dir + "/config.xml") << fmt::format(
        R"(<?xml version="1.0"?><yandex><logger><level>warning</level><console>1</console></logger>)"
        R"(<http_port>{}</http_port><tcp_port>{}</tcp_port><listen_host>127.0.0.1</listen_host><path>{}/data/</path>)"
        R"(<tmp_path>{}/data/tmp/</tmp_path><users_config>/etc/clickhouse-server/users.xml</users_config>)"
        R"(<default_profile>default</default_profile><default_database>default</default_database>)"
        R"(<mark_cache_size>1073741824</mark_cache_size><timezone>UTC</timezone>)"
        R"(<remote_servers>{}</remote_servers>)"
        R"(<query_log><database>system</database><table>query_log</table>)"
        R"(<flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log></yandex>)",
        port_, tcp_port_, dir, dir, remote_servers);
    Start();
  }
  ~ClickHouseServer() { Stop(); }
  ClickHouseServer(const ClickHouseServer&) = delete;
  ClickHouseServer& operator=(const ClickHouseServer&) = delete;

  // Starts it again after Stop, on the same ports and data.
  void Start() {
    process_.emplace(std::vector<std::string>{binary_, "--config-file=" + dir_ + "/config.xml"});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (true) {
      try {
        auto ping = HttpRequest(port_, "GET", "/ping");
        if (ping && ping->status == 200) break;
      } catch (const std::exception&) {
        // not listening yet
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("clickhouse-server did not start: " + process_->stderr_text());
      }
      process_->DrainFor(std::chrono::milliseconds(100));
    }
  }
  // SIGTERM, and waits for the exit.
  void Stop() {
    if (!process_) return;
    process_->Signal(SIGTERM);
    process_->Wait(std::chrono::seconds(30));
    process_.reset();
  }

  uint16_t port() const { return port_; }
  uint16_t tcp_port() const { return tcp_port_; }
  pid_t pid() const { return process_->pid(); }

  // ClickHouse answers an INSERT or OPTIMIZE when it is done, which can take minutes.
  std::optional<ClientResponse> Post(const std::string& target, const std::string& body) const {
    TestConnection connection(port_, std::chrono::minutes(30));
    return connection.Request("POST", target, body, {});
  }
  // The answer's body; throws when the server refuses.
  std::string Query(const std::string& sql) const {
    auto r = Post("/", sql);
    if (!r || r->status != 200) throw std::runtime_error("clickhouse: " + sql + ": " + (r ? r->body : "no answer"));
    return r->body;
  }
  // Inserts newline-separated JSON rows into `table`; throws when the server refuses.
  void InsertJsonEachRow(const std::string& table, const std::string& rows) const {
    auto r = Post("/?query=INSERT%20INTO%20" + table + "%20FORMAT%20JSONEachRow", rows);
    if (!r || r->status != 200) throw std::runtime_error("clickhouse insert into " + table + ": " + (r ? r->body : "no answer"));
  }

 private:
  std::string binary_, dir_;
  uint16_t port_, tcp_port_;
  std::optional<ChildProcess> process_;
};

// Two servers as the two shards of the cluster `hedgerow_test` (one replica each), for
// --store-backend clickhouse. `dir` must outlive them.
class ClickHouseCluster {
 public:
  static constexpr const char* kName = "hedgerow_test";
  ClickHouseCluster(const std::string& binary, const std::string& dir) {
    uint16_t tcp[2] = {FreePort(), FreePort()};
    std::string remote = fmt::format(
        "<{0}><shard><replica><host>127.0.0.1</host><port>{1}</port></replica></shard>"
        "<shard><replica><host>127.0.0.1</host><port>{2}</port></replica></shard></{0}>",
        kName, tcp[0], tcp[1]);
    for (int i = 0; i < 2; ++i) {
      nodes_[i].emplace(binary, fmt::format("{}/shard{}", dir, i + 1), tcp[i], remote);
    }
  }
  ClickHouseServer& node(int i) { return *nodes_[i]; }
  // --clickhouse-url: both nodes, the first runs the queries.
  std::string urls() const {
    return fmt::format("http://default@127.0.0.1:{},http://127.0.0.1:{}", nodes_[0]->port(), nodes_[1]->port());
  }

 private:
  std::optional<ClickHouseServer> nodes_[2];
};

}  // namespace hedgerow::testing
