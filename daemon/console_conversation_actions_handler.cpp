// The operator's handoff actions on a conversation of the caller's
// business (conversations:write), through the same core functions as
// `omni conversations reply` and `resolve`:
//
// POST /v1/console/conversations/{id}/reply  {"text"} (JSON, else 415):
//   a team member's message, authored by the caller (the user's name or
//   email, or key:<name>). The conversation becomes ESCALATED, so the AI
//   stays silent, and the visitor's open widget shows the reply.
//   200 {"message_id","conversation": ConversationJson}.
// POST /v1/console/conversations/{id}/resolve (no body):
//   200 {"conversation": ConversationJson} with status RESOLVED.
// 404 for an id that is not a conversation of the caller's business.
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
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
    const auto message = chat::HumanReply(pool, principal.business_id, id, text, principal.display_name, DefaultClock().Now());
    return nlohmann::json{{"message_id", message.id},
                          {"conversation", ConversationJson(chat::Get(pool, principal.business_id, id))}};
  });
  co_return Response::Json(200, out);
}

asio::awaitable<Response> Resolve(Exchange& exchange, ConsoleCall& call) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const auto conversation =
      co_await RunBlocking(exchange.app().blocking(), [&] { return chat::Resolve(pool, business_id, id); });
  co_return Response::Json(200, {{"conversation", ConversationJson(conversation)}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleReply(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Reply);
}

asio::awaitable<Response> HandleConsoleResolve(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsWrite, &Resolve);
}

}  // namespace omni::omnid
