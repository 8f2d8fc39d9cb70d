// A full disk: a real server on a small tmpfs (root mounts it; elsewhere the test is skipped)
// under capture load until the disk fills. It answers 503 and not ready, never crashes; once
// space is freed (the tmpfs grown) it takes events again without a restart, and every event it
// acknowledged, before or after, reaches the store.

#include <signal.h>
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "support/child_process.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace hedgerow::testing {
namespace {

const std::string kBinary = HEDGEROW_BINARY;
constexpr const char* kToken = "phc_full";
constexpr const char* kKey = "phx_full";

std::string Batch(int i) {
  std::string out = fmt::format(R"({{"api_key":"{}","batch":[)", kToken);
  for (int j = 0; j < 20; ++j) {
    out += fmt::format(R"({}{{"event":"e","distinct_id":"u{}","properties":{{"i":{},"pad":"{}"}}}})", j ? "," : "", j % 50, i,
                       std::string(2000, 'x'));
  }
  return out + "]}";
}

TEST_CASE("a full disk gets 503s, not a crash, and the server recovers without a restart when space is freed",
          "[reliability]") {
  TempDir dir;
  const std::string mount_point = dir.File("tmpfs");
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=80m") != 0) {
    WARN("skipped: cannot mount a tmpfs (" << std::strerror(errno) << "); run as root");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};

  ChildProcess server({kBinary, "serve", "--data-dir", mount_point + "/data", "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", kToken, "--personal-api-key", kKey});
  const ServerPorts ports = AwaitServerReady(server);
  std::set<int> acked;
  int refused_in_a_row = 0, refused = 0, i = 0;
  for (; refused_in_a_row < 20 && i < 20000; ++i) {
    auto r = HttpRequest(ports.api, "POST", "/batch/", Batch(i));
    REQUIRE(r);  // answered: the server is up
    if (r->status == 200) {
      acked.insert(i);
      refused_in_a_row = 0;
    } else {
      INFO(r->body);
      REQUIRE(r->status == 503);
      ++refused_in_a_row;
      ++refused;
    }
    if (i % 64 == 0) server.DrainFor(std::chrono::milliseconds(0));
  }
  REQUIRE(refused_in_a_row == 20);  // the disk did fill
  auto readiness = HttpRequest(ports.api, "GET", "/_readiness");
  REQUIRE(readiness);
  CHECK(readiness->status == 503);

  // Space comes back: capture takes events again, with no restart.
  REQUIRE(::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT, "size=400m") == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int after = 0;
  for (;; ++i) {
    auto r = HttpRequest(ports.api, "POST", "/batch/", Batch(i));
    REQUIRE(r);
    if (r->status == 200) {
      acked.insert(i);
      if (++after == 10) break;
    }
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    server.DrainFor(std::chrono::milliseconds(r->status == 200 ? 0 : 200));
  }
  // Every acknowledged batch is in the store.
  AwaitServerAnswer(ports.clickhouse, kKey,
                    fmt::format("SELECT count() >= {} FROM events FINAL WHERE event = 'e'", acked.size() * 20), "1\n",
                    std::chrono::seconds(120));
  std::istringstream found(QueryServer(ports.clickhouse, kKey,
                                       "SELECT DISTINCT JSONExtractInt(properties, 'i') FROM events WHERE event = 'e'"));
  std::set<int> in_store;
  for (int v; found >> v;) in_store.insert(v);
  size_t missing = 0;
  for (int a : acked) missing += in_store.count(a) == 0 ? 1 : 0;
  CHECK(missing == 0);
  WARN(fmt::format("{} batches acknowledged, {} refused with 503 while the disk was full, {} missing from the store",
                   acked.size(), refused, missing));
  server.Signal(SIGTERM);
  CHECK(server.Wait(std::chrono::seconds(30)) == 0);
}

}  // namespace
}  // namespace hedgerow::testing
