// The public chat API's shared state and plumbing, used by the chat_*
// handlers: the assistant (core/chat/assistant.hpp: the chat engine, its
// clients and the business cache), the LISTEN hub for live conversation
// changes, the visitor token secret, rate limiters, and the
// CORS/authentication wrapper every chat route runs through (RunChat).
//
// Thread-safe: WebchatService may be used from any thread; what needs the
// database is there once Start has returned.
#pragma once

#include <memory>
#include <string>

#include "core/business/business.hpp"
#include "core/webchat/token.hpp"
#include "daemon/handler.hpp"

namespace omni::chat {
class Assistant;
}
namespace omni::db {
class Pool;
}
namespace omni::webchat {
class NotificationHub;
class RateLimiter;
}

namespace omni::omnid {

class WebchatService {
 public:
  // Cheap: the rate limiters only, so that they work while the database
  // has not been reached yet.
  explicit WebchatService(App& app);
  ~WebchatService();
  WebchatService(const WebchatService&) = delete;
  WebchatService& operator=(const WebchatService&) = delete;

  // Blocking, called once the database is reached, before omnid uses it
  // (App::SetPool): loads or creates the token secret, starts the
  // notification hub and builds the assistant. Throws Unavailable when the
  // database is lost meanwhile, and ConfigError for a CA file
  // (llm.ca_file) that cannot be loaded; a later call starts afresh.
  void Start(db::Pool& pool);
  // Start has succeeded.
  bool ready() const;

  // These need ready().
  const std::string& token_secret() const;
  chat::Assistant& assistant();
  webchat::NotificationHub& hub();

  webchat::RateLimiter& visitor_limiter();
  webchat::RateLimiter& ip_limiter();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// What RunChat established for a chat route's body.
struct ChatScope {
  WebchatService* service = nullptr;
  std::shared_ptr<const business::Business> business;
  Headers cors;                   // CORS headers for every response of the route
  webchat::VisitorClaims claims;  // with ChatAuth::kToken*: the verified token
};

enum class ChatAuth {
  kNone,                   // session, preflight
  kToken,                  // history, events: a valid token of this business
  kTokenAndVisitorLimit,   // messages: also the visitor's rate limit
};

using ChatBody = asio::awaitable<Response> (*)(Exchange& exchange, ChatScope& scope);

// The checks every /v1/chat/{business_slug}/... route makes, in order: the
// client IP's rate limit (429 + Retry-After), the business (404), the
// request's Origin against the business's allowed origins (403; CORS
// headers otherwise), the visitor token (401 when missing, forged, expired
// or of another business), the visitor's rate limit; then `body`. Errors
// from `body` become JSON errors carrying the CORS headers.
asio::awaitable<Response> RunChat(Exchange& exchange, ChatAuth auth, ChatBody body);

// `response` with `headers` added.
Response WithHeaders(Response response, const Headers& headers);

}  // namespace omni::omnid
