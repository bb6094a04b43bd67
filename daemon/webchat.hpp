// The public chat API's shared state and plumbing, used by the chat_*
// handlers: the chat engine and its LLM client, the LISTEN hub for live
// conversation changes, the visitor token secret, rate limiters, a short
// business cache, the CORS/authentication wrapper every chat route runs
// through (RunChat), and EventQueue, which carries events from other
// threads (LLM I/O, the listener) to a handler's coroutine.
//
// Thread-safe: WebchatService may be used from any thread once Ready has
// completed; an EventQueue may be pushed to from any thread and awaited by
// one coroutine.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/business/business.hpp"
#include "core/webchat/token.hpp"
#include "daemon/handler.hpp"

namespace omni::chat {
class Engine;
}
namespace omni::webchat {
class NotificationHub;
class RateLimiter;
}

namespace omni::omnid {

class WebchatService {
 public:
  // Cheap: the database work happens in Initialize.
  explicit WebchatService(App& app);
  ~WebchatService();
  WebchatService(const WebchatService&) = delete;
  WebchatService& operator=(const WebchatService&) = delete;

  // Blocking (call on a database thread; later calls return at once):
  // loads or creates the token secret, starts the notification hub, builds
  // the engine. Throws Unavailable while the database is unreachable.
  void Initialize();
  bool ready() const;

  const std::string& token_secret() const;
  chat::Engine& engine();
  webchat::NotificationHub& hub();
  webchat::RateLimiter& visitor_limiter();
  webchat::RateLimiter& ip_limiter();

  // The business from a 2-second cache, or nullptr when not cached.
  std::shared_ptr<const business::Business> CachedBusiness(const std::string& slug) const;
  // Reads the business (blocking) and caches it; NotFound when unknown.
  std::shared_ptr<const business::Business> LoadBusiness(const std::string& slug);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Carries SSE chunks (or any strings) from other threads to one coroutine.
class EventQueue {
 public:
  virtual ~EventQueue() = default;
  // Appends and wakes the waiting coroutine. Any thread; never blocks long.
  virtual void Push(std::string item) = 0;
  // No more items will come. Any thread.
  virtual void Close() = 0;
  // Waits until items are queued, the queue is closed, or `timeout`
  // passed; returns the items queued so far (empty on timeout).
  virtual asio::awaitable<std::vector<std::string>> Next(std::chrono::milliseconds timeout) = 0;
  // Closed and every item taken.
  virtual bool finished() const = 0;
};

// A queue bound to the calling coroutine's executor.
asio::awaitable<std::shared_ptr<EventQueue>> MakeEventQueue();

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
