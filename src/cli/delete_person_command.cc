// hedgerow delete-person DISTINCT_ID: finds the person of a distinct id through the query API
// and has the server delete it with its distinct ids and events (GDPR).

#include <cstdio>

#include <fmt/format.h>

#include "api_client.h"
#include "commands.h"
#include "hedgerow/query/parser.h"

namespace hedgerow::cli {

std::vector<OptionSpec> DeletePersonOptions() { return ApiClientOptions("delete-person"); }

int RunDeletePerson(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("delete-person"), args);
  if (!config) return kExitUsage;
  if (config->positional().size() != 1 || config->positional()[0].empty()) {
    ReportError("delete-person: expected one distinct id: hedgerow delete-person user@example.com");
    return kExitUsage;
  }
  Result<ApiTarget> target = ApiTargetFrom(*config);
  if (!target.ok()) {
    ReportError("delete-person: " + target.status().message());
    return kExitUsage;
  }
  const std::string& distinct_id = config->positional()[0];
  Result<QueryAnswer> person = RunRemoteQuery(
      *target, "SELECT argMax(person_id, version) AS person, argMax(is_deleted, version) AS deleted "
               "FROM person_distinct_id2 WHERE distinct_id = " + query::QuoteStringLiteral(distinct_id) + " GROUP BY distinct_id");
  if (!person.ok()) {
    ReportError("delete-person: " + person.status().message());
    return person.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  const rapidjson::Value& rows = person->results();
  if (rows.Empty() || CellText(rows[0][1]) == "1") {
    ReportError(fmt::format("delete-person: no person has the distinct id \"{}\"", distinct_id));
    return kExitFailure;
  }
  const std::string uuid = CellText(rows[0][0]);
  Result<ApiReply> reply = Request(*target, "DELETE", fmt::format("/api/projects/{}/persons/{}/", target->project, uuid), "");
  if (!reply.ok()) {
    ReportError("delete-person: " + reply.status().message());
    return kExitFailure;
  }
  if (reply->status != 204) {
    ReportError(fmt::format("delete-person: {} (HTTP {})", reply->body, reply->status));
    return kExitFailure;
  }
  std::printf("deleted person %s (distinct id \"%s\") with its distinct ids and events\n", uuid.c_str(), distinct_id.c_str());
  return kExitOk;
}

}  // namespace hedgerow::cli
