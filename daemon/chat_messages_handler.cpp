// POST /v1/chat/{business_slug}/messages: one chat turn.
//
// Authorization: Bearer TOKEN (from /session). Request JSON:
//   {"message": "...", "conversation_id": "..."}   conversation_id optional:
//   without it a new conversation starts; with it, it must be the visitor's
//   (else 404). A message over server.max_message_chars characters is 413
//   {"error":{"code":"message_too_long",...}}; an empty one 400.
//
// Response (default): 200 text/event-stream, header X-Conversation-Id, then
// these events, each `data` one JSON object:
//   token     {"text"}                          a delta of the reply
//   reset     {}                                drop the text so far (a model restarted,
//                                               or a team member took over)
//   tool      {"name","status"}                 status started | finished | failed
//   citation  {"number","title","source","chunk_id"}    source: a URL, or "" (file
//                                                       paths stay on the server)
//   handoff   {"message"}                       a human owns the conversation now; message is
//                                               for the visitor (the team's reason is not sent)
//   done      {"conversation_id","message_id","reply","status","handoff",
//              "offline","usage":{"prompt_tokens","completion_tokens","model"}}
//   error     {"code","message"}                the turn failed and no reply was stored (a reset
//                                               came first if text had streamed); the stream ends
// and a comment line (": keep-alive") every server.sse_keepalive_ms while
// the model thinks. done or error is always the last event.
//
// With `Accept: application/json` (and not text/event-stream) or
// ?stream=false: 200 JSON {"conversation_id","message_id","reply","status",
// "handoff","offline","citations":[...],"tools":[{"name","ok"}],"usage"}.
//
// The turn runs in chat::Engine: database steps on omnid's worker pool,
// the model's stream on the LLM client's I/O thread; this coroutine only
// waits on an EventQueue, so a waiting turn holds no thread. The engine
// checks that a given conversation is the visitor's, or opens a new one,
// in the transaction that stores the message; the stream starts once it
// has (kOpened), so a conversation that is not the visitor's, like a
// database that is down, is a plain JSON error. A client that goes away
// does not stop the turn: the reply is stored and shows up in the history.
#include <chrono>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/chat/assistant.hpp"
#include "core/chat/engine.hpp"
#include "core/common/error.hpp"
#include "core/http/sse.hpp"
#include "core/webchat/policy.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/chat_handlers.hpp"
#include "daemon/event_queue.hpp"
#include "daemon/http_errors.hpp"
#include "daemon/sse.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

constexpr const char* kTurnFailedText =
    "Sorry, your message could not be answered just now. Please send it again in a moment.";

// The result of a turn, filled by the engine's done callback before the
// queue closes.
struct TurnOutcome {
  std::exception_ptr error;
  chat::TurnResult result;
};

// What a turn sends this coroutine: first that its conversation is open,
// then its events.
struct TurnItem {
  enum class Kind { kOpened, kEvent };
  Kind kind = Kind::kEvent;
  std::string text;  // kOpened: the conversation id; kEvent: an SSE event
};
using TurnQueue = EventQueue<TurnItem>;

json DoneJson(const chat::TurnResult& result) {
  return {{"conversation_id", result.conversation_id},
          {"message_id", result.reply_message_id},
          {"reply", result.reply},
          {"status", chat::StatusName(result.status)},
          {"handoff", result.handoff},
          {"offline", result.offline},
          {"usage",
           {{"prompt_tokens", result.usage.prompt_tokens},
            {"completion_tokens", result.usage.completion_tokens},
            {"model", result.usage.model}}}};
}

std::string FormatEvent(const chat::TurnEvent& event) {
  using Kind = chat::TurnEvent::Kind;
  switch (event.kind) {
    case Kind::kToken: return http::FormatSseEvent("token", json{{"text", event.text}}.dump());
    case Kind::kReset: return http::FormatSseEvent("reset", "{}");
    case Kind::kTool:
      return http::FormatSseEvent("tool", json{{"name", event.tool_name}, {"status", event.tool_status}}.dump());
    case Kind::kCitation:
      return http::FormatSseEvent("citation", json{{"number", event.citation_number},
                                                   {"title", event.citation.title},
                                                   {"source", webchat::VisitorSource(event.citation.source)},
                                                   {"chunk_id", event.citation.chunk_id}}
                                                  .dump());
    case Kind::kHandoff: return http::FormatSseEvent("handoff", json{{"message", event.text}}.dump());
    default: return {};  // done and error come from the turn's completion
  }
}

