#include "hedgerow/common/metrics.h"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace hedgerow;

TEST_CASE("counters, gauges and histograms render as Prometheus text", "[common]") {
  MetricsRegistry reg;
  reg.GetCounter("hedgerow_events_total", "Events accepted", {{"endpoint", "/batch"}}).Inc(3);
  reg.GetCounter("hedgerow_events_total", "Events accepted", {{"endpoint", "/e"}}).Inc();
  reg.GetGauge("hedgerow_parts", "Active parts").Set(12);
  Histogram& h = reg.GetHistogram("hedgerow_latency_seconds", "Latency", {}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string text = reg.RenderPrometheus();
  CHECK(text.find("# TYPE hedgerow_events_total counter\n") != std::string::npos);
  CHECK(text.find("hedgerow_events_total{endpoint=\"/batch\"} 3\n") != std::string::npos);
  CHECK(text.find("hedgerow_events_total{endpoint=\"/e\"} 1\n") != std::string::npos);
  CHECK(text.find("hedgerow_parts 12\n") != std::string::npos);
  CHECK(text.find("hedgerow_latency_seconds_bucket{le=\"0.1\"} 1\n") != std::string::npos);
  CHECK(text.find("hedgerow_latency_seconds_bucket{le=\"1\"} 2\n") != std::string::npos);
  CHECK(text.find("hedgerow_latency_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("hedgerow_latency_seconds_count 3\n") != std::string::npos);
  CHECK(text.find("hedgerow_latency_seconds_sum 5.55\n") != std::string::npos);
}

TEST_CASE("label values are escaped", "[common]") {
  MetricsRegistry reg;
  reg.GetCounter("c", "help", {{"path", "a\"b\\c\nd"}}).Inc();
  CHECK(reg.RenderPrometheus().find("c{path=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
}

TEST_CASE("the same series is one counter across threads", "[common]") {
  MetricsRegistry reg;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) reg.GetCounter("n", "n", {{"k", "v"}}).Inc();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(reg.GetCounter("n", "n", {{"k", "v"}}).value() == 40000);
}
