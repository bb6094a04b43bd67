// GET /v1/chat/{business_slug}/conversations/{id}/events: a Server-Sent
// Events stream of what happens to one of the visitor's conversations
// while it is open, from any omnid process on the database (PostgreSQL
// LISTEN/NOTIFY through webchat::NotificationHub).
//
// Authorization: Bearer TOKEN (EventSource cannot set headers: the widget
// reads the stream with fetch). A conversation that is not the token's is 404.
// Messages newer than ?after=SEQ (or the Last-Event-ID header) are sent
// first; without either, only what happens from now on.
// Events:
//   status   {"status"}   first the current status, then every change
//                         (AI_ACTIVE, ESCALATED, RESOLVED, REOPENED)
//   message  {"id","seq","role","content","created_at","author"?,"citations"?}
//            with SSE id = seq: every new visible message (a team member's
//            reply is role "human"; the visitor's own and the AI's also come,
//            so a second tab stays in step: skip ids already shown)
// plus ": keep-alive" comments every server.sse_keepalive_ms. The stream
// ends when omnid shuts down; reconnect with Last-Event-ID.
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/http/sse.hpp"
#include "core/webchat/notifications.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/chat_handlers.hpp"
#include "daemon/event_queue.hpp"
#include "daemon/sse.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// How often a quiet stream checks whether omnid is shutting down.
constexpr auto kStopCheck = std::chrono::milliseconds(1000);

std::optional<std::int64_t> AfterSeq(const Request& request) {
  auto text = request.Query("after");
  if (!text) text = request.Header("Last-Event-ID");
  if (!text || text->empty()) return std::nullopt;
  if (text->size() > 18 || text->find_first_not_of("0123456789") != std::string::npos) {
    throw InvalidInput("after: expected a message seq number, got \"" + *text + "\"");
  }
  return std::stoll(*text);
}

// SSE `message` events for the messages newer than `last_seq`, which
// advances past them.
std::string FormatMessages(const std::vector<webchat::VisibleMessage>& messages, std::int64_t& last_seq) {
  std::string chunk;
  for (const auto& message : messages) {
    if (message.seq <= last_seq) continue;
    last_seq = message.seq;
    chunk += http::FormatSseEvent("message", webchat::MessageJson(message).dump(), std::to_string(message.seq));
  }
  return chunk;
}

struct Snapshot {
  std::string status;
  std::vector<webchat::VisibleMessage> messages;
};

asio::awaitable<Response> Events(Exchange& exchange, ChatScope& scope) {
  const Request& request = exchange.request();
  App& app = exchange.app();
  auto& pool = app.pool();
  const auto& claims = scope.claims;
  const std::string& id = request.Param("id");
  std::optional<std::int64_t> after = AfterSeq(request);

  auto queue = co_await MakeEventQueue<webchat::VisitorUpdate>();
  // Subscribe before reading the database, so nothing falls in between.
  std::optional<webchat::NotificationHub::Subscription> subscription;
  subscription.emplace(scope.service->hub().Subscribe(id, [queue](const webchat::ConversationNotice& notice) {
    if (auto update = webchat::UpdateForVisitor(notice)) queue->Push(std::move(*update));
  }));
  const auto snapshot = co_await RunBlocking(app.blocking(), [&] {
    Snapshot result;
    const auto conversation = webchat::OwnedConversation(pool, claims, id);
    result.status = chat::StatusName(conversation.status);
    result.messages = webchat::VisibleMessages(pool, claims.business_id, conversation.id, after.value_or(0));
    return result;
  });
  std::int64_t last_seq = after.value_or(0);
  if (!after) {
    // No backlog asked for: start after the newest message.
    for (const auto& message : snapshot.messages) last_seq = std::max(last_seq, message.seq);
  }

  SseStream sse(exchange);
  co_await sse.Start(scope.cors);
  std::string status = snapshot.status;
  const std::string first = json{{"status", status}}.dump();
  co_await sse.Send("status", first);
  if (auto chunk = FormatMessages(snapshot.messages, last_seq); !chunk.empty()) {
    co_await exchange.WriteChunk(std::move(chunk));
  }

  const auto keepalive = std::chrono::milliseconds(app.config().server.sse_keepalive_ms);
  auto last_write = SteadyClock::now();
  while (!exchange.stopping()) {
    const auto items = co_await queue->Next(std::min(kStopCheck, keepalive));
    bool fetch = false;
    std::string chunk;
    for (const auto& update : items) {
      if (update.kind == webchat::VisitorUpdate::Kind::kMessages) {
        fetch = true;
      } else if (update.status != status) {
        status = update.status;
        chunk += http::FormatSseEvent("status", json{{"status", status}}.dump());
      }
    }
    if (fetch) {
      const std::int64_t since = last_seq;
      const auto messages = co_await RunBlocking(app.blocking(), [&] {
        return webchat::VisibleMessages(pool, claims.business_id, id, since);
      });
      chunk += FormatMessages(messages, last_seq);
    }
    if (!chunk.empty()) {
      co_await exchange.WriteChunk(std::move(chunk));
      last_write = SteadyClock::now();
    } else if (SteadyClock::now() - last_write >= keepalive) {
      co_await sse.Comment("keep-alive");
      last_write = SteadyClock::now();
    }
  }
  co_return Response{};
}

}  // namespace

asio::awaitable<Response> HandleChatEvents(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kToken, &Events);
}

}  // namespace omni::omnid
