// Connects omnid to its database: once at start (opening the pool and
// applying pending migrations), then, while the database is unreachable, in
// the background with backoff, so that omnid can start before its database
// and /readyz reports 503 until it is there.
// Thread-safe: construct, TryConnect and RetryInBackground from one thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/db/pool.hpp"
#include "daemon/app.hpp"

namespace omni::omnid {

class DatabaseConnector {
 public:
  // `app` receives the pool and the connection errors; it must outlive this.
  DatabaseConnector(App& app, db::OpenOptions options) : app_(app), options_(std::move(options)) {}
  // Stops retrying and joins the background thread.
  ~DatabaseConnector();
  DatabaseConnector(const DatabaseConnector&) = delete;
  DatabaseConnector& operator=(const DatabaseConnector&) = delete;

  // One attempt to open the database and apply migrations. Returns true when
  // connected, false when it is unreachable (Unavailable; recorded in the app).
  // Other errors (an invalid config, a failed migration) propagate.
  bool TryConnect();

  // Retries TryConnect every 1 s, doubling up to 30 s, until it succeeds or
  // this object is destroyed.
  void RetryInBackground();

 private:
  App& app_;
  const db::OpenOptions options_;
  std::string last_error_;  // of the latest failed attempt
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace omni::omnid
