// The services omnid's handlers share: configuration, the database pool,
// the blocking-work executor, the metrics registry and the public chat's
// services (daemon/webchat.hpp, with the assistant).
//
// The database may be unreachable when omnid starts; the pool then appears
// later (see daemon/database.hpp) and until it does, pool() throws
// Unavailable so that database-backed endpoints answer 503. The chat's
// services are started with the pool, before it is published, so that no
// request builds them.
// Thread-safe: all accessors may be called from any thread; the pool is set
// at most once and never replaced.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/billing/plans.hpp"
#include "core/config/config.hpp"
#include "core/db/pool.hpp"
#include "daemon/blocking.hpp"
#include "daemon/metrics.hpp"

namespace omni::omnid {

class WebchatService;  // daemon/webchat.hpp
}  // namespace omni::omnid

namespace omni::http {
class HttpClient;
}
namespace omni::billing {
class StripeClient;
}

namespace omni::omnid {

class App {
 public:
  // Keeps references to `blocking` and `metrics`, which must outlive it.
  App(config::Config config, BlockingExecutor& blocking, Metrics& metrics);
  ~App();

  const config::Config& config() const { return config_; }
  BlockingExecutor& blocking() const { return blocking_; }
  Metrics& metrics() const { return metrics_; }
  // stripe.price_ids resolved at start-up (billing::ResolvePriceIds).
  const std::map<billing::PlanTier, std::string>& price_ids() const { return price_ids_; }

  // The database pool. Throws Unavailable, with the last connection error,
  // while the database has not been reached.
  db::Pool& pool() const;
  // The pool, or nullptr while the database has not been reached.
  db::Pool* pool_if_ready() const { return pool_ptr_.load(std::memory_order_acquire); }

  // Installs the pool once the database is reached (and migrated), after
  // starting the chat's services on it (WebchatService::Start, blocking).
  // Only the first successful call has an effect. Throws what Start throws,
  // and then installs nothing.
  void SetPool(std::unique_ptr<db::Pool> pool);
  // Records why the database could not be reached, for pool() and /readyz.
  void SetDatabaseError(std::string message, std::string hint);

  // The Stripe client for the console's billing portal link, built at
  // start-up; null when stripe.api_key is not set.
  const billing::StripeClient* stripe() const { return stripe_.get(); }

  // The public chat API's shared services (daemon/webchat.hpp). Destroyed
  // before the pool.
  WebchatService& webchat() const { return *webchat_; }

 private:
  const config::Config config_;
  BlockingExecutor& blocking_;
  Metrics& metrics_;
  const std::map<billing::PlanTier, std::string> price_ids_;
  mutable std::mutex mutex_;
  std::unique_ptr<db::Pool> pool_;
  std::atomic<db::Pool*> pool_ptr_{nullptr};
  std::string database_error_ = "database not connected yet";
  std::string database_hint_;
  std::unique_ptr<http::HttpClient> stripe_http_;
  std::unique_ptr<billing::StripeClient> stripe_;
  std::unique_ptr<WebchatService> webchat_;
};

}  // namespace omni::omnid
