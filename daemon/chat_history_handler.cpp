// GET /v1/chat/{business_slug}/conversations/{id}/messages: what the
// visitor sees of one of its conversations, for a reload or a second tab.
//
// Authorization: Bearer TOKEN. Optional ?after=SEQ returns only newer
// messages. A conversation that is not the token's is 404.
// Response 200: {"conversation_id","status","messages":[{"id","seq","role"
// (user | assistant | human),"content","created_at","author" (human),
// "citations" (assistant)}]}; no tool steps, no dropped replies.
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/chat_handlers.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

std::int64_t AfterSeq(const Request& request) {
  const auto after = request.Query("after");
  if (!after || after->empty()) return 0;
  if (after->size() > 18 || after->find_first_not_of("0123456789") != std::string::npos) {
    throw InvalidInput("after: expected a message seq number, got \"" + *after + "\"");
  }
  return std::stoll(*after);
}

asio::awaitable<Response> History(Exchange& exchange, ChatScope& scope) {
  const Request& request = exchange.request();
  const std::int64_t after = AfterSeq(request);
  const std::string& id = request.Param("id");
  auto& pool = exchange.app().pool();
  const auto& claims = scope.claims;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto conversation = webchat::OwnedConversation(pool, claims, id);
    json messages = json::array();
    for (const auto& message : webchat::VisibleMessages(pool, claims.business_id, conversation.id, after)) {
      messages.push_back(webchat::MessageJson(message));
    }
    return json{{"conversation_id", conversation.id},
                {"status", chat::StatusName(conversation.status)},
                {"messages", std::move(messages)}};
  });
  auto response = Response::Json(200, body);
  response.headers.Set("Cache-Control", "no-store");
  co_return response;
}

}  // namespace

asio::awaitable<Response> HandleChatHistory(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kToken, &History);
}

}  // namespace omni::omnid
