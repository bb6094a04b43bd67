// A small blocking HTTP/1.1 client for tests against servers on 127.0.0.1
// (omnid, fakes), plus a raw TCP connection for protocol-level cases (slow
// clients, partial requests, pipelining).
//
//   auto res = omni::test::HttpGet(port, "/healthz");
//   CHECK(res.status == 200);
//   CHECK(res.Json()["status"] == "ok");
//
// Each call opens one connection and closes it. Timeouts throw
// std::runtime_error. Thread-safe: calls share nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace omni::test {

using HttpHeaders = std::map<std::string, std::string>;

struct HttpResult {
  int status = 0;
  HttpHeaders headers;  // names lower-cased; the last of repeated fields
  std::string body;

  // The header `name` (any case), or nullopt.
  std::optional<std::string> Header(const std::string& name) const;
  // The body parsed as JSON; throws nlohmann's parse_error when it is not.
  nlohmann::json Json() const;
};

constexpr std::chrono::milliseconds kDefaultHttpTimeout = std::chrono::seconds(30);

// Sends one request to 127.0.0.1:port and reads the whole response.
// Throws std::runtime_error when connecting, sending or reading fails or
// takes longer than `timeout`.
HttpResult HttpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {}, const HttpHeaders& headers = {},
                       std::chrono::milliseconds timeout = kDefaultHttpTimeout);
HttpResult HttpGet(std::uint16_t port, const std::string& target, const HttpHeaders& headers = {},
                   std::chrono::milliseconds timeout = kDefaultHttpTimeout);
// POST with Content-Type application/json unless `headers` names another.
HttpResult HttpPost(std::uint16_t port, const std::string& target, const std::string& body,
                    const HttpHeaders& headers = {}, std::chrono::milliseconds timeout = kDefaultHttpTimeout);

// A plain TCP connection to 127.0.0.1:port, for writing raw bytes.
class RawConnection {
 public:
  // Connects; throws std::runtime_error when it cannot.
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Writes all of `bytes`; throws std::runtime_error when the peer is gone.
  void Send(const std::string& bytes);
  // Reads until `text` has arrived, the peer closed, or `timeout`; returns
  // everything read so far (also kept for later calls).
  std::string ReadUntil(const std::string& text, std::chrono::milliseconds timeout);
  // Reads until the peer closes or `timeout`; returns everything read.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout);
  // True once a read saw the peer close the connection (or reset it).
  bool closed() const { return closed_; }

 private:
  // One read of what is available within `timeout`; false on timeout.
  bool ReadSome(std::chrono::milliseconds timeout);

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

}  // namespace omni::test