bool WantsJson(const Request& request) {
  if (const auto stream = request.Query("stream"); stream && (*stream == "false" || *stream == "0")) return true;
  const auto accept = request.Header("Accept").value_or("");
  return accept.find("application/json") != std::string::npos && accept.find("text/event-stream") == std::string::npos;
}

struct MessageInput {
  std::string text;
  std::string conversation_id;
};

MessageInput ParseMessage(const Request& request) {
  const json body = request.JsonBody();
  if (!body.is_object() || !body.contains("message") || !body["message"].is_string()) {
    throw InvalidInput("message: expected a string field \"message\"");
  }
  MessageInput input;
  input.text = body["message"].get<std::string>();
  if (input.text.find_first_not_of(" \t\r\n") == std::string::npos) throw InvalidInput("message: it is empty");
  if (body.contains("conversation_id") && !body["conversation_id"].is_null()) {
    if (!body["conversation_id"].is_string()) throw InvalidInput("conversation_id: expected a string");
    input.conversation_id = body["conversation_id"].get<std::string>();
  }
  return input;
}

// Rethrows the turn's error for a JSON client.
void ThrowIfFailed(const std::exception_ptr& error) {
  if (error) std::rethrow_exception(error);
}

Response MessageTooLong(std::size_t chars, int limit) {
  return ErrorResponse(413, "message_too_long",
                       "message: " + std::to_string(chars) + " characters, over the limit of " + std::to_string(limit),
                       "Send a shorter message.");
}

// The same code and message a JSON client would get, never internals. A
// failure on omni's side gets words for the visitor instead: the reply
// streamed so far was withdrawn (a reset event) and nothing was stored.
std::string ErrorEventData(const std::exception_ptr& error, const Request& request) {
  const auto response = ResponseForException(error, request);
  auto data = json::parse(response.body, nullptr, false).value("error", json::object());
  if (response.status >= 500) {
    data["message"] = kTurnFailedText;
    data.erase("hint");
  }
  return data.dump();
}

// The non-streaming answer.
Response JsonTurnResponse(const chat::TurnResult& result) {
  json out = DoneJson(result);
  json citations = json::array();
  for (const auto& ref : result.citations) {
    citations.push_back({{"number", ref.number},
                         {"title", ref.passage.title},
                         {"source", webchat::VisitorSource(ref.passage.source)},
                         {"chunk_id", ref.passage.chunk_id}});
  }
  json tools = json::array();
  for (const auto& call : result.tool_calls) tools.push_back({{"name", call.name}, {"ok", call.ok}});
  out["citations"] = std::move(citations);
  out["tools"] = std::move(tools);
  auto response = Response::Json(200, out);
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

// Starts the turn; its events (unless `json_only`) and its end go to `queue`.
void Start(chat::Engine& engine, chat::TurnRequest turn, const std::shared_ptr<TurnQueue>& queue,
           const std::shared_ptr<TurnOutcome>& outcome, bool json_only) {
  chat::TurnEventCallback on_event;
  if (!json_only) {
    on_event = [queue](const chat::TurnEvent& event) {
      if (event.kind == chat::TurnEvent::Kind::kOpened) {
        queue->Push({TurnItem::Kind::kOpened, event.conversation_id});
      } else if (auto chunk = FormatEvent(event); !chunk.empty()) {
        queue->Push({TurnItem::Kind::kEvent, std::move(chunk)});
      }
    };
  }
  engine.StartTurn(std::move(turn), std::move(on_event),
                   [queue, outcome](std::exception_ptr error, chat::TurnResult result) {
                     outcome->error = error;
                     outcome->result = std::move(result);
                     queue->Close();
                   });
}

// Waits until the turn's conversation is open; its id, or "" when the
// turn ended before (outcome.error says why). `pending` gets the events
// that came with it.
asio::awaitable<std::string> WaitOpened(TurnQueue& queue, std::vector<TurnItem>& pending) {
  while (!queue.finished()) {
    auto items = co_await queue.Next(std::chrono::seconds(1));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind != TurnItem::Kind::kOpened) continue;
      pending.assign(std::make_move_iterator(items.begin() + static_cast<std::ptrdiff_t>(i) + 1),
                     std::make_move_iterator(items.end()));
      co_return items[i].text;
    }
  }
  co_return std::string();
}

