// GET /v1/console/teammates (conversations:read): who a conversation can be
// assigned to, for every role, unlike the owners' team page: the business's
// users, owners first, then by email.
// Response 200: {"users":[{"id","email","name","role","status" (active |
// invited)}]}; nothing of their sign-ins or keys.
#include <nlohmann/json.hpp>

#include "core/operators/users.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

asio::awaitable<Response> Teammates(Exchange& exchange, ConsoleCall& call) {
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const nlohmann::json users = co_await RunBlocking(exchange.app().blocking(), [&] {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& u : operators::ListUsers(pool, business_id)) {
      list.push_back({{"id", u.id},
                      {"email", u.email},
                      {"name", u.name},
                      {"role", operators::RoleName(u.role)},
                      {"status", u.has_password ? "active" : "invited"}});
    }
    return list;
  });
  co_return Response::Json(200, {{"users", users}});
}

}  // namespace

asio::awaitable<Response> HandleConsoleTeammates(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kConversationsRead, &Teammates);
}

}  // namespace omni::omnid
