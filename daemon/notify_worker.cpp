// NotifyWorker; see notify_worker.hpp.
#include "daemon/notify_worker.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/config/config.hpp"
#include "core/notify/notify.hpp"

namespace omni::omnid {
namespace {

constexpr auto kPollInterval = std::chrono::seconds(1);
// Rounds back to back while jobs keep coming, but never so many that a
// stop waits long.
constexpr int kMaxBatchesPerRound = 50;

}  // namespace

NotifyWorker::NotifyWorker(App& app) : app_(app) {
  const auto& email = app_.config().email;
  if (email.enabled()) {
    sender_ = notify::MakeSmtpSender(email);
    log::Info("notifications are sent by e-mail", {{"smtp_url", email.smtp_url}});
  } else {
    log::Info("notifications are recorded, not sent: email.smtp_url is not set");
  }
  thread_ = std::thread([this] {
    for (;;) {
      Round();
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, kPollInterval, [this] { return stopping_; })) return;
    }
  });
}

NotifyWorker::~NotifyWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void NotifyWorker::Round() {
  db::Pool* pool = app_.pool_if_ready();
  if (pool == nullptr) return;
  notify::NotifierSettings settings;
  settings.from = app_.config().email.from;
  settings.console_url = config::PublicBaseUrl(app_.config().server) + "/console";
  notify::Notifier notifier(*pool, DefaultClock(), settings, sender_.get());
  try {
    for (int i = 0; i < kMaxBatchesPerRound && notifier.RunOnce() > 0; ++i) {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
  } catch (const Unavailable& e) {
    log::Debug("notifications not sent this round", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log::Warn("sending notifications failed", {{"error", e.what()}});
  }
}

}  // namespace omni::omnid