// Relays the turn's events as SSE until it ends with done or error.
asio::awaitable<void> Stream(Exchange& exchange, Headers head, const std::string& conversation_id, TurnQueue& queue,
                             std::vector<TurnItem> pending, const TurnOutcome& outcome,
                             std::chrono::milliseconds keepalive) {
  head.Set("X-Conversation-Id", conversation_id);
  SseStream sse(exchange);
  co_await sse.Start(std::move(head));
  auto last_write = std::chrono::steady_clock::now();
  auto items = std::move(pending);
  for (;;) {
    if (items.empty()) {
      if (queue.finished()) break;
      const auto since =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_write);
      const auto wait = since < keepalive ? keepalive - since : std::chrono::milliseconds(1);
      items = co_await queue.Next(wait);
    }
    if (items.empty()) {
      if (std::chrono::steady_clock::now() - last_write >= keepalive) {
        co_await sse.Comment("keep-alive");
        last_write = std::chrono::steady_clock::now();
      }
      continue;
    }
    // One chunk for everything queued: fewer writes when the client is slow.
    std::string batch;
    for (auto& item : items) batch += item.text;
    items.clear();
    co_await exchange.WriteChunk(std::move(batch));
    last_write = std::chrono::steady_clock::now();
  }
  if (outcome.error) {
    co_await sse.Send("error", ErrorEventData(outcome.error, exchange.request()));
  } else {
    co_await sse.Send("done", DoneJson(outcome.result).dump());
  }
}

asio::awaitable<Response> Messages(Exchange& exchange, ChatScope& scope) {
  const Request& request = exchange.request();
  App& app = exchange.app();
  const auto& settings = app.config().server;
  MessageInput input = ParseMessage(request);
  std::string conversation_id = std::move(input.conversation_id);
  const std::size_t chars = webchat::CountCharacters(input.text);
  if (chars > static_cast<std::size_t>(settings.max_message_chars)) {
    co_return MessageTooLong(chars, settings.max_message_chars);
  }

  const auto& claims = scope.claims;
  chat::TurnRequest turn;
  turn.business = scope.business;
  turn.text = std::move(input.text);
  turn.conversation_id = std::move(conversation_id);
  turn.channel = chat::Channel::kWebchat;
  turn.visitor = webchat::VisitorOf(claims);
  if (claims.verified) turn.verified_customer_id = claims.customer_id;

  const bool json_only = WantsJson(request);
  auto queue = co_await MakeEventQueue<TurnItem>();
  auto outcome = std::make_shared<TurnOutcome>();
  Start(scope.service->assistant().engine(), std::move(turn), queue, outcome, json_only);

  const auto keepalive = std::chrono::milliseconds(settings.sse_keepalive_ms);
  if (json_only) {
    // Only the end matters: the engine sends no events to a JSON client.
    while (!queue->finished()) {
      const auto ignored = co_await queue->Next(keepalive);
    }
    ThrowIfFailed(outcome->error);
    co_return JsonTurnResponse(outcome->result);
  }

  std::vector<TurnItem> pending;
  const std::string opened = co_await WaitOpened(*queue, pending);
  // Nothing was stored: a plain error, as for a JSON client.
  if (opened.empty()) ThrowIfFailed(outcome->error);
  co_await Stream(exchange, scope.cors, opened, *queue, std::move(pending), *outcome, keepalive);
  co_return Response();
}

}  // namespace

asio::awaitable<Response> HandleChatMessages(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kTokenAndVisitorLimit, &Messages);
}

}  // namespace omni::omnid
