#pragma once

#include "hedgerow/common/metrics.h"
#include "hedgerow/log/log.h"

namespace hedgerow::server {

// Sets hedgerow_log_consumer_oldest_unconsumed_seconds{group,topic}: how long the oldest
// record a consumer group has not committed past has waited (its append time), the largest
// over the topic's partitions; 0 when the group is caught up. A stage that stalls shows as a
// growing age even while its lag in records stands still. Read at each scrape.
void UpdateConsumerAges(log::Log& log, MetricsRegistry& metrics);

}  // namespace hedgerow::server
