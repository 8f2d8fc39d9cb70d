#include "hedgerow/ingest/pipeline.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "hedgerow/common/uuid.h"
#include "ingest/pipeline_env.h"

using namespace hedgerow;
using namespace hedgerow::ingest;
using hedgerow::testing::PipelineEnv;


TEST_CASE("the pipeline turns input messages into rows and commits its offset with them", "[ingest]") {
  PipelineEnv env;
  env.Capture("a", "u1", R"({\"$set\":{\"x\":1}})");
  env.Capture("b", "u2");
  env.Capture("c", "u1", R"({\"$set\":{\"x\":2}})");
  auto pipeline = env.MakePipeline();
  auto n = pipeline->RunOnce(0, std::chrono::milliseconds(0));
  REQUIRE(n.ok());
  CHECK(*n == 3);
  CHECK(env.Count("clickhouse_events_json") == 3);
  CHECK(env.Count("clickhouse_person") == 3);  // u1 created, u2 created, u1 updated
  CHECK(env.Count("clickhouse_person_distinct_id") == 2);
  CHECK(env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value() == 3);
  CHECK(*pipeline->RunOnce(0, std::chrono::milliseconds(0)) == 0);
}

TEST_CASE("rows of a batch whose log append failed are re-sent, updates not re-applied", "[ingest]") {
  PipelineEnv env;
  env.Capture("a", "u1", R"({\"$set\":{\"x\":1}})");
  env.Capture("b", "u1", R"({\"$set\":{\"x\":2}})");
  {
    auto pipeline = env.MakePipeline();
    // The persons transaction commits, then the log refuses the rows: a crash between the two.
    env.log->Close();
    CHECK_FALSE(pipeline->RunOnce(0, std::chrono::milliseconds(0)).ok());
  }
  env.OpenLog();
  CHECK(env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value_or(0) == 0);
  auto pipeline = env.MakePipeline();
  auto resent = pipeline->RunOnce(0, std::chrono::milliseconds(0));
  REQUIRE(resent.ok());
  CHECK(*resent == 2);
  CHECK(env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value() == 2);
  CHECK(env.Count("clickhouse_events_json") == 2);
  auto txn = env.persons->Begin();
  auto person = (*txn)->FindByDistinctId(1, "u1");
  REQUIRE(person->has_value());
  CHECK((*person)->version == 1);  // created at 0, one update: not applied twice
  CHECK((*person)->properties == R"({"x":2})");
}

TEST_CASE("started workers drain the input topic; Stop persists what they applied", "[ingest]") {
  PipelineEnv env;
  for (int i = 0; i < 50; ++i) env.Capture("e", fmt::format("u{}", i % 7));
  auto pipeline = env.MakePipeline();
  REQUIRE(pipeline->Start().ok());
  // Await the condition: the committed offset reaches the end of the input.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value_or(0) < 50 &&
         std::chrono::steady_clock::now() < deadline) {
    (void)env.log->Fetch("clickhouse_events_json", 0, 50, 1, 1, std::chrono::milliseconds(20));
  }
  pipeline->Stop();
  CHECK(env.Count("clickhouse_events_json") == 50);
  CHECK(env.Count("clickhouse_person") == 7);
  env.persons.reset();  // without a Persist() of its own
  auto reopened = persons::PersonStore::Open(env.dir.File("persons.sqlite"));
  REQUIRE(reopened.ok());
  CHECK((*reopened)->AppliedOffset("events_plugin_ingestion", 0) == 50);
  auto txn = (*reopened)->Begin();
  for (int i = 0; i < 7; ++i) CHECK((*txn)->FindByDistinctId(1, fmt::format("u{}", i))->has_value());
}

