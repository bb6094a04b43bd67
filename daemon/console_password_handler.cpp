// POST /v1/console/password: sets a password with the one-time token of a
// set-password link (omni users add / passwd). No credential: the token is
// one.
//
// Request JSON (Content-Type: application/json, else 415):
//   {"token": "omp_...", "password": at least 10 characters}
// Response 200 {"email"}; the user's console sessions end. 400
// invalid_input for a password that breaks the rules (the token still
// works) or for a token that is invalid, used or expired (not saying which).
#include <nlohmann/json.hpp>

#include "core/common/clock.hpp"
#include "core/operators/users.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleConsolePassword(Exchange& exchange) {
  const Request& request = exchange.request();
  nlohmann::json body;
  if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  const std::string token = RequiredString(body, "token", 200);
  const std::string password = RequiredString(body, "password", 4096);
  auto& pool = exchange.app().pool();
  const auto user = co_await RunBlocking(exchange.app().blocking(), [&] {
    return operators::SetPasswordWithToken(pool, token, password, DefaultClock().Now());
  });
  auto response = Response::Json(200, {{"email", user.email}});
  response.headers.Set("Cache-Control", "no-store");
  co_return response;
}

}  // namespace omni::omnid
