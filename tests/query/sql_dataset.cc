#include "sql_dataset.h"

#include <fmt/format.h>

#include <fstream>
#include <random>

#include "hedgerow/common/uuid.h"
#include "hedgerow/store/json_rows.h"
#include "hedgerow/store/store.h"

namespace hedgerow::query::testing {
namespace {

constexpr int64_t kStart = 1795392000;  // 2026-11-23 00:00:00 UTC, a Monday
constexpr int64_t kDays = 14;

// A JSON string literal of `s` (quotes, backslashes and control characters escaped;
// UTF-8 passes through).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Time(int64_t seconds) {
  int64_t days = seconds / 86400, rem = seconds % 86400;
  days += 719468;  // civil_from_days (Howard Hinnant), days after 1970 only
  int64_t era = days / 146097, doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}", y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
}

Uuid PersonId(int64_t team, int person) {
  // Team 2's first persons share team 1's ids: a join on person_id that ignores team_id leaks.
  return Uuid::V5(Uuid{}, fmt::format("person-{}", team == 2 && person >= 5 ? person + 1000 : person));
}

// The distinct ids of team 1: 170 users, 20 anonymous ids later merged into a user, and
// 10 whose text exercises escaping and unicode. Distinct id i starts as person i.
std::vector<std::string> DistinctIds() {
  std::vector<std::string> ids;
  for (int i = 0; i < 170; ++i) ids.push_back(fmt::format("user-{:03d}", i));
  for (int i = 0; i < 20; ++i) ids.push_back(fmt::format("anon-{:08x}", 0x5eed0000u + static_cast<unsigned>(i) * 7919));
  for (const char* odd : {"ünïcødé-1", "用户-2", "quote\"d", "back\\slash", "tab\tid", "space id", "emoji-😀",
                          "O'Brien", "percent%_like", "UPPER-Case"}) {
    ids.push_back(odd);
  }
  return ids;
}

const char* kBrowsers[] = {"Chrome", "Chrome", "Firefox", "Safari", "Microsoft Edge", "Chrome Mobile"};
const char* kOs[] = {"Windows", "Mac OS X", "Mac OS X", "iOS", "Android", "Linux"};
const char* kPaths[] = {"/", "/pricing", "/docs", "/docs/getting-started", "/blog", "/blog/launch-week",
                        "/signup", "/login", "/app/dashboard", "/app/insights"};
const char* kTexts[] = {"Sign up ✓", "Say \"hi\"", "tab\there", "line\nbreak", "back\\slash", "Ünïcødé", "plain"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  // A UUIDv7 of `unix_millis` whose random bits come from the seed (Uuid::V7At's do not).
  std::string UuidV7(int64_t unix_millis) {
    uint64_t r = rng_();
    return fmt::format("{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}", static_cast<uint64_t>(unix_millis) >> 16,
                       static_cast<uint64_t>(unix_millis) & 0xffff, r & 0xfff, 0x8000 | ((r >> 12) & 0x3fff),
                       (r >> 26) & 0xffffffffffffULL);
  }

 private:
  std::mt19937_64 rng_;
};

std::string EventProperties(Generator& g, const std::string& event, size_t user, const std::string& distinct_id) {
  std::vector<std::string> fields;
  auto add = [&](std::string_view key, const std::string& json_value) { fields.push_back(Quote(key) + ":" + json_value); };
  bool server_side = event == "signed_up" || event == "purchase";
  std::string path = kPaths[g.Below(std::size(kPaths))];
  if (!server_side || g.Chance(20)) {
    add("$browser", Quote(kBrowsers[user % std::size(kBrowsers)]));
    add("$os", Quote(kOs[(user / 2) % std::size(kOs)]));
    // Numbers as strings for a third of the users: JSONExtractInt reads both.
    if (user % 3 == 0) add("$browser_version", Quote(fmt::format("{}.{}", 100 + user % 20, user % 4)));
    else add("$browser_version", fmt::format("{}", 100 + user % 20));
    add("$screen_width", fmt::format("{}", 1280 + (user % 4) * 160));
  }
  if (event == "$pageview" || event == "$pageleave" || event == "$autocapture") {
    std::string query = g.Chance(25) ? fmt::format("?utm_source={}&ref={}", g.Chance(50) ? "google" : "news", user % 5) : "";
    add("$pathname", Quote(path));
    add("$current_url", Quote("https://example.com" + path + query + (g.Chance(10) ? "#top" : "")));
    add("$host", Quote("example.com"));
  }
  if (event == "$autocapture") {
    add("$event_type", Quote(g.Chance(80) ? "click" : "submit"));
    add("$el_text", Quote(kTexts[g.Below(std::size(kTexts))]));
  }
  if (event == "purchase") {
    int quantity = 1 + static_cast<int>(g.Below(4));
    double price = static_cast<double>(5 + g.Below(40)) + (g.Chance(50) ? 0.5 : 0.0);
    add("price", fmt::format("{}", price));
    add("quantity", Quote(fmt::format("{}", quantity)));  // a number as a string
    add("currency", Quote(g.Chance(70) ? "EUR" : "USD"));
    add("cart", fmt::format(R"({{"items":[{{"sku":"A{}","qty":{}}},{{"sku":"B{}","qty":1}}],"total":{},"coupon":{}}})",
                            user % 7, quantity, user % 3, price * quantity + price,
                            g.Chance(30) ? Quote("WINTER") : "null"));
  }
  if (event == "signed_up") {
    add("plan", Quote(user % 4 == 0 ? "pro" : "free"));
    add("referrer", fmt::format(R"({{"source":{},"campaign":{{"name":"winter \"sale\"","id":{}}}}})",
                                Quote(user % 2 ? "google" : "twitter"), 40 + user % 3));
  }
  if (event == "$identify") {
    add("$set", fmt::format(R"({{"email":{},"name":{}}})", Quote(fmt::format("user{}@example.com", user)),
                            Quote(fmt::format("User {}", user))));
  }
  if (g.Chance(10)) add("utm_source", "null");  // a JSON null: present, but no string
  if (g.Chance(5)) add("is_test", g.Chance(50) ? "true" : "false");
  if (g.Chance(5)) add("count", fmt::format("{}", -static_cast<int>(g.Below(10))));
  if (g.Chance(3)) add("empty", "\"\"");
  add("$lib", Quote(server_side ? "posthog-node" : "web"));
  add("distinct_id", Quote(distinct_id));
  std::string out = "{";
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out + "}";
}

