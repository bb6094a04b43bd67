// GET /v1/console/team: the business's users and active API keys (team:
// owners only), as `omni users list` and `omni keys list` show them.
//
// Response 200: {"users":[{"id","email","name","role","status" (active |
// invited),"last_login_at","created_at"}],"keys":[{"id","name","role",
// "prefix","created_at","last_used_at"}]}; never a key or a hash.
#include <nlohmann/json.hpp>

#include "core/operators/keys.hpp"
#include "core/operators/users.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

json Time(const std::optional<TimePoint>& t) { return t ? json(IsoUtc(*t)) : json(nullptr); }

asio::awaitable<Response> Team(Exchange& exchange, ConsoleCall& call) {
  auto& pool = exchange.app().pool();
  const std::string& business_id = call.principal.business_id;
  const json body = co_await RunBlocking(exchange.app().blocking(), [&] {
    json users = json::array();
    for (const auto& u : operators::ListUsers(pool, business_id)) {
      users.push_back({{"id", u.id},
                       {"email", u.email},
                       {"name", u.name},
                       {"role", operators::RoleName(u.role)},
                       {"status", u.has_password ? "active" : "invited"},
                       {"last_login_at", Time(u.last_login_at)},
                       {"created_at", IsoUtc(u.created_at)}});
    }
    json keys = json::array();
    for (const auto& k : operators::ListKeys(pool, business_id)) {
      keys.push_back({{"id", k.id},
                      {"name", k.name},
                      {"role", operators::RoleName(k.role)},
                      {"prefix", k.prefix},
                      {"created_at", IsoUtc(k.created_at)},
                      {"last_used_at", Time(k.last_used_at)}});
    }
    return json{{"users", std::move(users)}, {"keys", std::move(keys)}};
  });
  co_return Response::Json(200, body);
}

}  // namespace

asio::awaitable<Response> HandleConsoleTeam(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &Team);
}

}  // namespace omni::omnid
