// omnid's HTTP/1.1 server: Boost.Beast on Asio C++20 coroutines.
//
// One coroutine per connection, on its own strand. Every read and write has
// a deadline (server.read_timeout_ms for a request, idle_timeout_ms between
// keep-alive requests, write_timeout_ms for a response), headers are capped
// at server.max_header_bytes (431) and bodies at the route's limit (413).
// Every request gets an id (a sane incoming X-Request-Id, or a fresh one),
// echoed in X-Request-Id and logged in one structured line with its status,
// size and duration. SIGTERM or SIGINT starts a drain: stop accepting, close
// idle connections, let requests in flight and streams finish, force-close
// what remains after server.shutdown_grace_ms; a second signal forces at once.
// Beast and Asio stay inside server.cpp.
// Thread-safety: construct, Listen and Run from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace omni::omnid {

class App;
class Router;

class Server {
 public:
  // `app` and `router` must outlive the server. Installs the SIGTERM and
  // SIGINT handlers.
  Server(App& app, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on host:port (port 0: a free port, see port()).
  // Throws Unavailable when the address cannot be used.
  void Listen(const std::string& host, std::uint16_t port);
  // The port actually bound; valid after Listen.
  std::uint16_t port() const;

  // Serves on server.io_threads threads until a shutdown signal has been
  // handled and every connection is closed.
  void Run();

  struct Impl;  // defined in server.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace omni::omnid
