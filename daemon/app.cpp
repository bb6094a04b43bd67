// App: the database pool slot; see app.hpp.
#include "daemon/app.hpp"

#include "core/billing/stripe_client.hpp"
#include "core/common/error.hpp"
#include "core/http/client.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {

App::App(config::Config config, BlockingExecutor& blocking, Metrics& metrics)
    : config_(std::move(config)),
      blocking_(blocking),
      metrics_(metrics),
      price_ids_(billing::ResolvePriceIds(config_.stripe.price_ids)),
      webchat_(std::make_unique<WebchatService>(*this)) {
  if (config_.stripe.api_key.empty()) return;
  stripe_http_ = http::MakeHttpClient(http::ClientSettings{config_.llm.ca_file, "omni/0.1 (stripe)"});
  stripe_ = std::make_unique<billing::StripeClient>(*stripe_http_, billing::StripeClientSettingsFor(config_.stripe));
}

App::~App() = default;

db::Pool& App::pool() const {
  if (auto* pool = pool_if_ready()) return *pool;
  std::lock_guard lock(mutex_);
  throw Unavailable(database_error_, database_hint_);
}

void App::SetPool(std::unique_ptr<db::Pool> pool) {
  if (pool_if_ready() != nullptr) return;
  webchat_->Start(*pool);
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

}  // namespace omni::omnid
