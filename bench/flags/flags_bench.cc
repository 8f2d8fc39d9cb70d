// Load test of /flags through a real hedgerow process, generator included.
//   build/bench/flags_bench build/hedgerow [--connections 32] [--seconds 10] [--flags 50] [--persons 1000]
// Sets up `flags` flags through the management API (rollouts, multivariate with payloads,
// person property conditions of every kind, a cohort, a group flag), ingests `persons`
// persons with $set properties and waits until they are in the persons store (its cache),
// then POSTs /flags/?v=2 as posthog-js does over `connections` keep-alive connections, all
// driven by one epoll thread.
// Reports requests/s, latency percentiles and CPU per 1,000 requests (server and generator).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/process_cpu.h"
#include "support/child_process.h"
#include "support/ready_line.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

using hedgerow::testing::ChildProcess;
using hedgerow::testing::HttpRequest;
using Clock = std::chrono::steady_clock;

using hedgerow::bench::ProcessCpuSeconds;
using hedgerow::bench::SelfCpuSeconds;

namespace {

constexpr const char* kToken = "phc_flagsbench";
constexpr const char* kKey = "phx_flagsbench";

struct Args {
  std::string binary;
  int connections = 32;
  double seconds = 10;
  int flags = 50;
  int persons = 1000;
};

// The i-th flag: a mix of what PostHog projects hold.
std::string FlagJson(int i, int cohort_id) {
  std::string key = fmt::format("flag-{}", i);
  switch (i % 8) {
    case 0: return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[],"rollout_percentage":{}}}]}}}})", key, 10 + i);
    case 1:
      return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[],"rollout_percentage":80}}],)"
                         R"("multivariate":{{"variants":[{{"key":"control","rollout_percentage":50}},{{"key":"test","rollout_percentage":50}}]}},)"
                         R"("payloads":{{"control":"{{\"c\":1}}","test":"{{\"t\":[1,2,3]}}"}}}}}})",
                         key);
    case 2:
      return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[{{"key":"email","type":"person","operator":"icontains","value":"@corp"}}],"rollout_percentage":100}}]}}}})", key);
    case 3:
      return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[{{"key":"plan","type":"person","value":["pro","team"]}},)"
                         R"({{"key":"age","type":"person","operator":"gte","value":21}}],"rollout_percentage":50}},{{"properties":[],"rollout_percentage":5}}]}}}})",
                         key);
    case 4:
      return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[{{"key":"email","type":"person","operator":"regex","value":"^user_[0-9]+3@"}}]}}]}}}})", key);
    case 5:
      return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[{{"key":"id","type":"cohort","value":{}}}]}}]}}}})", key, cohort_id);
    case 6:
      return fmt::format(R"({{"key":"{}","filters":{{"aggregation_group_type_index":0,"groups":[{{"properties":[],"rollout_percentage":40}}]}}}})", key);
    default:
      return fmt::format(R"({{"key":"{}","filters":{{"groups":[{{"properties":[{{"key":"signed_up","type":"person","operator":"is_date_after","value":"-30d"}}]}}]}}}})", key);
  }
}

struct Result {
  uint64_t requests = 0, errors = 0, bytes = 0;
  double seconds = 0, server_cpu = 0, generator_cpu = 0;
  std::vector<double> latencies_ms;
};

