#pragma once

#include <vector>

#include "hedgerow/log/log.h"

namespace hedgerow::server {

// The topics of PostHog's ingestion, with their partition counts. events_plugin_ingestion
// has 8 like PostHog's default; partitions bound the pipeline's parallelism per topic.
std::vector<log::TopicConfig> DefaultTopics();

}  // namespace hedgerow::server
