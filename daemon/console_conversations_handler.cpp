// GET /v1/console/conversations: the caller's business's conversations,
// most recent message first (conversations:read).
//
// Query (all optional): status (AI_ACTIVE | ESCALATED | RESOLVED |
// REOPENED), customer (id, email, phone or part of the name), assigned
// (all, the default; none: nobody on it; me: the signed-in user, 400 for a
// key; or a user id: another business's user matches nothing), limit (1 to
// 200, default 50), cursor (next_cursor of the previous page).
// Response 200: {"conversations":[ConversationJson...],"next_cursor": string
// or null when this is the last page}. 400 for a bad status, limit or cursor.
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

constexpr int kMaxPage = 200;

int PageSize(const Request& request) {
  const auto text = request.Query("limit");
  if (!text || text->empty()) return 50;
  if (text->size() > 4 || text->find_first_not_of("0123456789") != std::string::npos || std::stoi(*text) < 1 ||
      std::stoi(*text) > kMaxPage) {
    throw InvalidInput("limit: expected 1 to " + std::to_string(kMaxPage) + ", got \"" + *text + "\"");
  }
  return std::stoi(*text);
}

asio::awaitable<Response> List(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  chat::ListFilter filter;
  if (const auto status = request.Query("status"); status && !status->empty()) filter.status = chat::ParseStatus(*status);
  filter.customer = request.Query("customer").value_or("");
  filter.cursor = request.Query("cursor").value_or("");
  const std::string assigned = request.Query("assigned").value_or("all");
  if (assigned == "none") {
    filter.unassigned = true;
  } else if (assigned == "me") {
    if (call.principal.user_id.empty()) {
      throw InvalidInput("assigned: \"me\" needs a signed-in user, and an API key is none",
                         "Pass a user id, as GET /v1/console/teammates lists them.");
    }
    filter.assigned_user_id = call.principal.user_id;
  } else if (IsUuid(assigned)) {
    filter.assigned_user_id = Lower(assigned);
  } else if (assigned != "all" && !assigned.empty()) {
    throw InvalidInput("assigned: expected all, none, me or a user id, got \"" + assigned + "\"");
  }
  const int page = PageSize(request);
  // One more than the page tells whether another page follows.
  filter.limit = page + 1;
  auto& pool = exchange.app().pool();
  auto conversations = co_await RunBlocking(exchange.app().blocking(), [&] {
    return chat::List(pool, call.principal.business_id, filter);
  });
  nlohmann::json next = nullptr;
  if (static_cast<int>(conversations.size()) > page) {
    conversations.resize(static_cast<std::size_t>(page));
    next = chat::NextCursor(conversations.back());
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& conversation : conversations) {
    list.push_back(ConversationJson(conversation, call.principal.business_phone_region));
  }
  co_return Response::Json(200, {{"conversations", std::move(list)}, {"next_cursor", next}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleConversations(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsRead, &List);
}

}  // namespace omni::omnid
