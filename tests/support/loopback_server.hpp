// A minimal HTTP/1.1 server on 127.0.0.1 for tests of outbound HTTP (URL
// ingest, the embeddings client): one handler answers every request, each
// connection serves one request and closes. Plain sockets and one thread, so
// that it costs no Beast compile time.
//
//   omni::test::LoopbackServer server([](const omni::test::LoopbackRequest& r) {
//     return omni::test::LoopbackResponse{200, {{"Content-Type", "text/html"}}, "<p>hi</p>"};
//   });
//   std::string url = server.Url("/page.html");
//
// Thread-safe: the handler runs on the server thread; requests() may be read
// from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace omni::test {

struct LoopbackRequest {
  std::string method;
  std::string target;  // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct LoopbackResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int delay_ms = 0;  // before anything is written
  // Sent without Content-Length, `body` repeated until the client hangs up
  // or the server stops: a page that never ends.
  bool endless = false;
  // Closed without a byte written: the connection drops mid-request.
  bool drop_connection = false;
};

class LoopbackServer {
 public:
  using Handler = std::function<LoopbackResponse(const LoopbackRequest&)>;

  // Listens on an ephemeral port of 127.0.0.1 at once. Throws
  // std::runtime_error when it cannot.
  explicit LoopbackServer(Handler handler);
  // Stops accepting and joins the thread (a delayed response is cut short).
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const;
  // Every request received so far.
  std::vector<LoopbackRequest> requests() const;

 private:
  void Serve();
  void Answer(int client);

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<LoopbackRequest> requests_;
  std::thread thread_;
};

}  // namespace omni::test