TEST_CASE("a worker held up holds up only the partition it has: the other worker takes the rest", "[ingest]") {
  // The first persist (each Begin() finds one due) holds its worker until released.
  std::mutex mu;
  std::condition_variable cv;
  bool first = true, held = false, released = false;
  persons::PersonStoreOptions options;
  options.persist_interval = std::chrono::milliseconds(0);
  options.on_persist_started = [&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!std::exchange(first, false)) return;
    held = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  };
  PipelineEnv env(4, options);
  for (int i = 0; i < 40; ++i) env.Capture("e", fmt::format("u{}", i), "{}", i % 4);
  auto pipeline = env.MakePipeline();
  REQUIRE(pipeline->Start().ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return held; }));
  }
  auto drained = [&] {
    int n = 0;
    for (uint32_t p = 0; p < 4; ++p) n += env.log->Committed("ingestion", "events_plugin_ingestion", p)->value_or(0) == 10;
    return n;
  };
  // Await the condition: every partition but the held worker's is committed to its end.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (drained() < 3 && std::chrono::steady_clock::now() < deadline) {
    (void)env.log->Fetch("clickhouse_events_json", 0, 40, 1, 1, std::chrono::milliseconds(20));
  }
  CHECK(drained() == 3);
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (drained() < 4 && std::chrono::steady_clock::now() < deadline) {
    (void)env.log->Fetch("clickhouse_events_json", 0, 40, 1, 1, std::chrono::milliseconds(20));
  }
  pipeline->Stop();
  CHECK(drained() == 4);
  CHECK(env.Count("clickhouse_events_json") == 40);
}

TEST_CASE("a hot distinct id overflows to its own topic and is processed from there", "[ingest]") {
  PipelineEnv env;
  for (int i = 0; i < 30; ++i) env.Capture("spam", "hot");
  env.Capture("normal", "cold");
  PipelineOptions main;
  main.overflow_topic = "events_plugin_ingestion_overflow";
  main.overflow_burst = 10;
  main.overflow_rate_per_second = 0.001;  // no refill during the test
  auto pipeline = env.MakePipeline(main);
  REQUIRE(*pipeline->RunOnce(0, std::chrono::milliseconds(0)) == 31);
  CHECK(env.Count("clickhouse_events_json") == 11);  // 10 hot within the burst, 1 cold
  CHECK(env.Count("events_plugin_ingestion_overflow") == 20);
  CHECK(env.metrics.RenderPrometheus().find("hedgerow_ingest_overflow_total{topic=\"events_plugin_ingestion\"} 20") !=
        std::string::npos);

  PipelineOptions overflow;
  overflow.input_topic = "events_plugin_ingestion_overflow";
  overflow.group = "ingestion_overflow";
  auto second = env.MakePipeline(overflow);
  REQUIRE(*second->RunOnce(0, std::chrono::milliseconds(0)) == 20);
  CHECK(env.Count("clickhouse_events_json") == 31);
  CHECK(env.log->Committed("ingestion_overflow", "events_plugin_ingestion_overflow", 0)->value() == 20);
}

TEST_CASE("re-applying a batch leaves the events it sent to overflow to the overflow pipeline", "[ingest]") {
  PipelineEnv env;
  for (int i = 1; i <= 15; ++i) env.Capture("spam", "hot", fmt::format(R"({{\"$set\":{{\"i\":{}}}}})", i));
  const std::string path = env.dir.File("persons.sqlite"), backup = env.dir.File("backup.sqlite");
  env.persons.reset();
  std::filesystem::copy_file(path, backup);
  env.persons = std::move(persons::PersonStore::Open(path)).value();
  PipelineOptions main;
  main.overflow_topic = "events_plugin_ingestion_overflow";
  main.overflow_burst = 10;
  main.overflow_rate_per_second = 0.001;  // no refill during the test
  REQUIRE(*env.MakePipeline(main)->RunOnce(0, std::chrono::milliseconds(0)) == 15);
  REQUIRE(env.Count("events_plugin_ingestion_overflow") == 5);
  // The persons of that batch are lost (restored from before it); a fresh pipeline has full
  // buckets, so only the overflow records can say which 5 events were not applied here.
  env.persons.reset();
  std::filesystem::copy_file(backup, path, std::filesystem::copy_options::overwrite_existing);
  env.persons = std::move(persons::PersonStore::Open(path)).value();
  REQUIRE(*env.MakePipeline(main)->RunOnce(0, std::chrono::milliseconds(0)) == 15);
  CHECK(env.Count("events_plugin_ingestion_overflow") == 5);  // not sent again
  auto version = [&] {
    auto txn = env.persons->Begin();
    auto person = (*txn)->FindByDistinctId(1, "hot");
    REQUIRE(person->has_value());
    return (*person)->version;
  };
  CHECK(version() == 9);  // created by the 1st, updated by the 2nd to 10th
  PipelineOptions overflow;
  overflow.input_topic = "events_plugin_ingestion_overflow";
  overflow.group = "ingestion_overflow";
  REQUIRE(*env.MakePipeline(overflow)->RunOnce(0, std::chrono::milliseconds(0)) == 5);
  CHECK(version() == 14);  // each of the 15 applied once
}