// Properties no SDK sends but queries meet: empty, duplicate keys, malformed, deep,
// arrays, numbers as strings, escapes, whitespace around the colon.
const char* kEdgeProperties[] = {
    R"({})",
    R"({"$browser":"Chrome","$browser":"Firefox"})",
    R"(not json)",
    R"({"nested":{"deep":{"deeper":{"value":"x"}}}})",
    R"({"arr":[1,2,3],"str_arr":["a","b"],"empty_arr":[]})",
    R"({"num_str":"42","float_str":"3.14","neg":"-7","bool_str":"true","big":18446744073709551615})",
    R"({"unicode":"日本語","emoji":"😀","escaped":"\u00e9\u00e8","quote":"a\"b","slash":"a\/b"})",
    R"({"spaces" : "around colon" , "x" : 1})",
    R"({"float":1.5e3,"neg_float":-0.25,"int":-42,"zero":0,"true":true,"false":false,"null":null})",
    R"({"$browser":null,"$os":"","$pathname":"/edge"})",
};

std::string EventRow(int64_t team, const std::string& uuid, const std::string& event, const std::string& properties,
                     int64_t ts, const std::string& distinct_id, const std::string& elements_chain,
                     const Uuid& person_id, const std::string& person_properties, const std::string& group0,
                     int64_t version, uint64_t offset) {
  return fmt::format(
      R"({{"uuid":"{}","event":{},"properties":{},"timestamp":"{}","team_id":{},"distinct_id":{},)"
      R"("elements_chain":{},"created_at":"{}","person_id":"{}","person_properties":{},)"
      R"("person_created_at":"{}","person_mode":"full","$group_0":{},"$group_1":"","$group_2":"",)"
      R"("$group_3":"","$group_4":"","_timestamp":"{}","_offset":{}}})",
      uuid, Quote(event), Quote(properties), Time(ts), team, Quote(distinct_id), Quote(elements_chain),
      Time(ts + 2), person_id.ToString(), Quote(person_properties), Time(kStart - 86400 * 30), Quote(group0),
      Time(version), offset);
}

