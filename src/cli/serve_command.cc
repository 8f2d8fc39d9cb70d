#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/common/clock.h"
#include "hedgerow/common/json.h"
#include "hedgerow/common/log.h"
#include "hedgerow/common/random.h"
#include "hedgerow/server/server.h"

namespace hedgerow::cli {
namespace {

// --ephemeral's data dir: made under $TMPDIR (else /tmp), removed when this goes out of scope
// (after the server has stopped; a SIGKILL leaves it, as any crash leaves temporary files).
class EphemeralDataDir {
 public:
  static Result<EphemeralDataDir> Make() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/hedgerow-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::IOError(fmt::format("--ephemeral: cannot make a temporary directory {}: {} (set TMPDIR)", pattern,
                                         std::strerror(errno)));
    }
    return EphemeralDataDir(std::move(pattern));
  }
  EphemeralDataDir(EphemeralDataDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  EphemeralDataDir& operator=(EphemeralDataDir&&) = delete;
  ~EphemeralDataDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) LogWarn("server", "cannot remove the ephemeral data dir", {{"data_dir", path_}, {"error", ec.message()}});
  }
  const std::string& path() const { return path_; }

 private:
  explicit EphemeralDataDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// A token or key goes into HTTP headers and URLs: no whitespace or control characters.
std::string CheckSecret(std::string_view name, std::string_view value, std::string_view prefix) {
  if (value.empty()) return "";
  if (value.size() > 200) return fmt::format("--{} is longer than 200 characters", name);
  for (unsigned char c : value) {
    if (c <= ' ' || c == 0x7f) return fmt::format("--{} must not contain spaces or control characters", name);
  }
  if (value.substr(0, prefix.size()) != prefix) {
    return fmt::format("--{} must start with \"{}\"", name, prefix);
  }
  return "";
}

}  // namespace

std::vector<OptionSpec> ServeOptions() {
  return {
      {.name = "data-dir", .section = "server", .default_value = "./data",
       .help = "directory holding meta.sqlite, persons.sqlite, log/ and store/", .value_name = "DIR"},
      {.name = "ephemeral", .section = "server", .default_value = "false",
       .help = "developer test mode: a temporary data dir removed on exit, listeners on free ports unless given, "
               "and one JSON line on stdout when ready: {\"url\",\"clickhouse_url\",\"token\",\"personal_api_key\",\"data_dir\"}",
       .type = OptionType::kBool},
      {.name = "listen", .section = "server", .default_value = "127.0.0.1:8000",
       .help = "capture and API listener", .type = OptionType::kHostPort, .value_name = "HOST:PORT"},
      {.name = "clickhouse-listen", .section = "server", .default_value = "127.0.0.1:8123",
       .help = "ClickHouse-compatible HTTP listener (queries; password = personal API key)",
       .type = OptionType::kHostPort, .value_name = "HOST:PORT"},
      {.name = "io-threads", .section = "server", .default_value = "2",
       .help = "threads serving HTTP", .type = OptionType::kInt, .min = 1, .max = 64, .value_name = "N"},
      {.name = "query-threads", .section = "server", .default_value = "2",
       .help = "threads running queries (apart from the HTTP threads)", .type = OptionType::kInt, .min = 1, .max = 64,
       .value_name = "N"},
      {.name = "log-level", .section = "server", .default_value = "info", .help = "least severe level logged",
       .choices = {"debug", "info", "warn", "error"}, .value_name = "LEVEL"},
      {.name = "project-token", .section = "bootstrap", .default_value = "",
       .help = "token of project 1, used on the first start of a data dir (default: random)",
       .value_name = "phc_..."},
      {.name = "personal-api-key", .section = "bootstrap", .default_value = "",
       .help = "personal API key for the query and flags APIs, added if new", .value_name = "phx_..."},
      {.name = "max-body-bytes", .section = "http", .default_value = "20971520",
       .help = "largest request body, before and after gzip (413 above)", .type = OptionType::kInt,
       .min = 1024, .max = int64_t{1} << 30, .value_name = "BYTES"},
      {.name = "max-header-bytes", .section = "http", .default_value = "16384",
       .help = "largest request header block (431 above)", .type = OptionType::kInt, .min = 1024,
       .max = 1 << 20, .value_name = "BYTES"},
      {.name = "read-timeout-ms", .section = "http", .default_value = "30000",
       .help = "time allowed to send a request's header, and again its body", .type = OptionType::kInt,
       .min = 100, .max = 3600000, .value_name = "MS"},
      {.name = "max-connections", .section = "http", .default_value = "1024",
       .help = "connections served at once; a new one past it is answered 503 with Retry-After",
       .type = OptionType::kInt, .min = 1, .max = 1 << 20, .value_name = "N"},
      {.name = "apps", .section = "apps", .default_value = "",
       .help = "per-project apps as JSON, replacing each listed project's apps at start: "
               "{\"1\":[{\"kind\":\"property_remover\",\"config\":{\"properties\":[\"$ip\"]}}]}",
       .value_name = "JSON"},
      {.name = "geoip-database", .section = "apps", .default_value = "",
       .help = "MaxMind-format City database for the geoip app (make serve: share/GeoLite2-City.mmdb); "
               "reloaded when the file changes",
       .value_name = "FILE"},
      {.name = "shards", .section = "store", .default_value = "2",
       .help = "events shards (sipHash64(distinct_id) % N); fixed once a data dir has data", .type = OptionType::kInt,
       .min = 1, .max = 64, .value_name = "N"},
      {.name = "store-backend", .section = "store", .default_value = "embedded",
       .help = "where the tables live: embedded (the data dir's store) or clickhouse (a ClickHouse cluster: "
               "--clickhouse-url, --clickhouse-cluster)",
       .choices = {"embedded", "clickhouse"}, .value_name = "BACKEND"},
      {.name = "clickhouse-url", .section = "store", .default_value = "",
       .help = "with --store-backend clickhouse: a node's HTTP interface, http://USER:PASSWORD@HOST:PORT; several "
               "comma-separated (one per shard) when the cluster has no distributed DDL. Queries run on the first",
       .value_name = "URL[,URL]"},
      {.name = "clickhouse-cluster", .section = "store", .default_value = "",
       .help = "with --store-backend clickhouse: the cluster's name in the nodes' <remote_servers>",
       .value_name = "NAME"},
      {.name = "flush-interval-ms", .section = "store", .default_value = "500",
       .help = "longest a store consumer holds rows before inserting them (sooner at 200,000 rows, or once no "
               "new rows came for 50 ms): the bound on how stale queries are under load",
       .type = OptionType::kInt, .min = 10, .max = 600000, .value_name = "MS"},
      {.name = "sync-mode", .section = "server", .default_value = "fsync",
       .help = "fsync: capture answers 200 once events are fsync'd (survives power loss); none: once written to "
               "the OS (survives kill -9, not a machine crash; faster; --ephemeral's default)",
       .choices = {"fsync", "none"}, .value_name = "MODE"},
      {.name = "events-days", .section = "retention", .default_value = "0",
       .help = "drop each month of events (a whole partition) once it ended this many days ago; 0 keeps all",
       .type = OptionType::kInt, .min = 0, .max = 36500, .value_name = "DAYS"},
      {.name = "trusted-proxies", .section = "capture", .default_value = "",
       .help = "comma-separated proxy IPs whose X-Forwarded-For gives the client IP", .value_name = "IP,..."},
      {.name = "max-inflight-bytes", .section = "capture", .default_value = "134217728",
       .help = "bytes of accepted events waiting for the log's fsync; past it capture answers 503 with Retry-After",
       .type = OptionType::kInt, .min = 1, .max = int64_t{1} << 40, .value_name = "BYTES"},
  };
}

