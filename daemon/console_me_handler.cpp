// GET /v1/console/me: who the caller is, for any valid session or key:
// CallerJson (daemon/console.hpp), with the session's CSRF token.
#include <nlohmann/json.hpp>

#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"

namespace omni::omnid {
namespace {

asio::awaitable<Response> Me(Exchange&, ConsoleCall& call) {
  co_return Response::Json(200, CallerJson(call.principal, call.session_token));
}

}  // namespace

asio::awaitable<Response> HandleConsoleMe(Exchange& exchange) {
  co_return co_await RunConsole(exchange, std::nullopt, &Me);
}

}  // namespace omni::omnid
