#include "hedgerow/common/log.h"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace hedgerow;

TEST_CASE("a log event is one logfmt line with quoted values where needed", "[common]") {
  std::string line = FormatLogLine(LogLevel::kWarn, "http", "request failed",
                                   {{"request_id", uint64_t{42}}, {"path", "/e/"},
                                    {"detail", "bad \"json\"\nat 3"}, {"empty", ""}});
  CHECK(line.rfind("ts=", 0) == 0);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find(" level=warn module=http msg=\"request failed\" request_id=42 path=/e/ "
                  "detail=\"bad \\\"json\\\"\\nat 3\" empty=\"\"") != std::string::npos);
}

TEST_CASE("events below the level are not written", "[common]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  SetLogFd(fds[1]);
  SetLogLevel(LogLevel::kWarn);
  LogInfo("test", "hidden");
  LogWarn("test", "shown", {{"n", 1}});
  SetLogFd(2);
  SetLogLevel(LogLevel::kInfo);
  close(fds[1]);
  char buf[1024];
  ssize_t n = read(fds[0], buf, sizeof(buf));
  close(fds[0]);
  REQUIRE(n > 0);
  std::string out(buf, static_cast<size_t>(n));
  CHECK(out.find("hidden") == std::string::npos);
  CHECK(out.find("msg=shown n=1\n") != std::string::npos);
}

TEST_CASE("log levels parse by name", "[common]") {
  CHECK(*ParseLogLevel("debug") == LogLevel::kDebug);
  CHECK(*ParseLogLevel("error") == LogLevel::kError);
  CHECK_FALSE(ParseLogLevel("verbose").ok());
}
