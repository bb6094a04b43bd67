// POST /v1/console/logout: ends the caller's console session (its cookie
// and X-CSRF-Token, as every unsafe session request). 204, with the cookie
// deleted. An API key has no session: 400 (revoke it with omni keys revoke).
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/operators/sessions.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

asio::awaitable<Response> Logout(Exchange& exchange, ConsoleCall& call) {
  if (call.session_token.empty()) {
    throw InvalidInput("an API key has no session to end", "Revoke a key with `omni keys revoke`.");
  }
  auto& pool = exchange.app().pool();
  co_await RunBlocking(exchange.app().blocking(),
                       [&] { return operators::Logout(pool, call.session_token, DefaultClock().Now()); });
  Response response;
  response.status = 204;
  response.headers.Add("Set-Cookie", SessionSetCookie(exchange.app(), "", 0));
  co_return response;
}

}  // namespace

asio::awaitable<Response> HandleConsoleLogout(Exchange& exchange) {
  co_return co_await RunConsole(exchange, std::nullopt, &Logout);
}

}  // namespace omni::omnid
