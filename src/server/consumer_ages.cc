#include "consumer_ages.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "hedgerow/common/clock.h"

namespace hedgerow::server {

void UpdateConsumerAges(log::Log& log, MetricsRegistry& metrics) {
  Result<std::vector<log::PartitionLag>> lags = log.Lag();
  if (!lags.ok()) return;
  const int64_t now_ms = NowMicros() / 1000;
  std::map<std::pair<std::string, std::string>, double> oldest;  // (group, topic) -> seconds
  for (const log::PartitionLag& lag : *lags) {
    double& age = oldest[{lag.group, lag.topic}];
    if (lag.lag() == 0) continue;
    // The first record not committed past: one record, but the batch holding it is decoded.
    Result<log::FetchResult> next = log.Fetch(lag.topic, lag.partition, lag.committed, 1, 1);
    if (!next.ok() || next->records.empty()) continue;
    int64_t appended_ms = next->records.front().record.timestamp_ms;
    if (appended_ms > 0) age = std::max(age, static_cast<double>(std::max<int64_t>(0, now_ms - appended_ms)) / 1000);
  }
  for (const auto& [key, seconds] : oldest) {
    metrics
        .GetGauge("hedgerow_log_consumer_oldest_unconsumed_seconds",
                  "Age of the oldest record a consumer group has not committed past (0: caught up)",
                  {{"group", key.first}, {"topic", key.second}})
        .Set(seconds);
  }
}

}  // namespace hedgerow::server
