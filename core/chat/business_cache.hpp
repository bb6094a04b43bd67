// Business profiles as the assistant reads them: from a short cache, since
// they change rarely (`omni business apply`) and every chat request needs
// one. An applied change is seen within the cache's time to live.
// Thread-safe: Find and Get may be called from any thread, concurrently.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/business/business.hpp"

namespace omni::db {
class Pool;
}

namespace omni::chat {

class BusinessCache {
 public:
  // `pool` must outlive the cache. A business is read again `ttl_ms` after
  // it was loaded.
  explicit BusinessCache(db::Pool& pool, int ttl_ms = 2000);

  // The business `slug` if a fresh copy is cached, else nullptr. Never
  // touches the database, so it may run on an I/O thread.
  std::shared_ptr<const business::Business> Find(const std::string& slug) const;

  // The cached business, else loads it (blocking) and caches it. Throws
  // NotFound for an unknown slug, Unavailable without the database.
  std::shared_ptr<const business::Business> Get(const std::string& slug);

 private:
  using SteadyClock = std::chrono::steady_clock;

  db::Pool& pool_;
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::shared_ptr<const business::Business>, SteadyClock::time_point>> cache_;
};

}  // namespace omni::chat
