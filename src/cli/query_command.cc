// hedgerow query "SQL": runs a query on a running server through its query API and prints
// the result as a table, JSON, JSON lines, CSV or TSV.

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "commands.h"
#include "hedgerow/common/json.h"

namespace hedgerow::cli {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;

struct Reply {
  unsigned status = 0;
  std::string body;
};

// One POST over plain HTTP; the error says what failed (connect, send, read).
Result<Reply> Post(const std::string& host, const std::string& port, const std::string& target, const std::string& body,
                   const std::string& api_key) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, port, ec);
  if (!ec) {
    stream.expires_after(std::chrono::minutes(5));
    stream.connect(endpoints, ec);
  }
  if (ec) return Status::Unavailable(fmt::format("cannot connect to {}:{} ({}); is hedgerow serve running?", host, port, ec.message()));
  beast::http::request<beast::http::string_body> request{beast::http::verb::post, target, 11};
  request.set(beast::http::field::host, host);
  request.set(beast::http::field::authorization, "Bearer " + api_key);
  request.set(beast::http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  beast::http::write(stream, request, ec);
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(1ull << 30);
  if (!ec) beast::http::read(stream, buffer, parser, ec);
  if (ec) return Status::Unavailable(fmt::format("query to {}:{} failed: {}", host, port, ec.message()));
  return Reply{parser.get().result_int(), std::move(parser.get().body())};
}

std::string Text(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNull()) return "NULL";
  return WriteJson(v);
}

void PrintPretty(const rapidjson::Value& columns, const rapidjson::Value& rows) {
  std::vector<size_t> width;
  for (const auto& c : columns.GetArray()) width.push_back(Text(c).size());
  for (const auto& row : rows.GetArray()) {
    for (size_t i = 0; i < row.Size() && i < width.size(); ++i) width[i] = std::max(width[i], Text(row[i]).size());
  }
  auto line = [&](auto cell) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string text = cell(i);
      out += (i ? " | " : "") + text + std::string(width[i] - std::min(width[i], text.size()), ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line([&](size_t i) { return Text(columns[static_cast<rapidjson::SizeType>(i)]); });
  line([&](size_t i) { return std::string(width[i], '-'); });
  for (const auto& row : rows.GetArray()) line([&](size_t i) { return Text(row[static_cast<rapidjson::SizeType>(i)]); });
}

std::string Csv(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Tsv(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

}  // namespace

std::vector<OptionSpec> QueryOptions() {
  return {
      {.name = "url", .section = "query", .default_value = "http://127.0.0.1:8000", .help = "the server's API",
       .value_name = "URL"},
      {.name = "api-key", .section = "query", .default_value = "", .help = "a personal API key (phx_...)",
       .value_name = "phx_..."},
      {.name = "project", .section = "query", .default_value = "1", .help = "project to query",
       .type = OptionType::kInt, .min = 1, .value_name = "ID"},
      {.name = "format", .section = "query", .default_value = "pretty", .help = "output format",
       .choices = {"pretty", "json", "jsonl", "csv", "tsv"}, .value_name = "FORMAT"},
  };
}

int RunQuery(const std::vector<std::string>& args) {
  std::optional<Config> config = LoadConfigOrReport(FindCommand("query"), args);
  if (!config) return kExitUsage;
  if (config->positional().size() != 1) {
    ReportError("query: expected one SQL statement, quoted: hedgerow query \"SELECT count() FROM events\"");
    return kExitUsage;
  }
  std::string key = config->GetString("api-key");
  if (key.empty()) {
    ReportError("query: --api-key (or HEDGEROW_API_KEY) is required: a personal API key, phx_...");
    return kExitUsage;
  }
  std::string url = config->GetString("url");
  if (url.rfind("http://", 0) != 0) {
    ReportError(fmt::format("query: --url must be http://HOST:PORT, got \"{}\"", url));
    return kExitUsage;
  }
  std::string authority = url.substr(7, url.find('/', 7) == std::string::npos ? std::string::npos : url.find('/', 7) - 7);
  size_t colon = authority.rfind(':');
  std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  std::string body = R"({"query":{"kind":"HogQLQuery","query":)";
  AppendJsonString(body, config->positional()[0]);
  body += "}}";
  Result<Reply> reply = Post(host, port, fmt::format("/api/projects/{}/query/", config->GetInt("project")), body, key);
  if (!reply.ok()) {
    ReportError("query: " + reply.status().message());
    return kExitFailure;
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(reply->body.data(), reply->body.size());
  if (reply->status != 200) {
    std::string detail = doc.IsObject() && doc.HasMember("detail") && doc["detail"].IsString() ? doc["detail"].GetString()
                                                                                                 : reply->body;
    ReportError(fmt::format("query: {} (HTTP {})", detail, reply->status));
    return kExitFailure;
  }
  if (!doc.IsObject() || !doc.HasMember("columns") || !doc["columns"].IsArray() || !doc.HasMember("results") ||
      !doc["results"].IsArray()) {
    ReportError("query: the server's answer is not a query result");
    return kExitFailure;
  }
  const rapidjson::Value& columns = doc["columns"];
  const rapidjson::Value& rows = doc["results"];
  const std::string format = config->GetString("format");
  if (format == "json") {
    std::printf("%s\n", reply->body.c_str());
  } else if (format == "pretty") {
    PrintPretty(columns, rows);
  } else {
    if (format != "jsonl") {
      std::string header;
      for (const auto& c : columns.GetArray()) header += (header.empty() ? "" : format == "csv" ? "," : "\t") + (format == "csv" ? Csv(Text(c)) : Tsv(Text(c)));
      std::printf("%s\n", header.c_str());
    }
    for (const auto& row : rows.GetArray()) {
      std::string line = format == "jsonl" ? "{" : "";
      for (rapidjson::SizeType i = 0; i < row.Size() && i < columns.Size(); ++i) {
        if (format == "jsonl") {
          if (i > 0) line += ',';
          AppendJsonString(line, Text(columns[i]));
          line += ':' + WriteJson(row[i]);
        } else if (format == "csv") {
          line += (i ? "," : "") + (row[i].IsNumber() ? Text(row[i]) : Csv(Text(row[i])));
        } else {
          line += (i ? "\t" : "") + Tsv(Text(row[i]));
        }
      }
      std::printf("%s\n", (format == "jsonl" ? line + "}" : line).c_str());
    }
  }
  return kExitOk;
}

}  // namespace hedgerow::cli
