// App: the database pool slot; see app.hpp.
#include "daemon/app.hpp"

#include "core/common/error.hpp"

namespace omni::omnid {

db::Pool& App::pool() const {
  if (auto* pool = pool_if_ready()) return *pool;
  std::lock_guard lock(mutex_);
  throw Unavailable(database_error_, database_hint_);
}

void App::SetPool(std::unique_ptr<db::Pool> pool) {
  std::lock_guard lock(mutex_);
  if (pool_) return;
  pool_ = std::move(pool);
  pool_ptr_.store(pool_.get(), std::memory_order_release);
}

void App::SetDatabaseError(std::string message, std::string hint) {
  std::lock_guard lock(mutex_);
  database_error_ = std::move(message);
  database_hint_ = std::move(hint);
}

WebchatService& App::Webchat(const std::function<std::shared_ptr<WebchatService>()>& make) {
  std::lock_guard lock(webchat_mutex_);
  if (!webchat_) webchat_ = make();
  return *webchat_;
}

}  // namespace omni::omnid
