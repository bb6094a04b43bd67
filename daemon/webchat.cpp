// WebchatService, EventQueue and RunChat; see webchat.hpp.
#include "daemon/webchat.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/chat/engine.hpp"
#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/common/text.hpp"
#include "core/http/client.hpp"
#include "core/kb/retriever.hpp"
#include "core/llm/llm.hpp"
#include "core/webchat/notifications.hpp"
#include "core/webchat/policy.hpp"
#include "core/webchat/rate_limit.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kBusinessCacheTtl = std::chrono::seconds(2);

// The engine posts its database steps to omnid's worker pool.
class WorkerExecutor final : public omni::BlockingExecutor {
 public:
  explicit WorkerExecutor(omnid::BlockingExecutor& workers) : workers_(workers) {}
  void Post(std::function<void()> fn) override { workers_.Post(std::move(fn)); }

 private:
  omnid::BlockingExecutor& workers_;
};

class StrandQueue final : public EventQueue, public std::enable_shared_from_this<StrandQueue> {
 public:
  explicit StrandQueue(const asio::any_io_executor& executor) : executor_(executor), timer_(executor) {}

  void Push(std::string item) override {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      items_.push_back(std::move(item));
    }
    Wake();
  }

  void Close() override {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    Wake();
  }

  asio::awaitable<std::vector<std::string>> Next(std::chrono::milliseconds timeout) override {
    if (auto items = Take(); !items.empty() || finished()) co_return items;
    // The wake-up posted by Push runs on this executor, after this wait
    // began, so an item pushed after Take is never missed; a stale wake-up
    // only ends one wait early.
    timer_.expires_after(timeout);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return Take();
  }

  bool finished() const override {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }

 private:
  std::vector<std::string> Take() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> items(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
    items_.clear();
    wake_posted_ = false;
    return items;
  }

  void Wake() {
    {
      std::lock_guard lock(mutex_);
      if (wake_posted_) return;
      wake_posted_ = true;
    }
    asio::post(executor_, [self = shared_from_this()] { self->timer_.cancel(); });
  }

  asio::any_io_executor executor_;
  asio::steady_timer timer_;  // used on executor_ only
  mutable std::mutex mutex_;
  std::deque<std::string> items_;
  bool closed_ = false;
  bool wake_posted_ = false;
};

Response TooManyRequests(int retry_after_s, const std::string& what) {
  auto response = ErrorResponse(429, "rate_limited",
                                "too many " + what + "; retry in " + std::to_string(retry_after_s) + " s",
                                "Wait for the Retry-After seconds before sending again.");
  response.headers.Set("Retry-After", std::to_string(retry_after_s));
  return response;
}

}  // namespace

struct WebchatService::Impl {
  explicit Impl(App& app_in)
      : app(app_in),
        settings(app_in.config().server),
        visitor_limiter({settings.visitor_rate_per_min, static_cast<double>(settings.visitor_burst)}),
        ip_limiter({settings.ip_rate_per_min, static_cast<double>(settings.ip_burst)}),
        workers(app_in.blocking()) {}

  App& app;
  const config::ServerSettings& settings;
  webchat::RateLimiter visitor_limiter;
  webchat::RateLimiter ip_limiter;
  WorkerExecutor workers;

  std::mutex init_mutex;
  std::atomic<bool> ready{false};
  std::string token_secret;
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<llm::LlmClient> llm;
  std::unique_ptr<kb::Retriever> retriever;
  std::unique_ptr<chat::Engine> engine;
  std::unique_ptr<webchat::NotificationHub> hub;

  mutable std::mutex cache_mutex;
  std::map<std::string, std::pair<std::shared_ptr<const business::Business>, SteadyClock::time_point>> cache;
};

WebchatService::WebchatService(App& app) : impl_(std::make_unique<Impl>(app)) {}

WebchatService::~WebchatService() {
  // Stop the LLM client's thread first: its callbacks reach the engine.
  if (impl_->http) impl_->http.reset();
}

void WebchatService::Initialize() {
  if (impl_->ready.load(std::memory_order_acquire)) return;
  std::lock_guard lock(impl_->init_mutex);
  if (impl_->ready.load()) return;
  auto& pool = impl_->app.pool();
  const auto& config = impl_->app.config();
  impl_->token_secret =
      config.server.token_secret.empty() ? webchat::LoadOrCreateTokenSecret(pool) : config.server.token_secret;
  impl_->hub = std::make_unique<webchat::NotificationHub>(pool);
  impl_->http = http::MakeHttpClient(http::ClientSettings{config.llm.ca_file, "omnid/0.1"});
  if (!llm::IsOffline(config.llm)) impl_->llm = llm::MakeOpenAiClient(config.llm, *impl_->http);
  impl_->retriever = std::make_unique<kb::Retriever>(pool, config.kb);
  impl_->engine = std::make_unique<chat::Engine>(pool, *impl_->retriever, impl_->llm.get(), impl_->workers,
                                                 DefaultClock(), chat::EngineSettings{config.llm, billing::ResolvePlans(config.plans)});
  impl_->ready.store(true, std::memory_order_release);
}