std::vector<SqlDatasetInsert> Build() {
  Generator g(20261123);
  std::vector<std::string> ids = DistinctIds();
  // Three inserts per table, as three consumer batches would be.
  std::vector<SqlDatasetInsert> events(3, {"events", {}});
  uint64_t offset = 0;
  static const char* kEvents[] = {"$pageview", "$pageview", "$pageview", "$pageview", "$autocapture",
                                  "$autocapture", "$pageleave", "$identify", "signed_up", "purchase",
                                  "$feature_flag_called", "événement spécial"};
  for (int i = 0; i < 3000; ++i) {
    // A quarter of the events come from the ten heaviest users.
    size_t user = g.Chance(25) ? g.Below(10) : g.Below(ids.size());
    const std::string& distinct_id = ids[user];
    int64_t ts = kStart + static_cast<int64_t>(g.Below(kDays * 86400));
    std::string uuid = g.UuidV7(ts * 1000 + static_cast<int64_t>(g.Below(1000)));
    std::string event = kEvents[g.Below(std::size(kEvents))];
    std::string properties = EventProperties(g, event, user, distinct_id);
    std::string chain = event == "$autocapture" ? R"(button.btn.btn-primary:nth-child="2"text="Sign up";div.hero;body)" : "";
    std::string person_properties =
        user % 11 == 0 ? "{}"
                       : fmt::format(R"({{"email":"user{}@example.com","plan":"{}","$initial_os":"{}"}})", user,
                                     user % 4 == 0 ? "pro" : "free", kOs[(user / 2) % std::size(kOs)]);
    std::string group0 = user % 5 == 0 ? fmt::format("org-{}", user % 10) : "";
    size_t batch = static_cast<size_t>(i) * 3 / 3000;
    events[batch].rows.push_back({1, EventRow(1, uuid, event, properties, ts, distinct_id, chain,
                                              PersonId(1, static_cast<int>(user)), person_properties, group0, ts + 1,
                                              offset++)});
    // 2% arrive again in the last batch with a later version and a changed property: FINAL
    // keeps this copy.
    if (batch < 2 && g.Chance(2)) {
      std::string again = properties;
      again.insert(again.size() - 1, R"(,"retried":true)");
      events[2].rows.push_back({1, EventRow(1, uuid, event, again, ts, distinct_id, chain, PersonId(1, static_cast<int>(user)),
                                            person_properties, group0, ts + 3600, offset++)});
    }
  }
  for (size_t i = 0; i < std::size(kEdgeProperties); ++i) {
    int64_t ts = kStart + 86400 * 3 + static_cast<int64_t>(i) * 61;
    events[1].rows.push_back({1, EventRow(1, g.UuidV7(ts * 1000), "edge_case", kEdgeProperties[i], ts,
                                          ids[i], "", PersonId(1, static_cast<int>(i)), "{}", "", ts + 1, offset++)});
  }
  // Team 2: the same distinct ids and event names as team 1, and a secret of its own.
  for (int i = 0; i < 80; ++i) {
    int64_t ts = kStart + static_cast<int64_t>(g.Below(kDays * 86400));
    std::string distinct_id = i % 2 ? ids[i % 20] : fmt::format("secret-{}", i);
    std::string event = i % 3 ? "$pageview" : "team2_secret";
    std::string props = fmt::format(R"({{"secret":"team2-secret","$browser":"Team2Browser","$pathname":"/team2/{}"}})", i);
    events[i % 3].rows.push_back({2, EventRow(2, g.UuidV7(ts * 1000 + i), event, props, ts, distinct_id,
                                              "", PersonId(2, i % 20), R"({"email":"secret@team2.example"})",
                                              "org-0", ts + 1, offset++)});
  }

  // Persons: one per distinct id (anonymous ones too), 1-4 versions each with changing
  // properties, versions spread over three inserts out of order; every 13th deleted last.
  std::vector<SqlDatasetInsert> person(3, {"person", {}});
  auto person_row = [](int64_t team, int p, uint64_t version, bool deleted, const std::string& props) {
    return fmt::format(
        R"({{"id":"{}","created_at":"{}","team_id":{},"properties":{},"is_identified":{},"is_deleted":{},"version":{}}})",
        PersonId(team, p).ToString(), Time(kStart - 86400 + p * 60), team, Quote(props), p < 170 ? 1 : 0,
        deleted ? 1 : 0, version);
  };
  for (size_t p = 0; p < ids.size(); ++p) {
    int versions = 1 + static_cast<int>(g.Below(4));
    for (int v = 0; v < versions; ++v) {
      bool deleted = v == versions - 1 && p % 13 == 12;
      std::string props = fmt::format(
          R"({{"email":{},"name":{},"plan":"{}","visits":{}{}}})", Quote(fmt::format("user{}@example.com", p)),
          Quote(p < 170 ? fmt::format("User {}", p) : ids[p]), (p + v) % 3 == 0 ? "pro" : "free", v * 10,
          v == versions - 1 && p % 4 == 0 ? R"(,"company":{"name":"Acme","size":"50"})" : "");
      // The latest version goes in the first insert for every 5th person: argMax must not
      // take the last inserted row.
      size_t batch = p % 5 == 0 ? static_cast<size_t>(versions - 1 - v) % 3 : static_cast<size_t>(v) % 3;
      person[batch].rows.push_back({1, person_row(1, static_cast<int>(p), static_cast<uint64_t>(v), deleted, props)});
    }
  }
  for (int p = 0; p < 20; ++p) {
    person[p % 3].rows.push_back({2, person_row(2, p, 1, false, R"({"email":"secret@team2.example","name":"Team 2"})")});
  }

  // Distinct ids: version 0 points at its own person; anonymous ids are merged into a user
  // at version 1; every 17th user id is deleted at version 2.
  std::vector<SqlDatasetInsert> pdi(2, {"person_distinct_id2", {}});
  auto pdi_row = [](int64_t team, const std::string& distinct_id, const Uuid& person_id, bool deleted, int64_t version) {
    return fmt::format(R"({{"team_id":{},"distinct_id":{},"person_id":"{}","is_deleted":{},"version":{}}})", team,
                       Quote(distinct_id), person_id.ToString(), deleted ? 1 : 0, version);
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    pdi[0].rows.push_back({1, pdi_row(1, ids[i], PersonId(1, static_cast<int>(i)), false, 0)});
    if (i >= 170 && i < 190) pdi[1].rows.push_back({1, pdi_row(1, ids[i], PersonId(1, static_cast<int>(i - 170)), false, 1)});
    if (i < 170 && i % 17 == 16) pdi[1].rows.push_back({1, pdi_row(1, ids[i], PersonId(1, static_cast<int>(i)), true, 2)});
  }
  for (int i = 0; i < 20; ++i) pdi[i % 2].rows.push_back({2, pdi_row(2, ids[i], PersonId(2, i), false, 0)});

  // Groups: organizations (type 0) and projects (type 1), 1-3 versions each.
  std::vector<SqlDatasetInsert> groups(2, {"groups", {}});
  auto group_row = [](int64_t team, int type, const std::string& key, int64_t version, const std::string& props) {
    return fmt::format(
        R"({{"group_type_index":{},"group_key":{},"created_at":"{}","team_id":{},"group_properties":{},"version":{}}})",
        type, Quote(key), Time(kStart - 86400 * 7), team, Quote(props), version);
  };
  for (int type = 0; type < 2; ++type) {
    for (int k = 0; k < (type == 0 ? 10 : 5); ++k) {
      std::string key = fmt::format("{}-{}", type == 0 ? "org" : "proj", k);
      int versions = 1 + k % 3;
      for (int v = 1; v <= versions; ++v) {
        std::string props = fmt::format(R"({{"name":{},"employees":{},"industry":"{}"}})",
                                        Quote(fmt::format("{} {} v{}", type == 0 ? "Org" : "Project", k, v)),
                                        (k + 1) * 10 * v, k % 2 ? "tech" : "retail");
        groups[static_cast<size_t>(versions - v) % 2].rows.push_back({1, group_row(1, type, key, v, props)});
      }
    }
  }
  groups[0].rows.push_back({2, group_row(2, 0, "org-0", 9, R"({"name":"Team 2 secret org"})")});

  SqlDatasetInsert warnings{"ingestion_warnings", {}};
  for (int i = 0; i < 6; ++i) {
    int64_t team = i < 4 ? 1 : 2;
    warnings.rows.push_back({team, fmt::format(R"({{"team_id":{},"source":"plugin-server","type":"{}","details":{},"timestamp":"{}"}})",
                                               team, i % 2 ? "cannot_merge_already_identified" : "event_timestamp_in_future",
                                               Quote(fmt::format(R"({{"eventUuid":"w{}","team":{}}})", i, team)),
                                               Time(kStart + 86400 * i))});
  }

  std::vector<SqlDatasetInsert> all;
  for (auto* list : {&events, &person, &pdi, &groups}) {
    for (auto& insert : *list) all.push_back(std::move(insert));
  }
  all.push_back(std::move(warnings));
  return all;
}

}  // namespace

