// The config file parser (`--config FILE`): any file is a config or one clear error.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "hedgerow/common/config.h"

using namespace hedgerow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    char tmpl[] = "/tmp/hedgerow-fuzz-config-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) std::abort();
    ::close(fd);
    return std::string(tmpl);
  }();
  static const std::vector<OptionSpec> options = {
      {.name = "data-dir", .section = "server", .default_value = "./data", .help = "data"},
      {.name = "listen", .section = "server", .default_value = "127.0.0.1:8000", .help = "addr",
       .type = OptionType::kHostPort},
      {.name = "shards", .section = "store", .default_value = "2", .help = "shards", .type = OptionType::kInt,
       .min = 1, .max = 64},
      {.name = "log-level", .section = "server", .default_value = "info", .help = "level",
       .choices = {"debug", "info", "warn", "error"}},
      {.name = "follow", .section = "log", .default_value = "false", .help = "follow", .type = OptionType::kBool},
  };
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto config = Config::Load(options, options, "serve", {"--config", path}, {});
  if (config.ok()) {
    config->GetString("data-dir");
    config->GetString("log-level");
    config->GetInt("shards");
    config->GetBool("follow");
    config->GetHostPort("listen");
  } else if (config.status().message().empty()) {
    std::abort();  // an error must say what to fix
  }
  return 0;
}
