// Outbound HTTP/1.1: the HttpClient interface, its Beast/Asio implementation
// (HTTPS verified against the system CA store or a configured bundle, with
// SNI and host name checks; plain http for loopback), and a blocking helper.
//
// The API is asynchronous so that thousands of requests can wait on a few
// threads: Send() returns at once and completion callbacks run on the
// client's I/O threads. CLI code uses Fetch(), which blocks. Non-2xx statuses
// are responses, not errors. Thread-safe: Send, Schedule and Cancel may be
// called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/error.hpp"

namespace boost::asio {
class io_context;
}

namespace omni::http {

// No response within a timeout (connect, first byte or idle).
class Timeout : public Unavailable { using Unavailable::Unavailable; };
// The caller cancelled the request.
class Cancelled : public Error { using Error::Error; };

// A one-shot cancellation signal shared by a caller and the operations it
// starts (one signal may cover retries and several requests). Thread-safe.
class Cancellation {
 public:
  // Fires the signal: runs every registered callback once, on this thread.
  void Cancel();
  bool IsCancelled() const;
  // Registers `fn` and returns a handle for Unregister. When already
  // cancelled, runs `fn` at once and returns 0.
  std::uint64_t OnCancel(std::function<void()> fn);
  void Unregister(std::uint64_t handle);

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::uint64_t next_handle_ = 1;
  std::map<std::uint64_t, std::function<void()>> callbacks_;
};

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path or https://...
  std::vector<Header> headers;  // Host, Content-Length and User-Agent are added
  std::string body;
  int connect_timeout_ms = 10000;      // DNS, TCP and TLS handshake together
  int first_byte_timeout_ms = 30000;   // request sent until the response head
  int idle_timeout_ms = 30000;         // longest silence between body reads
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // larger bodies fail the request
  int max_redirects = 0;  // 301/302/303/307/308 followed up to this many times
};

struct Response {
  int status = 0;
  std::vector<Header> headers;
  std::string body;       // empty when the body went to ResponseHandlers::on_body
  std::string final_url;  // the URL that answered, after redirects

  // The first header with this name (case-insensitive), or nullopt.
  std::optional<std::string> FindHeader(std::string_view name) const;
};

struct ResponseHandlers {
  // Called once the status and headers are in (Response::body still empty).
  std::function<void(const Response& head)> on_head;
  // When set, body bytes are passed here as they arrive instead of being
  // collected into Response::body. Throwing aborts the request with that error.
  std::function<void(std::string_view chunk)> on_body;
};

// Called exactly once: `error` is null on success, else Unavailable (network,
// DNS, TLS), Timeout, Cancelled, UpstreamError (bad HTTP, body over the cap)
// or whatever a handler threw.
using Completion = std::function<void(std::exception_ptr error, Response response)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Starts a request and returns at once. Handlers and `done` run on an I/O
  // thread, never concurrently for one request. `cancel` may be null.
  virtual void Send(Request request, ResponseHandlers handlers, Completion done,
                    std::shared_ptr<Cancellation> cancel = nullptr) = 0;

  // Runs `fn(false)` on an I/O thread after `delay`, or `fn(true)` as soon as
  // `cancel` fires; used for retry backoff without holding a thread.
  virtual void Schedule(std::chrono::milliseconds delay, std::function<void(bool cancelled)> fn,
                        std::shared_ptr<Cancellation> cancel = nullptr) = 0;
};

struct ClientSettings {
  std::string ca_file;  // PEM bundle to trust; empty: the system CA store
  std::string user_agent = "omni/0.1";
};

// A client with one I/O thread of its own (the CLI, tools). Destroying it
// stops the thread; requests still pending are abandoned without completion.
// Throws ConfigError when `ca_file` cannot be loaded.
std::unique_ptr<HttpClient> MakeHttpClient(const ClientSettings& settings);

// A client on the caller's io_context (omnid), which must outlive it and be
// run by the caller; any number of threads may run it.
std::unique_ptr<HttpClient> MakeHttpClient(boost::asio::io_context& io, const ClientSettings& settings);

// Sends and waits. Rethrows the request's error. Must not be called from the
// client's own I/O thread (it would wait on itself).
// The host of an http:// or https:// URL, lower-case, without port or IPv6
// brackets and without a trailing dot; "" when `url` is not such a URL.
std::string UrlHost(const std::string& url);

Response Fetch(HttpClient& client, Request request, ResponseHandlers handlers = {},
               std::shared_ptr<Cancellation> cancel = nullptr);

}  // namespace omni::http
