// GET /v1/console/conversations/{id}: one conversation of the caller's
// business with its full transcript (conversations:read), as
// `omni conversations show --all` reads it.
//
// Response 200: {"conversation": ConversationJson, "messages":[{"id","seq",
// "role" (USER | ASSISTANT | HUMAN | TOOL | SYSTEM),"content","created_at",
// "author" (HUMAN: the team member; else null),"tool_calls" (ASSISTANT:
// [{"id","name","arguments"}] or null),"tool_name","tool_result" (TOOL:
// the JSON the model received, or null),"citations" (ASSISTANT: from its
// metadata, or []),"dropped","failed","model"}]}. 404 for an id that is
// not a conversation of the caller's business.
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

json ParsedOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(text) : parsed;
}

json MessageJson(const chat::StoredMessage& m) {
  json metadata = json::parse(m.metadata_json, nullptr, false);
  if (!metadata.is_object()) metadata = json::object();
  return {{"id", m.id},
          {"seq", m.seq},
          {"role", chat::RoleName(m.role)},
          {"content", m.content},
          {"created_at", IsoUtc(m.created_at)},
          {"author", m.role == chat::MessageRole::kHuman ? json(metadata.value("author", "")) : json(nullptr)},
          {"tool_calls", ParsedOrNull(m.tool_calls_json)},
          {"tool_name", m.tool_name.empty() ? json(nullptr) : json(m.tool_name)},
          {"tool_result", ParsedOrNull(m.tool_result_json)},
          {"citations", metadata.contains("citations") ? metadata["citations"] : json::array()},
          {"dropped", m.dropped},
          {"failed", metadata.value("failed", false)},
          {"model", m.model.empty() ? json(nullptr) : json(m.model)}};
}

asio::awaitable<Response> Show(Exchange& exchange, ConsoleCall& call) {
  const std::string& id = exchange.request().Param("id");
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    const auto conversation = chat::Get(pool, business_id, id);
    json messages = json::array();
    for (const auto& m : chat::Messages(pool, business_id, conversation.id)) messages.push_back(MessageJson(m));
    return json{{"conversation", ConversationJson(conversation, call.principal.business_phone_region)},
                {"messages", std::move(messages)}};
  });
  co_return Response::Json(200, body);
}

}  // namespace

asio::awaitable<Response> HandleConsoleConversation(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsRead, &Show);
}

}  // namespace omni::omnid