bool WebchatService::ready() const { return impl_->ready.load(std::memory_order_acquire); }
const std::string& WebchatService::token_secret() const { return impl_->token_secret; }
chat::Engine& WebchatService::engine() { return *impl_->engine; }
webchat::NotificationHub& WebchatService::hub() { return *impl_->hub; }
webchat::RateLimiter& WebchatService::visitor_limiter() { return impl_->visitor_limiter; }
webchat::RateLimiter& WebchatService::ip_limiter() { return impl_->ip_limiter; }

std::shared_ptr<const business::Business> WebchatService::CachedBusiness(const std::string& slug) const {
  std::lock_guard lock(impl_->cache_mutex);
  const auto it = impl_->cache.find(slug);
  if (it == impl_->cache.end() || SteadyClock::now() >= it->second.second) return nullptr;
  return it->second.first;
}

std::shared_ptr<const business::Business> WebchatService::LoadBusiness(const std::string& slug) {
  auto loaded = std::make_shared<const business::Business>(business::Get(impl_->app.pool(), slug));
  std::lock_guard lock(impl_->cache_mutex);
  impl_->cache[slug] = {loaded, SteadyClock::now() + kBusinessCacheTtl};
  return loaded;
}

asio::awaitable<std::shared_ptr<EventQueue>> MakeEventQueue() {
  co_return std::make_shared<StrandQueue>(co_await asio::this_coro::executor);
}

Response WithHeaders(Response response, const Headers& headers) {
  for (const auto& [name, value] : headers.fields()) response.headers.Set(name, value);
  return response;
}

namespace {

// True when the page that calls comes from omnid itself: the full-page chat
// at /chat/{slug}. Its origin names the host the browser reached us by,
// which is the request's Host header (behind a proxy, the proxy must pass
// Host through), so it is allowed whatever the business's list says.
bool IsOwnOrigin(const Request& request, const std::string& origin) {
  const auto scheme_end = origin.find("://");
  const auto host = request.Header("Host");
  if (scheme_end == std::string::npos || !host || host->empty()) return false;
  return Lower(origin.substr(scheme_end + 3)) == Lower(*host);
}

}  // namespace

asio::awaitable<Response> RunChat(Exchange& exchange, ChatAuth auth, ChatBody body) {
  const Request& request = exchange.request();
  App& app = exchange.app();
  WebchatService& service = app.Webchat([&app] { return std::make_shared<WebchatService>(app); });
  const auto now = DefaultClock().Now();

  // Before any database work, so that a flood costs nothing but this.
  if (const int wait_s = service.ip_limiter().Take(request.remote_address, now); wait_s > 0) {
    co_return TooManyRequests(wait_s, "requests from this address");
  }

  ChatScope scope;
  scope.service = &service;
  std::exception_ptr error;
  try {
    if (!service.ready()) co_await RunBlocking(app.blocking(), [&service] { service.Initialize(); });
    const std::string& slug = request.Param("business_slug");
    scope.business = service.CachedBusiness(slug);
    if (!scope.business) {
      scope.business = co_await RunBlocking(app.blocking(), [&service, &slug] { return service.LoadBusiness(slug); });
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (error) co_return ResponseForException(error, request);

  const auto& widget = scope.business->spec.widget;
  if (const auto origin = request.Header("Origin")) {
    if (!IsOwnOrigin(request, *origin) && !webchat::OriginAllowed(widget.allowed_origins, *origin)) {
      co_return ErrorResponse(403, "origin_not_allowed",
                              "origin " + *origin + " may not use the chat of " + scope.business->spec.slug,
                              "Add it to widget.allowed_origins in the business file and apply it.");
    }
    scope.cors.Set("Access-Control-Allow-Origin", *origin);
    scope.cors.Set("Vary", "Origin");
    scope.cors.Set("Access-Control-Expose-Headers", "Retry-After, X-Conversation-Id, X-Request-Id");
  }

  if (auth != ChatAuth::kNone) {
    const auto header = request.Header("Authorization").value_or("");
    const bool bearer = header.size() > 7 && Lower(header.substr(0, 7)) == "bearer ";
    const auto verdict = webchat::VerifyVisitorToken(bearer ? std::string_view(header).substr(7) : std::string_view(),
                                                     service.token_secret(), now);
    std::string problem;
    if (!bearer) {
      problem = "missing visitor token (Authorization: Bearer TOKEN)";
    } else if (verdict.check == webchat::TokenCheck::kExpired) {
      problem = "visitor token expired";
    } else if (verdict.check != webchat::TokenCheck::kValid) {
      problem = "invalid visitor token";
    } else if (verdict.claims.business_id != scope.business->id) {
      problem = "visitor token is for another business";
    }
    if (!problem.empty()) {
      auto response = ErrorResponse(401, "unauthorized", problem,
                                    "Start a session with POST /v1/chat/" + scope.business->spec.slug + "/session.");
      response.headers.Set("WWW-Authenticate", "Bearer");
      co_return WithHeaders(std::move(response), scope.cors);
    }
    scope.claims = verdict.claims;
    if (auth == ChatAuth::kTokenAndVisitorLimit) {
      if (const int wait_s = service.visitor_limiter().Take(scope.business->id + "/" + scope.claims.visitor_id, now);
          wait_s > 0) {
        co_return WithHeaders(TooManyRequests(wait_s, "messages from this visitor"), scope.cors);
      }
    }
  }

  Response response;
  try {
    response = co_await body(exchange, scope);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) response = ResponseForException(error, request);
  co_return WithHeaders(std::move(response), scope.cors);
}

}  // namespace omni::omnid
