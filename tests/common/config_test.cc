#include "hedgerow/common/config.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "support/temp_dir.h"

using namespace hedgerow;
using hedgerow::testing::TempDir;

namespace {

std::vector<OptionSpec> Specs() {
  return {
      {.name = "data-dir", .section = "server", .default_value = "./data", .help = "data"},
      {.name = "listen", .section = "server", .default_value = "127.0.0.1:8000", .help = "addr",
       .type = OptionType::kHostPort},
      {.name = "shards", .section = "store", .default_value = "2", .help = "shards",
       .type = OptionType::kInt, .min = 1, .max = 64},
      {.name = "log-level", .section = "server", .default_value = "info", .help = "level",
       .choices = {"debug", "info", "warn", "error"}},
      {.name = "follow", .section = "log", .default_value = "false", .help = "follow",
       .type = OptionType::kBool},
  };
}

// An option of another command: allowed in the shared file, not as this command's flag.
std::vector<OptionSpec> AllSpecs() {
  auto all = Specs();
  all.push_back({.name = "url", .section = "query", .default_value = "", .help = "url"});
  return all;
}

Result<Config> Load(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) {
  auto specs = Specs();
  auto all = AllSpecs();
  return Config::Load(specs, all, "serve", args, env);
}

std::string WriteFile(const TempDir& dir, const std::string& text) {
  std::string path = dir.File("hedgerow.conf");
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("defaults apply when no source sets an option", "[common]") {
  auto c = Load({});
  REQUIRE(c.ok());
  CHECK(c->GetString("data-dir") == "./data");
  CHECK(c->GetInt("shards") == 2);
  CHECK(c->GetHostPort("listen").port == 8000);
  CHECK_FALSE(c->GetBool("follow"));
  CHECK(c->SourceOf("shards") == "default");
}

TEST_CASE("precedence is flag over env over file over default", "[common]") {
  TempDir dir;
  std::string path = WriteFile(dir,
                               "# comment\n[server]\ndata-dir = /from/file\nlisten = 127.0.0.1:9000\n"
                               "log-level = warn\n\n[store]\nshards = 4\n[query]\nurl = http://x\n");
  std::map<std::string, std::string> env = {{"HEDGEROW_LISTEN", "127.0.0.1:9100"},
                                            {"HEDGEROW_SHARDS", "8"}};
  auto c = Load({"--config", path, "--shards=16"}, env);
  REQUIRE(c.ok());
  CHECK(c->GetString("data-dir") == "/from/file");
  CHECK(c->SourceOf("data-dir") == "file");
  CHECK(c->GetHostPort("listen").port == 9100);
  CHECK(c->SourceOf("listen") == "env");
  CHECK(c->GetInt("shards") == 16);
  CHECK(c->SourceOf("shards") == "flag");
  CHECK(c->GetString("log-level") == "warn");
}

TEST_CASE("the config file may come from HEDGEROW_CONFIG", "[common]") {
  TempDir dir;
  std::string path = WriteFile(dir, "[store]\nshards = 3\n");
  auto c = Load({}, {{"HEDGEROW_CONFIG", path}});
  REQUIRE(c.ok());
  CHECK(c->GetInt("shards") == 3);
}

TEST_CASE("flags take values in both forms, bools stand alone, positionals are kept", "[common]") {
  auto c = Load({"topic-a", "--data-dir", "/d", "--follow", "--listen=[::1]:81"});
  REQUIRE(c.ok());
  CHECK(c->GetString("data-dir") == "/d");
  CHECK(c->GetBool("follow"));
  CHECK(c->GetHostPort("listen").host == "::1");
  CHECK(c->GetHostPort("listen").port == 81);
  CHECK(c->positional() == std::vector<std::string>{"topic-a"});
}

TEST_CASE("bad values name their source, key and expectation", "[common]") {
  TempDir dir;
  auto flag = Load({"--shards", "abc"});
  REQUIRE_FALSE(flag.ok());
  CHECK(flag.status().message() == "config: --shards \"abc\": expected an integer from 1 to 64");

  auto range = Load({"--shards=0"});
  REQUIRE_FALSE(range.ok());
  CHECK(range.status().message().find("from 1 to 64") != std::string::npos);

  auto env = Load({}, {{"HEDGEROW_LISTEN", "nowhere"}});
  REQUIRE_FALSE(env.ok());
  CHECK(env.status().message() ==
        "config: HEDGEROW_LISTEN=\"nowhere\": expected HOST:PORT, e.g. 127.0.0.1:8000");

  std::string path = WriteFile(dir, "[server]\nlog-level = loud\n");
  auto file = Load({"--config", path});
  REQUIRE_FALSE(file.ok());
  CHECK(file.status().message() == "config: " + path +
                                       ":2: [server] log-level = \"loud\": expected one of debug, "
                                       "info, warn, error");
}

TEST_CASE("a bad value in a lower-precedence source is still an error", "[common]") {
  // A typo in the file must not hide behind a flag that happens to override it today.
  TempDir dir;
  std::string path = WriteFile(dir, "[store]\nshards = many\n");
  auto c = Load({"--config", path, "--shards", "2"});
  CHECK_FALSE(c.ok());
}

TEST_CASE("unknown keys, misplaced keys and bad syntax in the file are errors", "[common]") {
  TempDir dir;
  auto check = [&](const std::string& text, const std::string& expected) {
    std::string path = WriteFile(dir, text);
    auto c = Load({"--config", path});
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == StatusCode::kInvalidArgument);
    CHECK(c.status().message() == "config: " + path + expected);
  };
  check("[store]\nshard = 2\n", ":2: unknown key \"shard\" in [store]");
  check("[server]\nshards = 2\n", ":2: \"shards\" belongs in section [store], not [server]");
  check("shards = 2\n", ":1: \"shards\" belongs in section [store], not outside any section");
  check("[store\n", ":1: section header \"[store\" lacks its closing ]");
  check("[store]\nshards 2\n", ":2: expected \"key = value\" or \"[section]\", got \"shards 2\"");
}

TEST_CASE("unknown flags and missing files are errors", "[common]") {
  auto c = Load({"--shard", "2"});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() ==
        "config: unknown option --shard for \"hedgerow serve\"; see hedgerow serve --help");
  CHECK_FALSE(Load({"-x"}).ok());
  CHECK_FALSE(Load({"--data-dir"}).ok());
  CHECK_FALSE(Load({"--url", "http://x"}).ok());  // another command's option
  auto missing = Load({"--config", "/nonexistent/hedgerow.conf"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
}

TEST_CASE("environment variable names are HEDGEROW_ and upper snake case", "[common]") {
  CHECK(EnvVarName("data-dir") == "HEDGEROW_DATA_DIR");
  CHECK(EnvVarName("personal-api-key") == "HEDGEROW_PERSONAL_API_KEY");
}

TEST_CASE("host:port parsing", "[common]") {
  CHECK(ParseHostPort("127.0.0.1:0").ok());
  CHECK(ParseHostPort("localhost:8123")->host == "localhost");
  CHECK(ParseHostPort("[::1]:8000")->ToString() == "[::1]:8000");
  CHECK_FALSE(ParseHostPort("127.0.0.1").ok());
  CHECK_FALSE(ParseHostPort(":80").ok());
  CHECK_FALSE(ParseHostPort("host:99999").ok());
  CHECK_FALSE(ParseHostPort("host:8o").ok());
}
