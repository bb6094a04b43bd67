// The interface between omnid's HTTP server and its endpoint handlers.
//
// A handler is a coroutine taking an Exchange (the parsed request, the app's
// services, and a way to stream) and returning a Response. Handlers never see
// Beast: only daemon/server.cpp does. They may throw omni errors freely;
// daemon/http_errors.cpp turns them into JSON error responses. Blocking work
// (the database) goes through RunBlocking (daemon/blocking.hpp), never on
// the I/O thread the handler runs on.
// Thread-safety: an Exchange belongs to one connection's coroutine.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp needs it first (Boost 1.74)

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.hpp"

namespace omni::omnid {

namespace asio = boost::asio;

class App;

// HTTP header fields in order; names compare case-insensitively.
class Headers {
 public:
  // The first value of `name`, or nullopt.
  std::optional<std::string> Get(const std::string& name) const;
  // Replaces every field called `name` with one.
  void Set(const std::string& name, std::string value);
  // Appends a field (for headers that may repeat).
  void Add(std::string name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;          // as sent, e.g. "GET"
  std::string target;          // raw request target, e.g. "/v1/x?a=1"
  std::string path;            // target before '?', not decoded
  std::string route;           // matched route pattern, e.g. "/v1/chat/{business_slug}/session"
  std::map<std::string, std::string> params;  // route {params}, percent-decoded
  std::map<std::string, std::string> query;   // query string, decoded; the last of repeated keys wins
  Headers headers;
  std::string body;            // within the route's body limit
  std::string remote_address;  // peer IP address
  std::string request_id;      // echoed in X-Request-Id

  // The route parameter `name`; throws std::out_of_range when the route has
  // none of that name (a programming error, answered 500).
  const std::string& Param(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
  std::optional<std::string> Header(const std::string& name) const { return headers.Get(name); }
  // The body parsed as JSON. Throws InvalidInput when it is not valid JSON,
  // holds a number beyond a double's range, or a string with a NUL (named by
  // its path in the document).
  nlohmann::json JsonBody() const;
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Length, Connection and X-Request-Id are set by the server
  std::string body;

  // `body` serialised, with Content-Type application/json.
  static Response Json(int status, const nlohmann::json& body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

// The client closed its connection while a response was being written (a
// visitor closed the tab or navigated away): expected, not a fault, so the
// server logs it as information.
class ClientGone : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

// One request being answered. Handlers either return a Response, or call
// StartStream and then WriteChunk repeatedly (Server-Sent Events, see
// daemon/sse.hpp), in which case the Response they return is ignored.
class Exchange {
 public:
  Exchange(const Request& request, App& app) : request_(request), app_(app) {}
  virtual ~Exchange() = default;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const Request& request() const { return request_; }
  App& app() const { return app_; }

  // Sends the status line and headers of a chunked response (X-Request-Id is
  // added). At most once per exchange. Throws ClientGone when the client is gone.
  virtual asio::awaitable<void> StartStream(int status, Headers headers) = 0;
  // Sends one chunk and waits until the client took it (the server's write
  // timeout applies). Throws ClientGone when the client is gone,
  // Unavailable when it is too slow.
  virtual asio::awaitable<void> WriteChunk(std::string data) = 0;
  // True once shutdown began: a long-lived stream should end promptly; the
  // server force-closes it after server.shutdown_grace_ms.
  virtual bool stopping() const = 0;

 private:
  const Request& request_;
  App& app_;
};

using Handler = std::function<asio::awaitable<Response>(Exchange&)>;

}  // namespace omni::omnid
