// The operator's handoff actions on a conversation of the caller's
// business (conversations:write), through the same core functions as
// `omni conversations reply` and `resolve`:
//
// POST /v1/console/conversations/{id}/reply  {"text"} (JSON, else 415):
//   a team member's message, authored by the caller (the user's name or
//   email, or key:<name>). The conversation becomes ESCALATED, so the AI
//   stays silent, and the visitor's open widget shows the reply; when
//   nobody is on it, it is assigned to the signed-in user (a key's reply
//   assigns the name key:<name>).
//   200 {"message_id","conversation": ConversationJson}.
// POST /v1/console/conversations/{id}/resolve (no body):
//   200 {"conversation": ConversationJson} with status RESOLVED.
// POST /v1/console/conversations/{id}/escalate  optional {"reason"}:
//   a team member takes it over without writing yet: ESCALATED, so the AI
//   stays silent. 200 {"conversation"}.
// POST /v1/console/conversations/{id}/reopen (no body): a RESOLVED one
//   becomes REOPENED, and the AI answers again; 409 conflict for one that
//   is not resolved. 200 {"conversation"}.
// POST /v1/console/conversations/{id}/assign  {"user_id": id | null}:
//   assigns it to a team member of the business (assigned_user_id; shown
//   by their name, or email), or unassigns it with null; 404 not_found for
//   a user of another business or one removed (the same answer, so another
//   business's ids stay unknown). 200 {"conversation"}.
// 404 for an id that is not a conversation of the caller's business.
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

constexpr std::size_t kMaxReplyBytes = 16 * 1024;

asio::awaitable<Response> Reply(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  nlohmann::json body;
  if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  const std::string text = RequiredString(body, "text", kMaxReplyBytes);
  const std::string& id = request.Param("id");
  auto& pool = exchange.app().pool();
  const auto& principal = call.principal;
  const nlohmann::json out = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto message = chat::HumanReply(pool, principal.business_id, id, text, principal.display_name,
                                              DefaultClock().Now(), principal.user_id);
    return nlohmann::json{{"message_id", message.id},
                          {"conversation", ConversationJson(chat::Get(pool, principal.business_id, id),
                                                            principal.business_phone_region)}};
  });
  co_return Response::Json(200, out);
}

asio::awaitable<Response> Resolve(Exchange& exchange, ConsoleCall& call) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto conversation =
      co_await RunBlocking(exchange.app().blocking(), [&] { return chat::Resolve(pool, business_id, id); });
  co_return Response::Json(200,
                           {{"conversation", ConversationJson(conversation, call.principal.business_phone_region)}});
}

asio::awaitable<Response> Escalate(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  std::string reason;
  if (!request.body.empty()) {
    nlohmann::json body;
    if (auto refused = RequireJsonBody(request, body)) co_return *refused;
    if (body.contains("reason") && !body["reason"].is_null()) reason = RequiredString(body, "reason", 1000);
  }
  if (reason.empty()) reason = "taken over by " + call.principal.display_name;
  const std::string& id = request.Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto conversation =
      co_await RunBlocking(exchange.app().blocking(), [&] { return chat::Escalate(pool, business_id, id, reason); });
  co_return Response::Json(200,
                           {{"conversation", ConversationJson(conversation, call.principal.business_phone_region)}});
}

asio::awaitable<Response> Reopen(Exchange& exchange, ConsoleCall& call) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto conversation =
      co_await RunBlocking(exchange.app().blocking(), [&] { return chat::Reopen(pool, business_id, id); });
  co_return Response::Json(200,
                           {{"conversation", ConversationJson(conversation, call.principal.business_phone_region)}});
}

asio::awaitable<Response> Assign(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  nlohmann::json body;
  if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  if (!body.contains("user_id") || !(body["user_id"].is_null() || body["user_id"].is_string())) {
    throw InvalidInput("user_id: expected a user id or null", "null unassigns the conversation.");
  }
  const std::string user_id = body["user_id"].is_null() ? "" : body["user_id"].get<std::string>();
  if (!user_id.empty() && !IsUuid(user_id)) throw InvalidInput("user_id: expected a user id (a UUID) or null");
  const std::string& id = request.Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto conversation = co_await RunBlocking(exchange.app().blocking(), [&] {
    chat::Get(pool, business_id, id);  // an unknown conversation is 404 before an unknown user
    return chat::Assign(pool, business_id, id, Lower(user_id));
  });
  co_return Response::Json(200,
                           {{"conversation", ConversationJson(conversation, call.principal.business_phone_region)}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleEscalate(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Escalate);
}

asio::awaitable<Response> HandleConsoleReopen(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Reopen);
}

asio::awaitable<Response> HandleConsoleAssign(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Assign);
}

asio::awaitable<Response> HandleConsoleReply(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Reply);
}

asio::awaitable<Response> HandleConsoleResolve(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Resolve);
}

}  // namespace omni::omnid
