// The store's insert path against ClickHouse, side by side, on the same synthetic PostHog
// events (bench/store/event_generator.h):
//   build/bench/store_bench [--rows 2000000] [--batch 100000] [--shards 2]
//                           [--clickhouse /usr/sbin/clickhouse-server] [--skip-clickhouse]
// hedgerow: JSON rows -> JsonRowDecoder -> Table::Insert (route to shards, sort, compress,
// fsync, rename), batch after batch, as the table consumer does. ClickHouse 18.16: the same
// rows as JSONEachRow over HTTP into an equivalent ReplacingMergeTree (DateTime for
// timestamps, cityHash64(toString(uuid)): 18.16 cannot hash a UUID). Then both merge every
// partition (our merge-all; OPTIMIZE ... FINAL) and report bytes on disk and peak RSS.
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/table.h"
#include "store/event_generator.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using namespace hedgerow;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

long StatusKb(const std::string& status_file, const char* field) {
  std::ifstream status(status_file);
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

uint16_t FreePort() {
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

struct Figures {
  double insert_seconds = 0;
  uint64_t bytes_after_insert = 0;
  double merge_seconds = 0;
  uint64_t bytes_after_merge = 0;
  uint64_t parts_after_merge = 0;
  long peak_rss_kb = 0;
};

uint64_t TableBytes(const store::Table& table, size_t* parts = nullptr) {
  uint64_t bytes = 0;
  auto all = table.AllParts();
  for (const auto& p : all) bytes += p->meta().bytes_on_disk;
  if (parts) *parts = all.size();
  return bytes;
}

Figures RunHedgerow(const std::string& dir, size_t rows, size_t batch, uint32_t shards) {
  Figures f;
  const store::TableSchema& events = *store::FindPostHogTable("events");
  auto table = store::Table::Open(events, {.dir = dir, .shards = shards});
  if (!table.ok()) throw std::runtime_error(table.status().ToString());
  bench::EventGenerator gen(42, 100000);
  store::JsonRowDecoder decoder(events);
  std::vector<std::string> input;
  double seconds = 0;
  for (size_t done = 0; done < rows; done += batch) {
    input.clear();
    for (size_t i = 0; i < std::min(batch, rows - done); ++i) input.push_back(gen.Next());
    auto start = Clock::now();  // generating the rows is not the store's work
    for (std::string& row : input) {
      Status s = decoder.Add(row, 0, 0);
      if (!s.ok()) throw std::runtime_error(s.ToString());
    }
    Status s = (*table)->Insert(decoder.Take(), {{0, done + input.size()}});
    if (!s.ok()) throw std::runtime_error(s.ToString());
    seconds += Seconds(start);
  }
  input = {};
  f.insert_seconds = seconds;
  f.bytes_after_insert = TableBytes(**table);
  auto start = Clock::now();
  while (auto candidate = (*table)->SelectMerge(/*all=*/true)) {
    Status s = (*table)->Merge(*candidate);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  f.merge_seconds = Seconds(start);
  size_t parts = 0;
  f.bytes_after_merge = TableBytes(**table, &parts);
  f.parts_after_merge = parts;
  f.peak_rss_kb = StatusKb("/proc/self/status", "VmHWM:");
  return f;
}

// ClickHouse answers an INSERT or OPTIMIZE when it is done, which can take minutes.
std::optional<testing::ClientResponse> Post(uint16_t port, const std::string& target, const std::string& body) {
  testing::TestConnection connection(port, std::chrono::minutes(30));
  return connection.Request("POST", target, body, {});
}

std::string Query(uint16_t port, const std::string& sql) {
  auto r = Post(port, "/", sql);
  if (!r || r->status != 200) throw std::runtime_error("clickhouse: " + sql + ": " + (r ? r->body : "no answer"));
  return r->body;
}

Figures RunClickHouse(const std::string& binary, const std::string& dir, size_t rows, size_t batch) {
  Figures f;
  uint16_t port = FreePort();
  std::filesystem::create_directories(dir + "/data");
  std::ofstream(dir + "/config.xml") << fmt::format(
      R"(<?xml version="1.0"?><yandex><logger><level>warning</level><console>1</console></logger>)"
      R"(<http_port>{}</http_port><listen_host>127.0.0.1</listen_host><path>{}/data/</path>)"
      R"(<tmp_path>{}/data/tmp/</tmp_path><users_config>/etc/clickhouse-server/users.xml</users_config>)"
      R"(<default_profile>default</default_profile><default_database>default</default_database>)"
      R"(<mark_cache_size>1073741824</mark_cache_size></yandex>)",
      port, dir, dir);
  testing::ChildProcess server({binary, "--config-file=" + dir + "/config.xml"});
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (true) {
    try {
      auto ping = testing::HttpRequest(port, "GET", "/ping");
      if (ping && ping->status == 200) break;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (Clock::now() > deadline) throw std::runtime_error("clickhouse-server did not start: " + server.stderr_text());
    server.DrainFor(std::chrono::milliseconds(100));
  }
  Query(port,
        "CREATE TABLE events (uuid UUID, event String, properties String, timestamp DateTime, team_id Int64, "
        "distinct_id String, elements_chain String, created_at DateTime, person_id UUID, person_properties String, "
        "person_created_at DateTime, person_mode String, `$group_0` String, `$group_1` String, `$group_2` String, "
        "`$group_3` String, `$group_4` String, _timestamp DateTime, _offset UInt64) "
        "ENGINE = ReplacingMergeTree(_timestamp) PARTITION BY toYYYYMM(timestamp) "
        "ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(toString(uuid)))");
  bench::EventGenerator gen(42, 100000);
  std::string body;
  double seconds = 0;
  for (size_t done = 0; done < rows; done += batch) {
    body.clear();
    for (size_t i = 0; i < std::min(batch, rows - done); ++i) {
      body += gen.Next();
      body += '\n';
    }
    auto start = Clock::now();
    auto r = Post(port, "/?query=INSERT%20INTO%20events%20FORMAT%20JSONEachRow", body);
    if (!r || r->status != 200) throw std::runtime_error("clickhouse insert failed: " + (r ? r->body : "no answer"));
    seconds += Seconds(start);
  }
  f.insert_seconds = seconds;
  const std::string bytes_sql = "SELECT sum(bytes_on_disk), count() FROM system.parts WHERE table = 'events' AND active";
  f.bytes_after_insert = std::stoull(Query(port, bytes_sql));
  auto start = Clock::now();
  Query(port, "OPTIMIZE TABLE events FINAL");
  f.merge_seconds = Seconds(start);
  std::string after = Query(port, bytes_sql);
  f.bytes_after_merge = std::stoull(after);
  f.parts_after_merge = std::stoull(after.substr(after.find('\t') + 1));
  f.peak_rss_kb = StatusKb(fmt::format("/proc/{}/status", server.pid()), "VmHWM:");
  server.Signal(SIGTERM);
  server.Wait(std::chrono::seconds(30));
  return f;
}

void Print(const char* name, const Figures& f, size_t rows) {
  std::printf("%-10s insert %8.0f rows/s (%6.2f s)  on disk %7.1f MB  merge-all %8.0f rows/s (%6.2f s, %llu parts left, "
              "%7.1f MB)  peak RSS %6.0f MB\n",
              name, static_cast<double>(rows) / f.insert_seconds, f.insert_seconds, f.bytes_after_insert / 1e6,
              static_cast<double>(rows) / f.merge_seconds, f.merge_seconds,
              static_cast<unsigned long long>(f.parts_after_merge), f.bytes_after_merge / 1e6, f.peak_rss_kb / 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 2000000, batch = 100000;
  uint32_t shards = 2;
  std::string clickhouse = "/usr/sbin/clickhouse-server";
  bool skip_clickhouse = false;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--skip-clickhouse") {
      skip_clickhouse = true;
      continue;
    }
    if (i + 1 >= argc) break;
    std::string v = argv[++i];
    if (k == "--rows") rows = std::stoull(v);
    else if (k == "--batch") batch = std::stoull(v);
    else if (k == "--shards") shards = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--clickhouse") clickhouse = v;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  testing::TempDir dir;
  std::printf("store_bench: %zu synthetic PostHog events, batches of %zu, %u shards\n", rows, batch, shards);
  Figures ours = RunHedgerow(dir.File("hedgerow"), rows, batch, shards);
  Print("hedgerow", ours, rows);
  if (skip_clickhouse) return 0;
  if (!std::filesystem::exists(clickhouse)) {
    std::printf("clickhouse: skipped (%s not found; apt-get install clickhouse-server)\n", clickhouse.c_str());
    return 0;
  }
  Figures ch = RunClickHouse(clickhouse, dir.File("clickhouse"), rows, batch);
  Print("clickhouse", ch, rows);
  std::printf("ratios (hedgerow / clickhouse): insert rate %.2fx, bytes on disk after insert %.2fx, after merge %.2fx, "
              "merge rate %.2fx\n",
              ch.insert_seconds / ours.insert_seconds,
              static_cast<double>(ours.bytes_after_insert) / static_cast<double>(ch.bytes_after_insert),
              static_cast<double>(ours.bytes_after_merge) / static_cast<double>(ch.bytes_after_merge),
              ch.merge_seconds / ours.merge_seconds);
  return 0;
}
