// Runs build/hedgerow as a user would and checks what they see: exit codes, the one-line
// errors, startup, health over HTTP and shutdown on signals.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <tuple>
#include <thread>

#include "hedgerow/log/log.h"
#include "support/child_process.h"
#include "support/ready_line.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using hedgerow::testing::ChildProcess;
using hedgerow::testing::HttpRequest;
using hedgerow::testing::TempDir;

namespace {

const std::string kBinary = HEDGEROW_BINARY;

// Starts `hedgerow serve` on a free port and returns the port from its "ready" line.
uint16_t StartServe(ChildProcess& child) {
  auto ports = hedgerow::testing::WaitForServerPorts(child, std::chrono::seconds(30));
  INFO(child.stderr_text());
  REQUIRE(ports);
  return ports->api;
}

std::vector<std::string> ServeArgs(const TempDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {kBinary, "serve", "--data-dir", dir.File("data"), "--listen",
                                   "127.0.0.1:0", "--clickhouse-listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Exit code and stderr of a command that is expected to end by itself.
std::pair<int, std::string> Run(const std::vector<std::string>& args,
                                const std::vector<std::string>& env = {}) {
  ChildProcess child(args, env);
  auto code = child.Wait();
  REQUIRE(code);
  return {*code, child.stderr_text()};
}

}  // namespace

TEST_CASE("serve answers /_health and exits 0 on SIGTERM", "[cli]") {
  TempDir dir;
  ChildProcess child(ServeArgs(dir, {"--project-token", "phc_cli"}));
  uint16_t port = StartServe(child);
  auto health = HttpRequest(port, "GET", "/_health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(child.stderr_text().find("msg=\"created project\" project_id=1 name=\"Default project\" "
                                 "project_token=phc_cli") != std::string::npos);
  child.Signal(SIGTERM);
  CHECK(child.Wait() == 0);
  CHECK(child.stderr_text().find("msg=stopped") != std::string::npos);
}

TEST_CASE("serve refuses another shard count than the data dir's with exit code 2 and what to set", "[cli]") {
  TempDir dir;
  {
    ChildProcess child(ServeArgs(dir, {"--shards", "2"}));
    StartServe(child);
    child.Signal(SIGTERM);
    REQUIRE(child.Wait() == 0);
  }
  auto [code, err] = Run(ServeArgs(dir, {"--shards", "4"}));
  CHECK(code == 2);
  CHECK(err.find("was created with 2 shards") != std::string::npos);
  CHECK(err.find("set shards = 2") != std::string::npos);
  ChildProcess again(ServeArgs(dir, {"--shards", "2"}));
  StartServe(again);
  again.Signal(SIGTERM);
  CHECK(again.Wait() == 0);
}

TEST_CASE("serve exits 0 on SIGINT and prints the token only on the first start", "[cli]") {
  TempDir dir;
  {
    ChildProcess first(ServeArgs(dir));
    StartServe(first);
    CHECK(first.stderr_text().find("project_token=phc_") != std::string::npos);
    first.Signal(SIGINT);
    CHECK(first.Wait() == 0);
  }
  ChildProcess second(ServeArgs(dir));
  StartServe(second);
  CHECK(second.stderr_text().find("created project") == std::string::npos);
  second.Signal(SIGINT);
  CHECK(second.Wait() == 0);
}

TEST_CASE("a bad flag, variable or config file gives one error line and exit code 2", "[cli]") {
  TempDir dir;
  auto [code, err] = Run(ServeArgs(dir, {"--io-threads", "lots"}));
  CHECK(code == 2);
  CHECK(err == "hedgerow: config: --io-threads \"lots\": expected an integer from 1 to 64\n");

  std::tie(code, err) = Run(ServeArgs(dir), {"HEDGEROW_LOG_LEVEL=chatty"});
  CHECK(code == 2);
  CHECK(err == "hedgerow: config: HEDGEROW_LOG_LEVEL=\"chatty\": expected one of debug, info, warn, error\n");

  std::string conf = dir.File("bad.conf");
  std::ofstream(conf) << "[server]\nlisten = 127.0.0.1:0\n[http]\nmax-body-bytes = -1\n";
  std::tie(code, err) = Run(ServeArgs(dir, {"--config", conf}));
  CHECK(code == 2);
  CHECK(err == "hedgerow: config: " + conf +
                   ":4: [http] max-body-bytes = \"-1\": expected an integer from 1024 to 1073741824\n");

  std::tie(code, err) = Run(ServeArgs(dir, {"--config", dir.File("missing.conf")}));
  CHECK(code == 2);
  CHECK(err.find("cannot read config file") != std::string::npos);

  std::tie(code, err) = Run(ServeArgs(dir, {"--project-token", "has space"}));
  CHECK(code == 2);
  CHECK(err == "hedgerow: config: --project-token must not contain spaces or control characters\n");

  std::tie(code, err) = Run(ServeArgs(dir, {"--apps", R"({"1":[{"kind":"nope"}]})"}));
  CHECK(code == 2);
  CHECK(err.find("hedgerow: apps: project 1, app 1 (nope)") != std::string::npos);
  std::tie(code, err) = Run({kBinary, "serve", "--no-such-flag"});
  CHECK(code == 2);
  std::tie(code, err) = Run({kBinary, "frobnicate"});
  CHECK(code == 2);
  CHECK(err == "hedgerow: unknown command \"frobnicate\"; run hedgerow --help\n");
}

TEST_CASE("the config file and environment configure serve, env winning", "[cli]") {
  TempDir dir;
  std::string conf = dir.File("hedgerow.conf");
  std::ofstream(conf) << "[server]\ndata-dir = " << dir.File("from-file") << "\nlisten = 127.0.0.1:0\nclickhouse-listen = 127.0.0.1:0\n"
                      << "log-level = error\n[bootstrap]\nproject-token = phc_from_file\n";
  // The file asks for errors only; the environment overrides it, so the ready line shows.
  ChildProcess child({kBinary, "serve", "--config", conf}, {"HEDGEROW_LOG_LEVEL=info"});
  uint16_t port = StartServe(child);
  CHECK(HttpRequest(port, "GET", "/_health")->status == 200);
  CHECK(child.stderr_text().find("project_token=phc_from_file") != std::string::npos);
  CHECK(std::filesystem::exists(dir.File("from-file") + "/meta.sqlite"));
  child.Signal(SIGTERM);
  CHECK(child.Wait() == 0);
}

TEST_CASE("a port in use is a clear runtime error with exit code 1", "[cli]") {
  TempDir dir;
  ChildProcess first(ServeArgs(dir));
  uint16_t port = StartServe(first);
  TempDir other;
  auto [code, err] = Run({kBinary, "serve", "--data-dir", other.File("data"), "--listen",
                          "127.0.0.1:" + std::to_string(port), "--clickhouse-listen", "127.0.0.1:0"});
  CHECK(code == 1);
  CHECK(err.find("hedgerow: http: cannot listen on 127.0.0.1:" + std::to_string(port)) != std::string::npos);
  first.Signal(SIGTERM);
  CHECK(first.Wait() == 0);
}

TEST_CASE("every command has --help and version prints the version", "[cli]") {
  for (std::vector<std::string> args : {std::vector<std::string>{kBinary, "--help"},
                                        {kBinary, "serve", "--help"},
                                        {kBinary, "version", "--help"},
                                        {kBinary, "help", "serve"}}) {
    ChildProcess child(args);
    CHECK(child.Wait() == 0);
  }
  auto [code, err] = Run({kBinary});
  CHECK(code == 2);
  CHECK(err.find("Usage: hedgerow COMMAND") != std::string::npos);
}

TEST_CASE("log topics, lag and tail inspect the data dir of a running server", "[cli]") {
  TempDir dir;
  ChildProcess server(ServeArgs(dir));
  StartServe(server);

  ChildProcess topics({kBinary, "log", "topics", "--data-dir", dir.File("data")});
  REQUIRE(topics.Wait() == 0);
  CHECK(topics.stdout_text().find(R"({"topic":"events_plugin_ingestion","partitions":8,"records":0,)") !=
        std::string::npos);
  CHECK(topics.stdout_text().find(R"("topic":"clickhouse_events_json")") != std::string::npos);

  ChildProcess lag({kBinary, "log", "lag", "--data-dir", dir.File("data")});
  CHECK(lag.Wait() == 0);

  ChildProcess tail({kBinary, "log", "tail", "events_plugin_ingestion", "--data-dir", dir.File("data")});
  CHECK(tail.Wait() == 0);
  CHECK(tail.stdout_text().empty());

  ChildProcess missing({kBinary, "log", "tail", "no_such_topic", "--data-dir", dir.File("data")});
  CHECK(missing.Wait() == 1);
  CHECK(missing.stderr_text() == "hedgerow: log: no topic \"no_such_topic\"\n");

  ChildProcess usage({kBinary, "log", "tail"});
  CHECK(usage.Wait() == 2);
  server.Signal(SIGTERM);
  CHECK(server.Wait() == 0);
}

TEST_CASE("log tail prints records as JSON lines, JSON values as JSON", "[cli]") {
  TempDir dir;
  {
    auto log = hedgerow::log::Log::Open({.dir = dir.File("data/log")}, nullptr);
    REQUIRE(log.ok());
    REQUIRE((*log)->CreateTopic({.name = "t", .partitions = 1}).ok());
    std::vector<hedgerow::log::OutgoingRecord> records(3);
    for (auto& r : records) r.topic = "t";
    records[0].record = {"k0", R"({"event":"a"})", 1700000000000, {}};
    records[1].record = {"k1", "not \"json\"", 1700000000001, {}};
    records[2].record = {"", "[1,2]", 1700000000002, {}};
    REQUIRE((*log)->AppendAndWait(records).ok());
  }
  ChildProcess all({kBinary, "log", "tail", "t", "--data-dir", dir.File("data")});
  REQUIRE(all.Wait() == 0);
  CHECK(all.stdout_text() ==
        "{\"topic\":\"t\",\"partition\":0,\"offset\":0,\"timestamp\":1700000000000,\"key\":\"k0\",\"value\":{\"event\":\"a\"}}\n"
        "{\"topic\":\"t\",\"partition\":0,\"offset\":1,\"timestamp\":1700000000001,\"key\":\"k1\",\"value\":\"not \\\"json\\\"\"}\n"
        "{\"topic\":\"t\",\"partition\":0,\"offset\":2,\"timestamp\":1700000000002,\"key\":\"\",\"value\":[1,2]}\n");
  ChildProcess from({kBinary, "log", "tail", "t", "--from", "2", "--data-dir", dir.File("data")});
  REQUIRE(from.Wait() == 0);
  CHECK(from.stdout_text().find("\"offset\":2") != std::string::npos);
  CHECK(from.stdout_text().find("\"offset\":1") == std::string::npos);
}

TEST_CASE("a data dir whose log holds the 100k-deep event of issue 16 starts, dead-letters it and serves", "[cli]") {
  TempDir dir;
  {
    ChildProcess first(ServeArgs(dir, {"--project-token", "phc_brick"}));
    StartServe(first);
    first.Signal(SIGTERM);
    REQUIRE(first.Wait() == 0);
  }
  // What capture wrote before it had a nesting limit, and a good event after it.
  auto message = [](const std::string& uuid, const std::string& data) {
    return R"({"uuid":")" + uuid + R"(","distinct_id":"d","ip":null,"site_url":"","now":"2026-01-01T00:00:00Z",)"
           R"("sent_at":"","token":"phc_brick","data":")" + data + R"("})";
  };
  std::string deep = R"({\"event\":\"x\",\"properties\":{\"a\":)";
  for (int i = 0; i < 100000; ++i) deep += R"({\"b\":)";
  deep += "1" + std::string(100000, '}') + "}}";
  {
    auto log = hedgerow::log::Log::Open({.dir = dir.File("data/log")}, nullptr);
    REQUIRE(log.ok());
    std::vector<hedgerow::log::OutgoingRecord> records(2);
    records[0] = {"events_plugin_ingestion", 0, {"phc_brick:d", message("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", deep), 0, {}}};
    records[1] = {"events_plugin_ingestion", 0,
                  {"phc_brick:d", message("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", R"({\"event\":\"after\"})"), 0, {}}};
    REQUIRE((*log)->AppendAndWait(records).ok());
  }
  ChildProcess server(ServeArgs(dir));
  uint16_t port = StartServe(server);
  auto tail = [&](const char* topic) {
    ChildProcess t({kBinary, "log", "tail", topic, "--data-dir", dir.File("data")});
    REQUIRE(t.Wait() == 0);
    return t.stdout_text();
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (tail("clickhouse_events_json").find(R"("event":"after")") == std::string::npos) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Appended in the same batch as the good event's row, yet one CI run (session 12) read the
  // row before the dead letter, through `log tail`'s RocksDB secondary; cause not found yet.
  // Awaited like the row: a dead letter that never comes still fails the test.
  while (tail("dead_letter_queue").find("data nests deeper than 128 levels") == std::string::npos) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto health = HttpRequest(port, "GET", "/_health");
  REQUIRE(health);
  CHECK(health->status == 200);
  server.Signal(SIGTERM);
  CHECK(server.Wait() == 0);
}

TEST_CASE("query runs SQL on a running server and prints it in the format asked", "[cli]") {
  TempDir dir;
  ChildProcess server(ServeArgs(dir, {"--project-token", "phc_q", "--personal-api-key", "phx_cli_query"}));
  uint16_t port = StartServe(server);
  REQUIRE(HttpRequest(port, "POST", "/e/", R"({"api_key":"phc_q","event":"hello","distinct_id":"u"})")->status == 200);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto query = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {kBinary, "query", "--url", url, "--api-key", "phx_cli_query"};
    args.insert(args.end(), extra.begin(), extra.end());
    ChildProcess q(args);
    auto code = q.Wait();
    REQUIRE(code);
    return std::make_tuple(*code, q.stdout_text(), q.stderr_text());
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::get<1>(query({"--format", "tsv", "SELECT count() FROM events"})) != "count()\n1\n") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto [code, out, err] = query({"--format", "jsonl", "SELECT event, count() AS c FROM events GROUP BY event"});
  CHECK(code == 0);
  CHECK(out == "{\"event\":\"hello\",\"c\":1}\n");
  std::tie(code, out, err) = query({"SELECT event AS name FROM events"});
  CHECK(out == "name \n-----\nhello\n");
  std::tie(code, out, err) = query({"--format", "csv", "SELECT event, 1.5 FROM events"});
  CHECK(out == "\"event\",\"1.5\"\n\"hello\",1.5\n");
  std::tie(code, out, err) = query({"SELECT nope FROM events"});
  CHECK(code == 1);
  CHECK(err == "hedgerow: query: Missing columns: 'nope' (HTTP 400)\n");
  auto [usage, usage_err] = Run({kBinary, "query", "--url", url, "SELECT 1"});
  CHECK(usage == 2);
  CHECK(usage_err.find("--api-key") != std::string::npos);
  auto [down, down_err] = Run({kBinary, "query", "--url", "http://127.0.0.1:1", "--api-key", "phx_x", "SELECT 1"});
  CHECK(down == 1);
  CHECK(down_err.find("is hedgerow serve running?") != std::string::npos);
  server.Signal(SIGTERM);
  CHECK(server.Wait() == 0);
}

TEST_CASE("apps add, list and remove change what a running server does to events", "[cli]") {
  TempDir dir;
  ChildProcess server(ServeArgs(dir, {"--project-token", "phc_apps"}));
  uint16_t port = StartServe(server);
  std::string data = dir.File("data");

  ChildProcess bad({kBinary, "apps", "add", "taxonomy", "--app-config", R"({"style":"kebab"})", "--data-dir", data});
  CHECK(bad.Wait() == 2);
  CHECK(bad.stderr_text() == "hedgerow: apps: taxonomy config: \"style\" must be snake_case or camelCase\n");

  ChildProcess add({kBinary, "apps", "add", "taxonomy", "--app-config", R"({"style":"snake_case"})", "--data-dir", data});
  REQUIRE(add.Wait() == 0);
  CHECK(add.stdout_text() == "{\"id\":2,\"position\":2}\n");
  ChildProcess list({kBinary, "apps", "list", "--data-dir", data});
  REQUIRE(list.Wait() == 0);
  // geoip is every new project's first app, as in PostHog.
  CHECK(list.stdout_text() ==
        "{\"id\":1,\"project_id\":1,\"position\":1,\"kind\":\"geoip\",\"config\":{}}\n"
        "{\"id\":2,\"project_id\":1,\"position\":2,\"kind\":\"taxonomy\",\"config\":{\"style\":\"snake_case\"}}\n");

  // The server reloads apps within a second; send until the renamed event shows up.
  bool renamed = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!renamed && std::chrono::steady_clock::now() < deadline) {
    auto r = HttpRequest(port, "POST", "/batch/", R"({"api_key":"phc_apps","batch":[{"event":"Order Placed","distinct_id":"u"}]})");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    ChildProcess tail({kBinary, "log", "tail", "clickhouse_events_json", "--data-dir", data});
    REQUIRE(tail.Wait() == 0);
    renamed = tail.stdout_text().find("\"event\":\"order_placed\"") != std::string::npos;
  }
  CHECK(renamed);