TEST_CASE("person writes of batches reach SQLite at persist and survive a reopen", "[ingest]") {
  PipelineEnv env;
  env.Capture("a", "u1", R"({\"$set\":{\"x\":1}})");
  env.Capture("b", "u1", R"({\"$set\":{\"x\":2}})");
  env.Capture("$identify", "u1", R"({\"$anon_distinct_id\":\"anon\"})");
  REQUIRE(*env.MakePipeline()->RunOnce(0, std::chrono::milliseconds(0)) == 3);
  REQUIRE(env.persons->Persist().ok());
  env.persons.reset();
  auto reopened = persons::PersonStore::Open(env.dir.File("persons.sqlite"));
  REQUIRE(reopened.ok());
  auto txn = (*reopened)->Begin();
  auto p = (*txn)->FindByDistinctId(1, "anon");
  REQUIRE(p->has_value());
  CHECK((*p)->properties == R"({"x":2})");
  CHECK((*p)->version == 2);
  CHECK((*p)->is_identified);
  CHECK((*txn)->DistinctIdsOf((*p)->id)->size() == 2);
}

TEST_CASE("when persons.sqlite is behind the log, batches are applied again and no row is emitted twice", "[ingest]") {
  PipelineEnv env;
  env.Capture("a", "u1", R"({\"$set\":{\"x\":1}})");
  env.Capture("b", "u1", R"({\"$set\":{\"x\":2}})");
  // A backup of persons.sqlite from before the batch (closing the store checkpoints its WAL).
  const std::string path = env.dir.File("persons.sqlite"), backup = env.dir.File("backup.sqlite");
  env.persons.reset();
  std::filesystem::copy_file(path, backup);
  env.persons = std::move(persons::PersonStore::Open(path)).value();
  REQUIRE(*env.MakePipeline()->RunOnce(0, std::chrono::milliseconds(0)) == 2);
  REQUIRE(env.persons->Persist().ok());
  CHECK(env.Count("clickhouse_person") == 2);  // created, updated
  // Restored from the backup: persons.sqlite knows nothing of the batch the log committed.
  env.persons.reset();
  std::filesystem::copy_file(backup, path, std::filesystem::copy_options::overwrite_existing);
  env.persons = std::move(persons::PersonStore::Open(path)).value();
  CHECK(env.persons->AppliedOffset("events_plugin_ingestion", 0) == 0);
  env.Capture("c", "u1", R"({\"$set\":{\"x\":3}})");
  REQUIRE(*env.MakePipeline()->RunOnce(0, std::chrono::milliseconds(0)) == 3);
  CHECK(env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value() == 3);
  CHECK(env.Count("clickhouse_events_json") == 3);  // the first two were not emitted again
  CHECK(env.Count("clickhouse_person") == 3);       // nor their person rows
  auto txn = env.persons->Begin();
  auto person = (*txn)->FindByDistinctId(1, "u1");
  REQUIRE(person->has_value());
  CHECK((*person)->version == 2);  // created, two updates: each applied once
  CHECK((*person)->properties == R"({"x":3})");
  CHECK(env.persons->AppliedOffset("events_plugin_ingestion", 0) == 3);
}

TEST_CASE("retention keeps the input the persons store has not persisted, besides the uncommitted", "[ingest]") {
  PipelineEnv env;
  for (int i = 0; i < 3; ++i) env.Capture("e", "u");
  auto pipeline = env.MakePipeline();
  auto floor = [&] { return env.log->RetentionFloor("ingestion:persons", "events_plugin_ingestion", 0); };
  REQUIRE(pipeline->Start().ok());  // sets the floor from what persons.sqlite holds: nothing yet
  REQUIRE(floor().ok());
  // Workers may step meanwhile, but nothing is persisted for 5 s: the floor stays at 0, below
  // the group's commit once the batch is through.
  CHECK(floor()->value_or(99) == 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (env.log->Committed("ingestion", "events_plugin_ingestion", 0)->value_or(0) < 3) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(floor()->value_or(99) == 0);
  pipeline->Stop();  // persists
  REQUIRE(env.persons->PersistedOffset("events_plugin_ingestion", 0) == 3);
  // The next step raises it to what is now durable in persons.sqlite.
  REQUIRE(pipeline->RunOnce(0, std::chrono::milliseconds(0)).ok());
  CHECK(floor()->value() == 3);
}
