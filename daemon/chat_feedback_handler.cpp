// POST /v1/chat/{business_slug}/conversations/{id}/close and
// POST /v1/chat/{business_slug}/conversations/{id}/rating: the visitor ends
// their conversation, and rates it (CSAT) once it is resolved or closed.
//
// Authorization: Bearer TOKEN; a conversation that is not the token's (or
// another business's) is 404, as in the history route.
// close: no body. Response 200 {"conversation_id","status":"RESOLVED",
//   "csat":true}: the widget then asks for a rating.
// rating: body {"score": 1..5, "comment"?: string of at most 2000
//   characters}. Response 200 {"conversation_id","score"}; rating again
//   replaces it. 400 invalid_input for a missing or out-of-range score, 409
//   conflict while the conversation is still open.
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/chat_handlers.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

asio::awaitable<Response> Close(Exchange& exchange, ChatScope& scope) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const auto& claims = scope.claims;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto conversation = chat::CloseByVisitor(pool, claims.business_id, webchat::VisitorOf(claims), id);
    return json{{"conversation_id", conversation.id}, {"status", chat::StatusName(conversation.status)}, {"csat", true}};
  });
  co_return Response::Json(200, body);
}

asio::awaitable<Response> Rate(Exchange& exchange, ChatScope& scope) {
  const Request& request = exchange.request();
  const json input = request.JsonBody();
  if (!input.is_object() || !input.contains("score") || !input["score"].is_number_integer()) {
    throw InvalidInput("score: expected a whole number from 1 to 5");
  }
  const auto score = input["score"].get<std::int64_t>();
  if (score < 1 || score > 5) throw InvalidInput("score: expected a whole number from 1 to 5");
  std::string comment;
  if (input.contains("comment") && !input["comment"].is_null()) {
    if (!input["comment"].is_string()) throw InvalidInput("comment: expected a string");
    comment = input["comment"].get<std::string>();
  }
  const std::string& id = request.Param("id");
  auto& pool = exchange.app().pool();
  const auto& claims = scope.claims;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    chat::RateByVisitor(pool, claims.business_id, webchat::VisitorOf(claims), id, static_cast<int>(score), comment);
    return json{{"conversation_id", id}, {"score", score}};
  });
  co_return Response::Json(200, body);
}

}  // namespace

asio::awaitable<Response> HandleChatClose(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kToken, &Close);
}

asio::awaitable<Response> HandleChatRating(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kToken, &Rate);
}

}  // namespace omni::omnid
