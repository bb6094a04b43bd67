// UnansweredSweep; see unanswered_sweep.hpp.
#include "daemon/unanswered_sweep.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/business/business.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"

namespace omni::omnid {

UnansweredSweep::UnansweredSweep(App& app) : app_(app) {
  const auto period = std::chrono::seconds(std::clamp(app_.config().server.unanswered_after_s / 2, 1, 60));
  thread_ = std::thread([this, period] {
    for (;;) {
      Sweep();
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, period, [this] { return stopping_; })) return;
    }
  });
}

UnansweredSweep::~UnansweredSweep() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void UnansweredSweep::Sweep() {
  db::Pool* pool = app_.pool_if_ready();
  if (pool == nullptr) return;
  const int after_s = app_.config().server.unanswered_after_s;
  try {
    for (const auto& business : business::List(*pool)) {
      if (const int marked = chat::MarkUnanswered(*pool, business.id, after_s); marked > 0) {
        log::Warn("customer messages left without a reply marked failed",
                  {{"business", business.spec.slug}, {"messages", marked}});
      }
    }
  } catch (const Unavailable& e) {
    // The database is away; the next round tries again.
    log::Debug("unanswered messages not checked", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log::Warn("checking for unanswered messages failed", {{"error", e.what()}});
  }
}

}  // namespace omni::omnid
