// WebchatService and RunChat; see webchat.hpp.
#include "daemon/webchat.hpp"

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/chat/assistant.hpp"
#include "core/chat/business_cache.hpp"
#include "core/common/error.hpp"
#include "core/common/executor.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "core/webchat/notifications.hpp"
#include "core/webchat/policy.hpp"
#include "core/webchat/rate_limit.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {
namespace {

// The engine posts its database steps to omnid's worker pool.
class WorkerExecutor final : public omni::BlockingExecutor {
 public:
  explicit WorkerExecutor(omnid::BlockingExecutor& workers) : workers_(workers) {}
  void Post(std::function<void()> fn) override { workers_.Post(std::move(fn)); }

 private:
  omnid::BlockingExecutor& workers_;
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

  std::mutex start_mutex;
  std::atomic<bool> ready{false};
  std::string token_secret;
  std::unique_ptr<webchat::NotificationHub> hub;
  std::unique_ptr<chat::Assistant> assistant;
};

WebchatService::WebchatService(App& app) : impl_(std::make_unique<Impl>(app)) {}

WebchatService::~WebchatService() = default;

void WebchatService::Start(db::Pool& pool) {
  std::lock_guard lock(impl_->start_mutex);
  if (impl_->ready.load()) return;
  const auto& config = impl_->app.config();
  // Nothing is kept from an attempt that fails: its pool goes with it.
  auto token_secret =
      config.server.token_secret.empty() ? webchat::LoadOrCreateTokenSecret(pool) : config.server.token_secret;
  auto hub = std::make_unique<webchat::NotificationHub>(pool);
  auto assistant = std::make_unique<chat::Assistant>(config, pool, impl_->workers, DefaultClock(), "omnid/0.1");
  impl_->token_secret = std::move(token_secret);
  impl_->hub = std::move(hub);
  impl_->assistant = std::move(assistant);
  impl_->ready.store(true, std::memory_order_release);
}

bool WebchatService::ready() const { return impl_->ready.load(std::memory_order_acquire); }
const std::string& WebchatService::token_secret() const { return impl_->token_secret; }
chat::Assistant& WebchatService::assistant() { return *impl_->assistant; }
webchat::NotificationHub& WebchatService::hub() { return *impl_->hub; }
webchat::RateLimiter& WebchatService::visitor_limiter() { return impl_->visitor_limiter; }
webchat::RateLimiter& WebchatService::ip_limiter() { return impl_->ip_limiter; }

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
  WebchatService& service = app.webchat();
  const auto now = DefaultClock().Now();

  // Before any database work, so that a flood costs nothing but this.
  if (const int wait_s = service.ip_limiter().Take(request.remote_address, now); wait_s > 0) {
    co_return TooManyRequests(wait_s, "requests from this address");
  }

  ChatScope scope;
  scope.service = &service;
  std::exception_ptr error;
  try {
    // Until the database is reached: Unavailable, with why.
    if (!service.ready()) app.pool();
    auto& businesses = service.assistant().businesses();
    const std::string& slug = request.Param("business_slug");
    scope.business = businesses.Find(slug);
    if (!scope.business) {
      scope.business = co_await RunBlocking(app.blocking(), [&businesses, &slug] { return businesses.Get(slug); });
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (error) co_return ResponseForException(error, request);

  const auto& widget = scope.business->spec.widget;
  if (const auto origin = request.Header("Origin")) {
    // CORS headers go on every answer, a refusal included: without them the
    // browser hides the refusal behind "Failed to fetch", and neither the
    // widget nor the site's developer could learn why. They grant nothing,
    // since the refused request itself does no work.
    scope.cors.Set("Access-Control-Allow-Origin", *origin);
    scope.cors.Set("Vary", "Origin");
    scope.cors.Set("Access-Control-Expose-Headers", "Retry-After, X-Conversation-Id, X-Request-Id");
    // The preflight passes, so that the request it precedes can carry its
    // readable 403.
    if (request.method != "OPTIONS" && !IsOwnOrigin(request, *origin) &&
        !webchat::OriginAllowed(widget.allowed_origins, *origin)) {
      const std::string& slug = scope.business->spec.slug;
      const std::string hint = "Add " + *origin + " to widget.allowed_origins in the business file of " + slug +
                               " and run `omni business apply -f FILE`.";
      log::Warn("chat refused: origin not allowed",
                {{"request_id", request.request_id}, {"origin", *origin}, {"business", slug}, {"hint", hint}});
      co_return WithHeaders(
          ErrorResponse(403, "origin_not_allowed", "origin " + *origin + " may not use the chat of " + slug, hint),
          scope.cors);
    }
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
