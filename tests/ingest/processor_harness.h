#pragma once

// The table-style harness of the ingest processor tests: capture messages in, every row
// the processor emits out (parsed), against a real persons.sqlite.

#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hedgerow/common/uuid.h"
#include "hedgerow/ingest/apps.h"
#include "hedgerow/ingest/event_processor.h"
#include "support/temp_dir.h"

namespace hedgerow::ingest::testing {

using hedgerow::testing::TempDir;

inline const char* kNow = "2024-01-01T12:00:00.000000Z";

struct Msg {
  std::string data;         // the event object
  std::string distinct_id;
  std::string now = kNow;
  std::string sent_at;
  std::string ip = "1.2.3.4";
  std::string token = "phc_test";
};

inline std::string Message(const Msg& m, const std::string& uuid) {
  rapidjson::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  auto s = [&](const std::string& v) { return rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a); };
  d.AddMember("uuid", s(uuid), a);
  d.AddMember("distinct_id", s(m.distinct_id), a);
  d.AddMember("ip", m.ip.empty() ? rapidjson::Value() : s(m.ip), a);
  d.AddMember("site_url", s("http://localhost"), a);
  d.AddMember("now", s(m.now), a);
  d.AddMember("sent_at", s(m.sent_at), a);
  d.AddMember("token", s(m.token), a);
  d.AddMember("data", s(m.data), a);
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  d.Accept(w);
  return b.GetString();
}

struct Row {
  std::string topic;
  rapidjson::Document json;
  std::string Str(const char* k) const { return json[k].GetString(); }
  int64_t Int(const char* k) const { return json[k].GetInt64(); }
  // A JSON-string column parsed.
  rapidjson::Document Json(const char* k) const {
    rapidjson::Document d;
    d.Parse(json[k].GetString(), json[k].GetStringLength());
    return d;
  }
};

struct Harness {
  Harness() {
    auto s = persons::PersonStore::Open(dir.File("persons.sqlite"));
    REQUIRE(s.ok());
    store = std::move(s).value();
  }
  // Processes the messages in order, one transaction each; returns every row emitted.
  std::vector<Row> Run(const std::vector<Msg>& msgs) {
    std::vector<Row> rows;
    for (const Msg& m : msgs) {
      std::vector<OutputRow> out;
      auto txn = store->Begin();
      REQUIRE(txn.ok());
      REQUIRE(processor.Process(Message(m, Uuid::V7().ToString()), **txn, out).ok());
      REQUIRE((*txn)->Commit().ok());
      for (auto& r : out) {
        Row row{std::string(r.topic), {}};
        row.json.Parse(r.value.data(), r.value.size());
        REQUIRE_FALSE(row.json.HasParseError());
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }
  std::optional<persons::Person> Person(const std::string& distinct_id) {
    auto txn = store->Begin();
    return *(*txn)->FindByDistinctId(1, distinct_id);
  }

  TempDir dir;
  std::unique_ptr<persons::PersonStore> store;
  bool anonymize = false;
  std::shared_ptr<AppChain> apps;
  AppResources resources;  // what AddApp gives the apps it makes
  EventProcessor processor{[this](std::string_view token) -> std::optional<Team> {
    if (token == "phc_test") return Team{1, anonymize, apps};
    return std::nullopt;
  }};
  void AddApp(const std::string& kind, const std::string& config) {
    if (!apps) apps = std::make_shared<AppChain>();
    auto app = MakeApp(kind, config, resources);
    REQUIRE(app.ok());
    apps->apps.push_back(std::move(app).value());
  }
};

inline std::vector<const Row*> Of(const std::vector<Row>& rows, const std::string& topic) {
  std::vector<const Row*> out;
  for (const Row& r : rows) {
    if (r.topic == topic) out.push_back(&r);
  }
  return out;
}

inline std::string Uuid5(const std::string& name) {
  return Uuid::V5(*Uuid::Parse("932979b4-65c3-4424-8467-0b66ec27bc22"), name).ToString();
}


}  // namespace hedgerow::ingest::testing