double Pct(const std::vector<double>& v, double p) {
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Keeps `connections` keep-alive connections busy from one thread (epoll, non-blocking):
// a request goes out as soon as the previous answer is in. One thread and no blocking
// calls keep the generator's own CPU per request low, since it shares the two cores.
Result RunLoad(uint16_t port, int connections, const std::vector<std::string>& requests, double seconds) {
  struct Conn {
    int fd = -1;
    size_t next = 0;  // index into requests
    std::string in;
    Clock::time_point sent;
  };
  Result r;
  int ep = epoll_create1(0);
  std::vector<Conn> conns(connections);
  auto send_next = [&](Conn& c) {
    const std::string& req = requests[c.next % requests.size()];
    c.next += connections;
    c.sent = Clock::now();
    size_t off = 0;
    while (off < req.size()) {  // small requests: the socket buffer takes them at once
      ssize_t n = ::send(c.fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) return false;
      if (n > 0) off += static_cast<size_t>(n);
    }
    return true;
  };
  for (int i = 0; i < connections; ++i) {
    Conn& c = conns[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ++r.errors;
      continue;
    }
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    c.next = static_cast<size_t>(i);
    if (!send_next(c)) ++r.errors;
  }
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<epoll_event> events(connections);
  char buf[65536];
  while (Clock::now() < end) {
    int n = epoll_wait(ep, events.data(), connections, 100);
    for (int e = 0; e < n; ++e) {
      Conn& c = conns[events[e].data.u32];
      for (;;) {
        ssize_t got = ::recv(c.fd, buf, sizeof(buf), 0);
        if (got <= 0) break;
        c.in.append(buf, static_cast<size_t>(got));
      }
      // Complete answers: header, then Content-Length bytes.
      for (;;) {
        size_t header_end = c.in.find("\r\n\r\n");
        if (header_end == std::string::npos) break;
        size_t cl = c.in.find("Content-Length: ");
        if (cl == std::string::npos || cl > header_end) cl = c.in.find("content-length: ");
        size_t length = cl == std::string::npos ? 0 : std::strtoull(c.in.c_str() + cl + 16, nullptr, 10);
        if (c.in.size() < header_end + 4 + length) break;
        std::string_view body(c.in.data() + header_end + 4, length);
        bool ok = c.in.compare(0, 12, "HTTP/1.1 200") == 0 &&
                  body.find("\"errorsWhileComputingFlags\":false") != std::string_view::npos;
        r.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - c.sent).count());
        ++(ok ? r.requests : r.errors);
        r.bytes += length;
        c.in.erase(0, header_end + 4 + length);
        if (!send_next(c)) ++r.errors;
      }
    }
  }
  for (Conn& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(ep);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: flags_bench PATH/TO/hedgerow [--connections N] [--seconds S] [--flags N] [--persons N]\n");
    return 2;
  }
  Args args;
  args.binary = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--connections") args.connections = std::atoi(argv[i + 1]);
    else if (k == "--seconds") args.seconds = std::atof(argv[i + 1]);
    else if (k == "--flags") args.flags = std::atoi(argv[i + 1]);
    else if (k == "--persons") args.persons = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  hedgerow::testing::TempDir dir;
  ChildProcess server({args.binary, "serve", "--data-dir", dir.File("data"), "--listen", "127.0.0.1:0", "--clickhouse-listen",
                       "127.0.0.1:0", "--project-token", kToken, "--personal-api-key", kKey, "--log-level", "info"});
  auto ports = hedgerow::testing::WaitForServerPorts(server, std::chrono::seconds(30));
  if (!ports) {
    std::fprintf(stderr, "server did not start:\n%s\n", server.stderr_text().c_str());
    return 1;
  }
  const uint16_t port = ports->api;
  const uint16_t clickhouse_port = ports->clickhouse;
  const std::vector<std::pair<std::string, std::string>> auth{{"Authorization", std::string("Bearer ") + kKey}};

  // Persons with properties, and their company group, through capture and ingestion.
  for (int start = 0; start < args.persons; start += 100) {
    std::string batch = fmt::format(R"({{"api_key":"{}","batch":[)", kToken);
    for (int i = start; i < std::min(args.persons, start + 100); ++i) {
      batch += fmt::format(R"({}{{"event":"$identify","distinct_id":"user_{}","properties":{{"$set":{{"email":"user_{}@{}","plan":"{}",)"
                           R"("age":{},"signed_up":"2026-11-{:02}T10:00:00Z"}},"$groups":{{"company":"c{}"}}}}}})",
                           i > start ? "," : "", i, i, i % 4 ? "example.com" : "corp.com",
                           i % 3 ? "pro" : "free", 15 + i % 40, 1 + i % 28, i % 50);
    }
    batch += "]}";
    auto r = HttpRequest(port, "POST", "/batch/", batch);
    if (!r || r->status != 200) {
      std::fprintf(stderr, "capture failed\n");
      return 1;
    }
  }
  auto cohort = HttpRequest(port, "POST", "/api/projects/1/cohorts/",
                            R"({"name":"corp","filters":{"properties":{"type":"OR","values":[{"type":"AND","values":[)"
                            R"({"key":"email","type":"person","operator":"icontains","value":"@corp.com"}]}]}}})",
                            auth);
  std::smatch id;
  if (!cohort || cohort->status != 201 || !std::regex_search(cohort->body, id, std::regex("\"id\":(\\d+)"))) {
    std::fprintf(stderr, "cohort creation failed\n");
    return 1;
  }
  for (int i = 0; i < args.flags; ++i) {
    auto r = HttpRequest(port, "POST", "/api/projects/1/feature_flags/", FlagJson(i, std::stoi(id[1])), auth);
    if (!r || r->status != 201) {
      std::fprintf(stderr, "flag %d: %s\n", i, r ? r->body.c_str() : "no answer");
      return 1;
    }
  }
  // Persons are in the persons store once their rows are queryable.
  const std::string want = std::to_string(args.persons) + "\n";
  auto deadline = Clock::now() + std::chrono::seconds(60);
  for (;;) {
    auto r = HttpRequest(clickhouse_port, "POST", "/?user=default&password=" + std::string(kKey),
                         "SELECT count() FROM person FINAL");
    if (r && r->body == want) break;
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "persons did not arrive: %s\n", r ? r->body.c_str() : "no answer");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::vector<std::string> bodies;
  for (int i = 0; i < args.persons; ++i) {
    bodies.push_back(fmt::format(R"({{"token":"{}","distinct_id":"user_{}","groups":{{"company":"c{}"}},)"
                                 R"("person_properties":{{"$current_url":"https://example.com/p/{}"}},"timezone":"Europe/London"}})",
                                 kToken, i, i % 50, i));
  }
  std::vector<std::string> requests;
  for (const std::string& body : bodies) {
    requests.push_back(fmt::format("POST /flags/?v=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                   "Content-Length: {}\r\n\r\n{}",
                                   body.size(), body));
  }
  double server_cpu0 = ProcessCpuSeconds(server.pid()), gen_cpu0 = SelfCpuSeconds();
  auto start = Clock::now();
  Result total = RunLoad(port, args.connections, requests, args.seconds);
  total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  total.server_cpu = ProcessCpuSeconds(server.pid()) - server_cpu0;
  total.generator_cpu = SelfCpuSeconds() - gen_cpu0;
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  const double k = total.requests / 1000.0;
  std::printf("flags=%d persons=%d connections=%d requests/s=%.0f p50_ms=%.2f p99_ms=%.2f avg_response_bytes=%.0f "
              "cpu_ms_per_1k_requests server=%.1f generator=%.1f errors=%llu\n",
              args.flags, args.persons, args.connections, total.requests / total.seconds, Pct(total.latencies_ms, 0.5),
              Pct(total.latencies_ms, 0.99), total.requests ? static_cast<double>(total.bytes) / total.requests : 0,
              1000 * total.server_cpu / k, 1000 * total.generator_cpu / k, static_cast<unsigned long long>(total.errors));
  server.Signal(SIGTERM);
  server.Wait(std::chrono::seconds(30));
  return total.errors == 0 ? 0 : 1;
}