int RunServe(const std::vector<std::string>& args) {
  const int64_t started_ms = MonotonicMillis();
  std::optional<Config> config = LoadConfigOrReport(FindCommand("serve"), args);
  if (!config) return kExitUsage;
  if (!config->positional().empty()) {
    ReportError(fmt::format("serve takes no arguments, got \"{}\"", config->positional()[0]));
    return kExitUsage;
  }
  for (auto [name, prefix] : {std::pair{"project-token", "phc_"}, std::pair{"personal-api-key", "phx_"}}) {
    std::string problem = CheckSecret(name, config->GetString(name), prefix);
    if (!problem.empty()) {
      ReportError("config: " + problem);
      return kExitUsage;
    }
  }
  SetLogLevel(*ParseLogLevel(config->GetString("log-level")));

  server::ServerOptions options;
  options.data_dir = config->GetString("data-dir");
  options.project_token = config->GetString("project-token");
  options.personal_api_key = config->GetString("personal-api-key");
  const bool ephemeral = config->GetBool("ephemeral");
  std::optional<EphemeralDataDir> temporary;
  if (ephemeral) {
    if (config->SourceOf("data-dir") != "default") {
      ReportError("--ephemeral makes its own temporary data dir: drop --data-dir");
      return kExitUsage;
    }
    Result<EphemeralDataDir> made = EphemeralDataDir::Make();
    if (!made.ok()) {
      ReportError(made.status().message());
      return kExitFailure;
    }
    temporary.emplace(std::move(made).value());
    options.data_dir = temporary->path();
    // A key to print: tests query with it.
    if (options.personal_api_key.empty()) options.personal_api_key = "phx_" + RandomAlphanumeric(40);
  }
  options.shards = static_cast<uint32_t>(config->GetInt("shards"));
  options.apps = config->GetString("apps");
  options.geoip_database = config->GetString("geoip-database");
  options.store_batch_wait = std::chrono::milliseconds(config->GetInt("flush-interval-ms"));
  options.events_retention_days = static_cast<uint32_t>(config->GetInt("events-days"));
  if (config->GetString("store-backend") == "clickhouse") {
    Result<std::vector<cluster::ClickHouseNode>> nodes = cluster::ParseClickHouseUrls(config->GetString("clickhouse-url"));
    if (!nodes.ok()) {
      ReportError("config: " + nodes.status().message());
      return kExitUsage;
    }
    if (config->GetString("clickhouse-cluster").empty()) {
      ReportError("config: --clickhouse-cluster is required with --store-backend clickhouse: the cluster's name in "
                  "the nodes' <remote_servers>");
      return kExitUsage;
    }
    options.cluster = cluster::ClusterOptions{.nodes = std::move(nodes).value(),
                                              .cluster = config->GetString("clickhouse-cluster"),
                                              .batch_wait = options.store_batch_wait,
                                              .events_retention_days = options.events_retention_days};
  } else if (config->SourceOf("clickhouse-url") != "default" || config->SourceOf("clickhouse-cluster") != "default") {
    ReportError("config: --clickhouse-url and --clickhouse-cluster need --store-backend clickhouse");
    return kExitUsage;
  }
  // Throwaway data needs no fsync unless asked for.
  options.sync_mode_fsync = ephemeral && config->SourceOf("sync-mode") == "default" ? false
                                                                                      : config->GetString("sync-mode") == "fsync";
  options.api.name = "api";
  options.api.listen = config->GetHostPort("listen");
  options.clickhouse = options.api;
  options.clickhouse->listen = config->GetHostPort("clickhouse-listen");
  if (ephemeral) {
    // Free ports unless given: test suites run side by side.
    if (config->SourceOf("listen") == "default") options.api.listen.port = 0;
    if (config->SourceOf("clickhouse-listen") == "default") options.clickhouse->listen.port = 0;
  }
  options.api.io_threads = static_cast<size_t>(config->GetInt("io-threads"));
  options.query_threads = static_cast<size_t>(config->GetInt("query-threads"));
  options.api.max_body_bytes = static_cast<size_t>(config->GetInt("max-body-bytes"));
  options.api.max_header_bytes = static_cast<size_t>(config->GetInt("max-header-bytes"));
  options.api.read_timeout = std::chrono::milliseconds(config->GetInt("read-timeout-ms"));
  options.api.max_connections = static_cast<size_t>(config->GetInt("max-connections"));
  options.capture.max_inflight_bytes = static_cast<size_t>(config->GetInt("max-inflight-bytes"));
  for (std::string_view rest = config->GetString("trusted-proxies"); !rest.empty();) {
    std::string_view ip = rest.substr(0, rest.find(','));
    rest = ip.size() < rest.size() ? rest.substr(ip.size() + 1) : std::string_view();
    while (!ip.empty() && ip.front() == ' ') ip.remove_prefix(1);
    while (!ip.empty() && ip.back() == ' ') ip.remove_suffix(1);
    if (!ip.empty()) options.capture.trusted_proxies.emplace_back(ip);
  }

  // Signals are taken by sigwait below; blocking them before any thread starts makes every
  // thread inherit the mask, so no I/O thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Result<std::unique_ptr<server::Server>> server = server::Server::Start(options);
  if (!server.ok()) {
    ReportError(server.status().message());
    return server.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  LogInfo("server", "ready",
          {{"api", HostPort{options.api.listen.host, (*server)->api_port()}.ToString()},
           {"clickhouse", HostPort{options.clickhouse->listen.host, (*server)->clickhouse_port()}.ToString()},
           {"data_dir", options.data_dir},
           {"startup_ms", MonotonicMillis() - started_ms}});
  if (ephemeral) {
    // The one line a test harness reads (INTERFACE.md), flushed at once.
    auto url = [](const HostPort& listen, uint16_t port) {
      std::string host = listen.host == "0.0.0.0" || listen.host.empty() ? "127.0.0.1" : listen.host;
      if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
      return fmt::format("http://{}:{}", host, port);
    };
    std::string line = R"({"url":)";
    AppendJsonString(line, url(options.api.listen, (*server)->api_port()));
    line += R"(,"clickhouse_url":)";
    AppendJsonString(line, url(options.clickhouse->listen, (*server)->clickhouse_port()));
    line += R"(,"token":)";
    AppendJsonString(line, (*server)->default_project().api_token);
    line += R"(,"personal_api_key":)";
    AppendJsonString(line, options.personal_api_key);
    line += R"(,"data_dir":)";
    AppendJsonString(line, options.data_dir);
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }

  int sig = 0;
  sigwait(&signals, &sig);
  LogInfo("server", "shutting down", {{"signal", strsignal(sig)}});
  (*server)->Stop(std::chrono::seconds(10));
  server->reset();  // the data dir's lock and files closed before an ephemeral dir goes
  LogInfo("server", "stopped");
  return kExitOk;
}

}  // namespace hedgerow::cli