  ChildProcess remove({kBinary, "apps", "remove", "2", "--data-dir", data});
  CHECK(remove.Wait() == 0);
  ChildProcess again({kBinary, "apps", "remove", "2", "--data-dir", data});
  CHECK(again.Wait() == 2);
  server.Signal(SIGTERM);
  CHECK(server.Wait() == 0);
}

TEST_CASE("flags create, set, list and delete change what a running server's /flags answers", "[cli]") {
  TempDir dir;
  ChildProcess server(ServeArgs(dir, {"--project-token", "phc_cliflags"}));
  uint16_t port = StartServe(server);
  std::string data = dir.File("data");
  auto enabled = [&](const std::string& key) {
    auto r = HttpRequest(port, "POST", "/flags/?v=1", R"({"token":"phc_cliflags","distinct_id":"someone"})");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return r->body.find("\"" + key + "\":true") != std::string::npos;
  };
  // The server rereads meta.sqlite within its 100 ms recheck; wait for what we expect.
  auto await = [&](const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
  };

  auto [bad, bad_err] = Run({kBinary, "flags", "create", "has space", "--data-dir", data});
  CHECK(bad == 2);
  CHECK(bad_err.find("Only letters, numbers") != std::string::npos);
  auto [bad_rollout, rollout_err] = Run({kBinary, "flags", "create", "x", "--rollout", "150", "--data-dir", data});
  CHECK(bad_rollout == 2);
  CHECK(rollout_err == "hedgerow: flags: --rollout must be a percentage from 0 to 100, not \"150\"\n");

  ChildProcess create({kBinary, "flags", "create", "beta", "--name", "Beta", "--data-dir", data});
  REQUIRE(create.Wait() == 0);
  CHECK(create.stdout_text().find("\"key\":\"beta\",\"name\":\"Beta\",\"active\":true,\"version\":1") != std::string::npos);
  CHECK(await([&] { return enabled("beta"); }));
  ChildProcess off({kBinary, "flags", "set", "beta", "--rollout", "0", "--data-dir", data});
  REQUIRE(off.Wait() == 0);
  CHECK(await([&] { return !enabled("beta"); }));
  ChildProcess list({kBinary, "flags", "list", "--data-dir", data});
  REQUIRE(list.Wait() == 0);
  CHECK(list.stdout_text().find("\"version\":2,\"filters\":{\"groups\":[{\"properties\":[],\"rollout_percentage\":0}]}") !=
        std::string::npos);
  ChildProcess dup({kBinary, "flags", "create", "beta", "--data-dir", data});
  CHECK(dup.Wait() == 2);
  ChildProcess del({kBinary, "flags", "delete", "beta", "--data-dir", data});
  REQUIRE(del.Wait() == 0);
  CHECK(await([&] {
    auto r = HttpRequest(port, "POST", "/flags/?v=1", R"({"token":"phc_cliflags","distinct_id":"someone"})");
    return r && r->body.find("beta") == std::string::npos;
  }));
  auto [missing, missing_err] = Run({kBinary, "flags", "set", "beta", "--data-dir", data});
  CHECK(missing == 2);
  CHECK(missing_err.find("has no flag \"beta\"") != std::string::npos);
  server.Signal(SIGTERM);
  CHECK(server.Wait() == 0);
}

