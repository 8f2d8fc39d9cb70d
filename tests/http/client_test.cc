#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "hedgerow/http/client.h"

using namespace hedgerow;

TEST_CASE("the client gives up on a peer that never answers, within its timeout", "[http]") {
  // A socket that listens and never accepts: connecting succeeds (the backlog), no answer comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const auto start = std::chrono::steady_clock::now();
  auto reply = http::SendRequest({.host = "127.0.0.1",
                                  .port = std::to_string(ntohs(addr.sin_port)),
                                  .method = "POST",
                                  .body = "SELECT 1",
                                  .timeout = std::chrono::milliseconds(300)});
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == StatusCode::kUnavailable);
  CHECK(reply.status().message().find("did not answer within 300 ms") != std::string::npos);
  CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("the client says which peer refused the connection", "[http]") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens there now
  const std::string port = std::to_string(ntohs(addr.sin_port));
  auto reply = http::SendRequest({.host = "127.0.0.1", .port = port});
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().message() == "cannot connect to 127.0.0.1:" + port + ": Connection refused");
  CHECK(http::UrlEncode("a b&c=é") == "a%20b%26c%3D%C3%A9");
}
