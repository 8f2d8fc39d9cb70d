#pragma once

// The realistic input of the load benchmarks: events over `distinct_ids` users, each with a
// public address and one of a dozen real user agents: 74% $pageviews as posthog-js sends them
// (~40 properties, no person updates), 20% a backend's events carrying the user's agent as
// $raw_user_agent (no $browser: the user_agent app fills it) and a $set of the person, 5%
// $identify merges of a fresh anonymous id, 1% carrying $groups (and a few $groupidentify).

#include <cstdint>
#include <iterator>
#include <random>
#include <string>

#include <fmt/format.h>

namespace hedgerow::bench {

inline const char* const kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; SM-T510) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
};

struct MixedEvent {
  std::string distinct_id;
  std::string ip;
  // The event as capture receives it, without distinct_id: {"event":..,"properties":{..},..}
  std::string json;
};

class EventMix {
 public:
  EventMix(uint64_t seed, size_t distinct_ids) : rng_(seed), distinct_ids_(distinct_ids) {}

  // The i-th event (i makes its ids unique).
  MixedEvent Next(size_t i) {
    uint64_t user_number = rng_() % distinct_ids_;
    MixedEvent e;
    e.distinct_id = fmt::format("user_{}", user_number);
    // A public address per user, spread over the IPv4 space (1.0.0.0-223.255.255.255).
    uint64_t h = user_number * 0x9E3779B97F4A7C15ULL;
    e.ip = fmt::format("{}.{}.{}.{}", 1 + (h >> 56) % 223, (h >> 48) & 255, (h >> 40) & 255, (h >> 32) & 255);
    const char* ua = kUserAgents[user_number % std::size(kUserAgents)];
    uint64_t roll = rng_() % 100;
    if (roll < 5) {
      ++identifies_;
      e.json = fmt::format(R"({{"event":"$identify","properties":{{"$anon_distinct_id":"anon_{}","$set":{{"email":"{}@x.com"}}}}}})",
                           i, e.distinct_id);
    } else if (roll < 6) {
      ++grouped_;
      e.json = roll % 2 ? fmt::format(R"({{"event":"$groupidentify","properties":{{"$group_type":"company","$group_key":"c{}","$group_set":{{"n":{}}}}}}})", rng_() % 1000, i)
                        : fmt::format(R"({{"event":"purchase","properties":{{"$groups":{{"company":"c{}"}},"amount":{}}}}})", rng_() % 1000, i);
    } else if (roll < 26) {
      e.json = fmt::format(R"({{"event":"order completed","properties":{{"$raw_user_agent":"{}","$lib":"posthog-python","$lib_version":"6.7.0","order_id":"o{}","amount":{},"currency":"EUR","$set":{{"last_order":{}}}}},"timestamp":"2026-11-29T11:59:59.000Z"}})",
                           ua, i, rng_() % 500, i % 97);
    } else {
      uint64_t page = rng_() % 5000;
      e.json = fmt::format(
          R"({{"event":"$pageview","properties":{{"$os":"Mac OS X","$os_version":"10.15.7","$browser":"Chrome","$device_type":"Desktop","$timezone":"Europe/London","$timezone_offset":0,"$current_url":"https://shop.example/p/{}","$host":"shop.example","$pathname":"/p/{}","$raw_user_agent":"{}","$browser_version":120,"$browser_language":"en-GB","$browser_language_prefix":"en","$screen_height":1117,"$screen_width":1728,"$viewport_height":959,"$viewport_width":1728,"$lib":"web","$lib_version":"1.449.2","$insert_id":"k2x9q{}","$time":1764417599.123,"distinct_id":"{}","$device_id":"0193a1b2-c3d4-7e5f-8a9b-{:012x}","$console_log_recording_enabled_server_side":false,"$initial_person_info":{{"r":"$direct","u":"https://shop.example/"}},"$is_identified":true,"$process_person_profile":true,"$session_id":"0193a1b2-c3d4-7e5f-8a9b-{:012x}","$window_id":"0193a1b2-c3d4-7e5f-9a9b-{:012x}","$pageview_id":"0193a1b2-c3d4-7e5f-aa9b-{:012x}","$session_entry_url":"https://shop.example/","$session_entry_host":"shop.example","$session_entry_pathname":"/","$session_entry_referrer":"$direct","$session_entry_referring_domain":"$direct","$referrer":"$direct","$referring_domain":"$direct","$configured_session_timeout_ms":1800000,"$lib_rate_limit_remaining_tokens":99,"token":"phc_bench","title":"Product {}"}},"timestamp":"2026-11-29T11:59:59.000Z"}})",
          page, page, ua, i, e.distinct_id, user_number, user_number, i, i, page);
    }
    return e;
  }

  size_t identifies() const { return identifies_; }
  size_t grouped() const { return grouped_; }

 private:
  std::mt19937_64 rng_;
  size_t distinct_ids_;
  size_t identifies_ = 0;
  size_t grouped_ = 0;
};

}  // namespace hedgerow::bench
