#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hedgerow::testing {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A blocking HTTP/1.1 client over one real TCP connection to 127.0.0.1, for tests that need
// byte-level control (pipelining, partial requests). Every read gives up after `timeout`,
// so a broken server fails the test instead of hanging it. Not thread-safe.
class TestConnection {
 public:
  explicit TestConnection(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  void SendRaw(std::string_view bytes);
  // Reads one response; nullopt if the connection closed or timed out first.
  std::optional<ClientResponse> ReadResponse();
  // Sends a request built from the parts and reads its response.
  std::optional<ClientResponse> Request(std::string_view method, std::string_view target,
                                        std::string_view body = {},
                                        const std::vector<std::pair<std::string, std::string>>& headers = {});
  // True when the server closes the connection (EOF or reset) within the timeout.
  bool WaitForClose();

 private:
  int fd_ = -1;
  std::string buffer_;  // bytes received but not yet consumed
  bool Fill();          // reads more into buffer_; false on EOF/error/timeout
};

std::string BuildRequest(std::string_view method, std::string_view target, std::string_view body,
                         const std::vector<std::pair<std::string, std::string>>& headers);

// One request on a fresh connection.
std::optional<ClientResponse> HttpRequest(uint16_t port, std::string_view method,
                                          std::string_view target, std::string_view body = {},
                                          const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace hedgerow::testing
