// The team's users and API keys, changed by owners (team), through the
// same core functions as `omni users add|role|rm` and `omni keys
// create|list|revoke`:
//
// POST /v1/console/team {"email","name"?,"role"} invites a user, within the
//   plan's operator limit (402 past it): 201 {"user": UserJson,
//   "set_password_url","set_password_expires_at"}, the one-time link
//   (valid 24 h) the invitee opens to choose a password.
// PATCH /v1/console/team/{id} {"role"}: 200 UserJson; 409 when it would
//   leave the business without an owner.
// DELETE /v1/console/team/{id}: removes the user and ends their sessions:
//   204; 409 for the last owner.
// GET /v1/console/keys: the keys not revoked: 200 {"keys":[KeyJson...]}.
// POST /v1/console/keys {"name","role"}: 201 KeyJson plus "secret", the key
//   itself, shown this once.
// DELETE /v1/console/keys/{id}: revokes it at once: 204.
// UserJson is {"id","email","name","role","status","last_login_at",
// "created_at"}; KeyJson {"id","name","role","prefix","created_at",
// "last_used_at"}. Never a password, key hash or token in a list.
#include <nlohmann/json.hpp>

#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
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

json UserJson(const operators::User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"role", operators::RoleName(u.role)},
          {"status", u.has_password ? "active" : "invited"},
          {"last_login_at", Time(u.last_login_at)},
          {"created_at", IsoUtc(u.created_at)}};
}

json KeyJson(const operators::ApiKey& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"role", operators::RoleName(k.role)},
          {"prefix", k.prefix},
          {"created_at", IsoUtc(k.created_at)},
          {"last_used_at", Time(k.last_used_at)}};
}

Response NoContent() {
  Response response;
  response.status = 204;
  return response;
}

asio::awaitable<Response> Invite(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  App& app = exchange.app();
  operators::NewUser user;
  user.email = RequiredString(body, "email", 254);
  user.name = OptionalString(body, "name", 200).value_or("");
  user.role = operators::ParseRole(RequiredString(body, "role", 20));
  auto& pool = app.pool();
  const auto added = co_await RunBlocking(app.blocking(), [&] {
    return operators::AddUser(pool, call.principal.business_id, user, billing::ResolveBillingSettings(app.config()),
                              DefaultClock().Now());
  });
  json out = {{"user", UserJson(added.user)}, {"set_password_url", nullptr}, {"set_password_expires_at", nullptr}};
  if (added.set_password) {
    out["set_password_url"] =
        operators::SetPasswordLink(config::PublicBaseUrl(app.config().server), added.set_password->token);
    out["set_password_expires_at"] = IsoUtc(added.set_password->expires_at);
  }
  co_return Response::Json(201, out);
}

asio::awaitable<Response> ChangeRole(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  const std::string id = RequireIdParam(exchange.request(), "id", "user");
  const auto role = operators::ParseRole(RequiredString(body, "role", 20));
  auto& pool = exchange.app().pool();
  const auto user = co_await RunBlocking(exchange.app().blocking(), [&] {
    return operators::SetRole(pool, call.principal.business_id, id, role);
  });
  co_return Response::Json(200, UserJson(user));
}

asio::awaitable<Response> Remove(Exchange& exchange, ConsoleCall& call) {
  const std::string id = RequireIdParam(exchange.request(), "id", "user");
  auto& pool = exchange.app().pool();
  co_await RunBlocking(exchange.app().blocking(), [&] { operators::RemoveUser(pool, call.principal.business_id, id); });
  co_return NoContent();
}

asio::awaitable<Response> Keys(Exchange& exchange, ConsoleCall& call) {
  auto& pool = exchange.app().pool();
  const auto keys = co_await RunBlocking(exchange.app().blocking(), [&] {
    return operators::ListKeys(pool, call.principal.business_id);
  });
  json list = json::array();
  for (const auto& key : keys) list.push_back(KeyJson(key));
  co_return Response::Json(200, {{"keys", std::move(list)}});
}

asio::awaitable<Response> CreateKey(Exchange& exchange, ConsoleCall& call) {
  json body;
  if (auto refused = RequireJsonBody(exchange.request(), body)) co_return *refused;
  const std::string name = RequiredString(body, "name", 100);
  const auto role = operators::ParseRole(RequiredString(body, "role", 20));
  auto& pool = exchange.app().pool();
  const auto created = co_await RunBlocking(exchange.app().blocking(), [&] {
    return operators::CreateKey(pool, call.principal.business_id, name, role, DefaultClock().Now());
  });
  json out = KeyJson(created.key);
  out["secret"] = created.secret;
  co_return Response::Json(201, out);
}

asio::awaitable<Response> RevokeKey(Exchange& exchange, ConsoleCall& call) {
  const std::string id = RequireIdParam(exchange.request(), "id", "key");
  auto& pool = exchange.app().pool();
  co_await RunBlocking(exchange.app().blocking(), [&] {
    operators::RevokeKey(pool, call.principal.business_id, id, DefaultClock().Now());
  });
  co_return NoContent();
}

}  // namespace

asio::awaitable<Response> HandleConsoleTeamInvite(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &Invite);
}

asio::awaitable<Response> HandleConsoleTeamRole(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &ChangeRole);
}

asio::awaitable<Response> HandleConsoleTeamRemove(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &Remove);
}

asio::awaitable<Response> HandleConsoleKeys(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &Keys);
}

asio::awaitable<Response> HandleConsoleKeyCreate(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &CreateKey);
}

asio::awaitable<Response> HandleConsoleKeyRevoke(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kTeam, &RevokeKey);
}

}  // namespace omni::omnid
