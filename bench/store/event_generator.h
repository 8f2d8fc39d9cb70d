#pragma once

// Synthetic PostHog events as rows of clickhouse_events_json (the ingest pipeline's output):
// posthog-js-like properties (URLs, browser, OS, screen, session and window ids, a random
// $insert_id), person properties, 1% with a group, over `distinct_ids` users and 30 days.
// Deterministic for a seed, so two engines can be fed the same rows one batch at a time.

#include <fmt/format.h>

#include <cstdint>
#include <random>
#include <string>

#include "hedgerow/common/uuid.h"

namespace hedgerow::bench {

class EventGenerator {
 public:
  EventGenerator(uint64_t seed, uint32_t distinct_ids) : rng_(seed), distinct_ids_(distinct_ids) {}

  // The next row: one JSON object, timestamps as "YYYY-MM-DD HH:MM:SS" (ClickHouse 18.16's
  // DateTime reads them too).
  std::string Next() {
    static const char* kEvents[] = {"$pageview", "$pageview", "$pageview", "$autocapture", "$autocapture",
                                    "$pageleave", "$identify", "signed_up", "purchase", "$feature_flag_called",
                                    "$web_vitals", "$rageclick", "checkout_started", "$exception"};
    static const char* kPaths[] = {"/", "/pricing", "/docs", "/docs/getting-started", "/blog", "/blog/launch-week",
                                   "/signup", "/login", "/app/dashboard", "/app/insights", "/app/settings"};
    static const char* kBrowsers[] = {"Chrome", "Chrome", "Chrome", "Safari", "Firefox", "Microsoft Edge"};
    static const char* kOs[] = {"Windows", "Mac OS X", "Mac OS X", "iOS", "Android", "Linux"};
    static const char* kDevices[] = {"Desktop", "Desktop", "Mobile", "Tablet"};
    static const char* kReferrers[] = {"$direct", "https://www.google.com/", "https://news.ycombinator.com/",
                                       "https://twitter.com/", "https://github.com/"};
    uint32_t user = static_cast<uint32_t>(rng_() % distinct_ids_);
    std::string distinct_id = fmt::format("user-{:06d}", user);
    int64_t ts = kStart + static_cast<int64_t>(rng_() % (30 * 86400));
    std::string uuid = Uuid::V7At(ts * 1000 + static_cast<int64_t>(rng_() % 1000)).ToString();
    const char* event = kEvents[rng_() % std::size(kEvents)];
    const char* path = kPaths[rng_() % std::size(kPaths)];
    const char* browser = kBrowsers[user % std::size(kBrowsers)];
    const char* os = kOs[user % std::size(kOs)];
    const char* device = kDevices[user % std::size(kDevices)];
    const char* referrer = kReferrers[user % std::size(kReferrers)];
    std::string session = Uuid::V7At(ts * 1000 - static_cast<int64_t>(user % 600) * 1000).ToString();
    std::string properties = fmt::format(
        R"({{"$os":"{}","$os_version":"{}.{}","$browser":"{}","$device_type":"{}","$current_url":"https://example.com{}",)"
        R"("$host":"example.com","$pathname":"{}","$raw_user_agent":"Mozilla/5.0 ({}) {}/{}.0","$browser_version":{},)"
        R"("$browser_language":"en-US","$screen_height":{},"$screen_width":{},"$viewport_height":{},"$viewport_width":{},)"
        R"("$lib":"web","$lib_version":"1.200.{}","$insert_id":"{:016x}","$time":{}.{:03d},"distinct_id":"{}",)"
        R"("$device_id":"{}","$session_id":"{}","$window_id":"{}","$referrer":"{}","$referring_domain":"{}",)"
        R"("$pageview_id":"{}","token":"phc_bench","$is_identified":{},"plan":"{}","$ip":"10.{}.{}.{}"}})",
        os, 10 + user % 5, user % 10, browser, device, path, path, os, browser, 100 + user % 30, 100 + user % 30,
        720 + (user % 4) * 180, 1280 + (user % 3) * 320, 600 + (user % 5) * 100, 1200 + (user % 3) * 200,
        user % 3, rng_(), ts, static_cast<int>(rng_() % 1000), distinct_id, session, session, session, referrer,
        referrer, uuid, user % 2 ? "true" : "false", user % 7 ? "free" : "paid", user % 256, (user / 256) % 256,
        rng_() % 256);
    std::string person_properties = fmt::format(
        R"({{"email":"user{}@example.com","name":"User {}","$initial_browser":"{}","$initial_os":"{}",)"
        R"("$initial_referrer":"{}","$initial_pathname":"{}","plan":"{}"}})",
        user, user, browser, os, referrer, kPaths[user % std::size(kPaths)], user % 7 ? "free" : "paid");
    std::string escaped_props = Escape(properties);
    std::string escaped_person = Escape(person_properties);
    std::string time = Time(ts);
    std::string group = rng_() % 100 == 0 ? fmt::format("org-{}", user % 50) : "";
    return fmt::format(
        R"({{"uuid":"{}","event":"{}","properties":"{}","timestamp":"{}","team_id":1,"distinct_id":"{}",)"
        R"("elements_chain":"{}","created_at":"{}","person_id":"{}","person_properties":"{}",)"
        R"("person_created_at":"{}","person_mode":"full","$group_0":"{}","$group_1":"","$group_2":"","$group_3":"",)"
        R"("$group_4":"","_timestamp":"{}","_offset":{}}})",
        uuid, event, escaped_props, time, distinct_id,
        std::string_view(event) == "$autocapture" ? R"(button.btn.btn-primary:nth-child=\"2\"text=\"Sign up\";div.hero;body)" : "",
        time, Uuid::V5(Uuid{}, distinct_id).ToString(), escaped_person, Time(kStart - 86400 * (user % 90)), group,
        Time(ts + 1), offset_++);
  }

 private:
  static constexpr int64_t kStart = 1795046400;  // 2026-11-19 00:00:00 UTC: rows span two months

  static std::string Escape(const std::string& json) {
    std::string out;
    out.reserve(json.size() + 64);
    for (char c : json) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  }
  static std::string Time(int64_t seconds) {
    int64_t days = seconds / 86400, rem = seconds % 86400;
    // civil_from_days (Howard Hinnant)
    days += 719468;
    int64_t era = days / 146097, doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
    return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}", y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
  }

  std::mt19937_64 rng_;
  uint32_t distinct_ids_;
  uint64_t offset_ = 0;
};

}  // namespace hedgerow::bench
