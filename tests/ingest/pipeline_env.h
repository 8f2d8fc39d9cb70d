#pragma once

// A log with the pipeline's topics and a persons store in a temporary directory, for
// pipeline tests to write input into and read rows out of.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "hedgerow/common/metrics.h"
#include "hedgerow/common/uuid.h"
#include "hedgerow/ingest/pipeline.h"
#include "support/temp_dir.h"

namespace hedgerow::testing {

using namespace hedgerow::ingest;

struct PipelineEnv {
  explicit PipelineEnv(uint32_t input_partitions = 1, persons::PersonStoreOptions persons_options = {})
      : input_partitions(input_partitions) {
    auto s = persons::PersonStore::Open(dir.File("persons.sqlite"), std::move(persons_options));
    REQUIRE(s.ok());
    persons = std::move(s).value();
    OpenLog();
  }
  void OpenLog() {
    log.reset();
    auto l = log::Log::Open({.dir = dir.File("log")}, &metrics);
    REQUIRE(l.ok());
    log = std::move(l).value();
    for (std::string t : {"events_plugin_ingestion", "events_plugin_ingestion_overflow", "clickhouse_events_json", "clickhouse_person",
                          "clickhouse_person_distinct_id", "clickhouse_groups", "clickhouse_ingestion_warnings",
                          "dead_letter_queue"}) {
      uint32_t partitions = t == "events_plugin_ingestion" ? input_partitions : 1;
      REQUIRE(log->CreateTopic({.name = t, .partitions = partitions}).ok());
    }
  }
  std::unique_ptr<Pipeline> MakePipeline(PipelineOptions options = {}) {
    return std::make_unique<Pipeline>(options, log.get(), persons.get(),
                                      EventProcessor([](std::string_view token) -> std::optional<Team> {
                                        if (token == "phc_test") return Team{1, false};
                                        return std::nullopt;
                                      }),
                                      &metrics);
  }
  void Capture(const std::string& event, const std::string& distinct_id, const std::string& props = "{}",
               int32_t partition = -1) {
    std::string data = R"({\"event\":\")" + event + R"(\",\"properties\":)" + props + "}";
    std::string msg = R"({"uuid":")" + Uuid::V7().ToString() + R"(","distinct_id":")" + distinct_id +
                      R"(","ip":null,"site_url":"","now":"2024-01-01T00:00:00Z","sent_at":"","token":"phc_test","data":")" +
                      data + R"("})";
    log::OutgoingRecord r;
    r.topic = "events_plugin_ingestion";
    r.partition = partition;
    r.record.key = "phc_test:" + distinct_id;
    r.record.value = msg;
    REQUIRE(log->AppendAndWait({r}).ok());
  }
  // Writes `value` as it is into the input topic, as any producer could.
  void AppendRaw(std::string value, const std::string& key = "phc_test:u") {
    log::OutgoingRecord r;
    r.topic = "events_plugin_ingestion";
    r.record.key = key;
    r.record.value = std::move(value);
    REQUIRE(log->AppendAndWait({r}).ok());
  }
  // The values of every record of partition 0 of `topic`.
  std::vector<std::string> Values(const std::string& topic) {
    auto f = log->Fetch(topic, 0, 0, 1000000, 1 << 30);
    REQUIRE(f.ok());
    std::vector<std::string> out;
    for (auto& r : f->records) out.push_back(std::move(r.record.value));
    return out;
  }
  size_t Count(const std::string& topic) {
    auto f = log->Fetch(topic, 0, 0, 1000000, 1 << 30);
    REQUIRE(f.ok());
    return f->records.size();
  }

  const uint32_t input_partitions;
  TempDir dir;
  MetricsRegistry metrics;
  std::unique_ptr<persons::PersonStore> persons;
  std::unique_ptr<log::Log> log;
};

}  // namespace hedgerow::testing
