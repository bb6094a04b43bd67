// DatabaseConnector; see database.hpp.
#include "daemon/database.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/log.hpp"

namespace omni::omnid {

DatabaseConnector::~DatabaseConnector() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool DatabaseConnector::TryConnect() {
  try {
    auto pool = db::Open(app_.config(), options_);
    log::Info("database ready", {{"database", pool->DisplayName()}});
    app_.SetPool(std::move(pool));
    return true;
  } catch (const Unavailable& e) {
    last_error_ = e.what();
    app_.SetDatabaseError(e.what(), e.hint());
    return false;
  }
}

void DatabaseConnector::RetryInBackground() {
  thread_ = std::thread([this] {
    auto delay = std::chrono::seconds(1);
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, delay, [this] { return stopping_; })) return;
      }
      std::string error;
      try {
        if (TryConnect()) return;
        error = last_error_;
      } catch (const std::exception& e) {
        // A failed migration may be fixed by another instance or an
        // operator; keep trying rather than serve a half-started daemon.
        error = e.what();
        app_.SetDatabaseError(error, {});
      }
      delay = std::min<std::chrono::seconds>(delay * 2, std::chrono::seconds(30));
      log::Warn("database unreachable, retrying", {{"error", error}, {"retry_in_s", delay.count()}});
    }
  });
}

}  // namespace omni::omnid
