// GET /v1/console/events: a Server-Sent Events stream of what happens to
// the conversations of the caller's business (conversations:read), from
// every omnid instance on the database: PostgreSQL LISTEN/NOTIFY through
// the process's one listening connection (webchat::NotificationHub),
// fanned out here by business, so another business's events never reach
// the stream. A session's cookie works with EventSource (same origin); a
// key is sent as Authorization: Bearer.
//
// Events:
//   ready         {}  first, and again when this omnid lost and regained its
//                 listening connection (events may have been missed): read
//                 the inbox afresh. A client that reconnects gets it too.
//   conversation  {"conversation_id","kind"}: kind as webchat::InboxKind
//                 ("visitor_message", "ai_message", "human_message",
//                 "handoff", "resolve", "reopen", "ai_active", "assign",
//                 "note"); never message text: read the conversation.
//   teammate_removed {"user_id"}: a team member was removed, and the
//                 conversations assigned to them are unassigned (one event
//                 however many): re-read the inbox, the open conversation
//                 and the teammates.
//   signed_out    {}  the session ended or the key was revoked, or the
//                 caller was removed from the team (at once, not at the next
//                 check); the stream then closes.
// plus ": keep-alive" comments every server.sse_keepalive_ms, at which the
// credential is checked again. The stream ends when omnid shuts down.
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/common/clock.hpp"
#include "core/http/sse.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/sessions.hpp"
#include "core/webchat/notifications.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/event_queue.hpp"
#include "daemon/sse.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// How often a quiet stream checks whether omnid is shutting down.
constexpr auto kStopCheck = std::chrono::milliseconds(1000);
// How long EventSource waits before reconnecting after the stream ends.
constexpr const char* kRetry = "retry: 2000\n\n";

asio::awaitable<Response> Events(Exchange& exchange, ConsoleCall& call) {
  App& app = exchange.app();
  auto& pool = app.pool();
  const auto& principal = call.principal;
  auto queue = co_await MakeEventQueue<webchat::ConversationNotice>();
  auto subscription = app.webchat().hub().SubscribeBusiness(
      principal.business_id, [queue](const webchat::ConversationNotice& notice) { queue->Push(notice); });

  SseStream sse(exchange);
  co_await sse.Start();
  co_await exchange.WriteChunk(kRetry);
  co_await sse.Send("ready", "{}");

  const auto keepalive = std::chrono::milliseconds(app.config().server.sse_keepalive_ms);
  auto last_write = SteadyClock::now();
  bool signed_out = false;
  while (!exchange.stopping()) {
    const auto notices = co_await queue->Next(std::min(kStopCheck, keepalive));
    std::string chunk;
    for (const auto& notice : notices) {
      // The hub delivers by business already; checking again keeps a
      // mistake there from ever crossing businesses.
      if (notice.business_id != principal.business_id) continue;
      if (notice.kind == webchat::ConversationNotice::Kind::kResync) {
        chunk += http::FormatSseEvent("ready", "{}");
      } else if (notice.kind == webchat::ConversationNotice::Kind::kTeammateRemoved) {
        if (!principal.user_id.empty() && notice.user_id == principal.user_id) {
          signed_out = true;
          break;
        }
        chunk += http::FormatSseEvent("teammate_removed", json{{"user_id", notice.user_id}}.dump());
      } else if (const char* kind = webchat::InboxKind(notice)) {
        chunk += http::FormatSseEvent("conversation",
                                      json{{"conversation_id", notice.conversation_id}, {"kind", kind}}.dump());
      }
    }
    if (signed_out) {
      co_await sse.Send("signed_out", "{}");
      break;
    }
    if (!chunk.empty()) {
      co_await exchange.WriteChunk(std::move(chunk));
      last_write = SteadyClock::now();
    } else if (SteadyClock::now() - last_write >= keepalive) {
      const bool valid = co_await RunBlocking(app.blocking(), [&] {
        const auto now = DefaultClock().Now();
        if (!call.session_token.empty()) return operators::AuthenticateSession(pool, call.session_token, now).has_value();
        // RunConsole accepted "Bearer <key>" from this header.
        const std::string key = exchange.request().Header("Authorization").value_or("").substr(7);
        return operators::AuthenticateKey(pool, key, now).has_value();
      });
      if (!valid) {
        co_await sse.Send("signed_out", "{}");
        break;
      }
      co_await sse.Comment("keep-alive");
      last_write = SteadyClock::now();
    }
  }
  co_return Response{};
}

}  // namespace

asio::awaitable<Response> HandleConsoleEvents(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsRead, &Events);
}

}  // namespace omni::omnid
