// WebhookWorker; see webhook_worker.hpp.
#include "daemon/webhook_worker.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/config/config.hpp"
#include "core/notify/notify.hpp"
#include "core/webhooks/webhooks.hpp"

namespace omni::omnid {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
// Rounds back to back while deliveries keep coming, but never so many that
// a stop waits long.
constexpr int kMaxBatchesPerRound = 50;
// Small batches keep each DELETE's locks brief; an omnid that has been off
// for long catches up over a few rounds instead of in one long one.
constexpr auto kPruneInterval = std::chrono::minutes(5);
constexpr int kPruneBatch = 500;
constexpr int kMaxPruneBatches = 20;

}  // namespace

WebhookWorker::WebhookWorker(App& app) : app_(app) {
  thread_ = std::thread([this] {
    for (;;) {
      Round();
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, kPollInterval, [this] { return stopping_; })) return;
    }
  });
}

WebhookWorker::~WebhookWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WebhookWorker::Round() {
  db::Pool* pool = app_.pool_if_ready();
  if (pool == nullptr) return;
  const auto& config = app_.config().webhooks;
  webhooks::DeliverySettings settings;
  settings.timeout_ms = config.timeout_ms;
  settings.allow_private_targets = config.allow_private_targets;
  webhooks::Deliverer deliverer(*pool, DefaultClock(), settings, [pool](const webhooks::DisabledEndpoint& d) {
    log::Warn("webhook endpoint disabled after failing for 24 hours",
              {{"business_id", d.business_id}, {"endpoint_id", d.endpoint_id}});
    notify::EnqueueWebhookDisabledAlert(*pool, d.business_id, d.endpoint_id, d.url, d.reason, DefaultClock().Now());
  });
  try {
    for (int i = 0; i < kMaxBatchesPerRound && deliverer.RunOnce() > 0; ++i) {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
  } catch (const Unavailable& e) {
    log::Debug("webhooks not delivered this round", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log::Warn("delivering webhooks failed", {{"error", e.what()}});
  }
  Prune(*pool);
}

void WebhookWorker::Prune(db::Pool& pool) {
  const auto started = std::chrono::steady_clock::now();
  if (started < next_prune_) return;
  next_prune_ = started + kPruneInterval;
  const TimePoint before =
      DefaultClock().Now() - std::chrono::hours{24} * app_.config().webhooks.delivery_retention_days;
  webhooks::Pruned total;
  try {
    for (int i = 0; i < kMaxPruneBatches; ++i) {
      const webhooks::Pruned pruned = webhooks::Prune(pool, before, kPruneBatch);
      total.deliveries += pruned.deliveries;
      total.jobs += pruned.jobs;
      if (pruned.deliveries < kPruneBatch && pruned.jobs < kPruneBatch) break;
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
  } catch (const Unavailable& e) {
    log::Debug("webhook history not pruned this round", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log::Warn("pruning webhook history failed", {{"error", e.what()}});
  }
  if (total.deliveries > 0 || total.jobs > 0) {
    log::Info("webhook history pruned", {{"deliveries", total.deliveries},
                                         {"jobs", total.jobs}});
  }
}

}  // namespace omni::omnid