const std::vector<SqlDatasetInsert>& SqlDataset() {
  static const std::vector<SqlDatasetInsert> dataset = Build();
  return dataset;
}

Status LoadSqlDataset(store::Store& store) {
  uint64_t offset = 0;
  for (const SqlDatasetInsert& insert : SqlDataset()) {
    store::Table* table = store.table(insert.table);
    if (table == nullptr) return Status::Internal("sql dataset: no table " + insert.table);
    store::JsonRowDecoder decoder(table->schema());
    for (const SqlDatasetRow& row : insert.rows) {
      std::string json = row.json;
      Status s = decoder.Add(json, 1795392000000, offset++);
      if (!s.ok()) return Status::Internal("sql dataset: " + insert.table + ": " + s.message() + ": " + row.json);
    }
    Status s = table->Insert(decoder.Take(), {});
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status WriteSqlDataset(const std::string& dir) {
  const auto& dataset = SqlDataset();
  for (size_t i = 0; i < dataset.size(); ++i) {
    std::string path = fmt::format("{}/{:02d}_{}.jsonl", dir, i, dataset[i].table);
    std::ofstream out(path, std::ios::binary);
    for (const SqlDatasetRow& row : dataset[i].rows) {
      if (row.team_id == 1) out << row.json << '\n';
    }
    if (!out) return Status::IOError("sql dataset: cannot write " + path);
  }
  return Status::Ok();
}

}  // namespace hedgerow::query::testing