namespace {

// Sum of "rows" over the JSON lines `store parts` printed.
uint64_t RowsIn(const std::string& parts_output) {
  uint64_t rows = 0;
  std::regex rows_field("\"rows\":(\\d+)");
  for (auto it = std::sregex_iterator(parts_output.begin(), parts_output.end(), rows_field); it != std::sregex_iterator();
       ++it) {
    rows += std::stoull((*it)[1]);
  }
  return rows;
}

}  // namespace

TEST_CASE("store parts, check and merge inspect and compact the store of a data dir", "[cli]") {
  TempDir dir;
  ChildProcess server(ServeArgs(dir, {"--shards", "3", "--project-token", "phc_store"}));
  uint16_t port = StartServe(server);
  std::string batch = R"({"api_key":"phc_store","batch":[)";
  for (int i = 0; i < 40; ++i) {
    if (i > 0) batch += ',';
    batch.append(R"({"event":"e","distinct_id":"u)").append(std::to_string(i)).append("\"}");
  }
  batch += "]}";
  auto sent = hedgerow::testing::HttpRequest(port, "POST", "/batch/", batch);
  REQUIRE(sent);
  REQUIRE(sent->status == 200);
  std::vector<std::string> parts_args = {kBinary, "store", "parts", "--table", "events", "--data-dir", dir.File("data")};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    ChildProcess parts(parts_args);
    REQUIRE(parts.Wait() == 0);
    if (RowsIn(parts.stdout_text()) == 40) {
      CHECK(parts.stdout_text().find(R"({"table":"events","shard":)") == 0);
      break;
    }
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    server.DrainFor(std::chrono::milliseconds(100));
  }
  ChildProcess check({kBinary, "store", "check", "--data-dir", dir.File("data")});
  CHECK(check.Wait() == 0);
  CHECK(check.stdout_text().find(", 0 damaged") != std::string::npos);
  auto [code, err] = Run({kBinary, "store", "merge", "--data-dir", dir.File("data")});
  CHECK(code == 1);
  CHECK(err.find("needs the server stopped") != std::string::npos);
  server.Signal(SIGTERM);
  REQUIRE(server.Wait() == 0);

  ChildProcess merge({kBinary, "store", "merge", "--table", "events", "--data-dir", dir.File("data")});
  REQUIRE(merge.Wait() == 0);
  CHECK(RowsIn(merge.stdout_text()) == 40);
  std::set<std::string> shards;
  std::regex shard_field("\"shard\":(\\d+),\"partition\":\"(\\d+)\"");
  std::string out = merge.stdout_text();
  size_t lines = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), shard_field); it != std::sregex_iterator(); ++it, ++lines) {
    shards.insert((*it)[1].str() + "/" + (*it)[2].str());
  }
  CHECK(lines == shards.size());  // one part per shard and partition after the merge
  CHECK(lines <= 6);

  // Damage one byte of one part: check names it and fails.
  std::string damaged;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.File("data/store/events"))) {
    if (e.path().filename() == "properties.bin") damaged = e.path().string();
  }
  REQUIRE(!damaged.empty());
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  ChildProcess bad({kBinary, "store", "check", "--data-dir", dir.File("data")});
  CHECK(bad.Wait() == 1);
  CHECK(bad.stderr_text().find(std::filesystem::path(damaged).parent_path().string()) != std::string::npos);
  auto [usage_code, usage_err] = Run({kBinary, "store", "parts", "--table", "nope", "--data-dir", dir.File("data")});
  CHECK(usage_code == 2);
  CHECK(usage_err.find("no table \"nope\"") != std::string::npos);
}
