// MeterWorker; see meter_worker.hpp.
#include "daemon/meter_worker.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "core/billing/meter.hpp"
#include "core/billing/stripe_client.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/http/client.hpp"

namespace omni::omnid {

MeterWorker::MeterWorker(App& app) : app_(app) {
  if (app_.config().stripe.api_key.empty()) return;
  http_ = http::MakeHttpClient(http::ClientSettings{app_.config().llm.ca_file, "omni/0.1 (stripe)"});
  thread_ = std::thread([this] { Run(); });
}

MeterWorker::~MeterWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MeterWorker::Run() {
  const auto& stripe = app_.config().stripe;
  const billing::StripeClient client(*http_, billing::StripeClientSettingsFor(stripe));
  billing::MeterSettings settings;
  settings.event_name = stripe.meter_event_name;
  settings.backoff_base = std::chrono::milliseconds(stripe.meter_retry_base_ms);
  settings.stop = [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  const auto idle = std::chrono::milliseconds(stripe.meter_poll_ms);
  std::mt19937 random(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto jitter = [&] { return unit(random); };
  for (;;) {
    bool backlog = false;
    if (db::Pool* pool = app_.pool_if_ready()) {
      try {
        const auto stats = billing::DrainMeterEvents(*pool, client, settings, DefaultClock(), jitter);
        backlog = stats.sent + stats.retried + stats.failed + stats.lost == settings.batch;
        if (stats.failed > 0 || stats.retried > 0) {
          log::Warn("stripe meter events not sent", {{"retrying", stats.retried}, {"failed", stats.failed}});
        }
      } catch (const Unavailable& e) {
        log::Debug("stripe meter events not drained", {{"error", e.what()}});
      } catch (const std::exception& e) {
        log::Warn("draining stripe meter events failed", {{"error", e.what()}});
      }
    }
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    if (!backlog && wake_.wait_for(lock, idle, [this] { return stopping_; })) return;
  }
}

}  // namespace omni::omnid
