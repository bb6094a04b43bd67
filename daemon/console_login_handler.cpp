// POST /v1/console/login: signs an operator in to the console.
//
// Request JSON (Content-Type: application/json, else 415):
//   {"business": slug, "email", "password"}
// Response 200: Set-Cookie omni_session (HttpOnly, SameSite=Lax, Path=/,
// Max-Age console.session_ttl_s, Secure when server.public_url is https)
// and the caller as GET /v1/console/me shows it, with "expires_at".
// 401 invalid_credentials for any wrong part (business, email, password,
// or an account without a password yet), never saying which; 429
// rate_limited with Retry-After past console.login_max_failures for the
// account or login_max_failures_per_ip for the client address.
#include <nlohmann/json.hpp>

#include "core/common/clock.hpp"
#include "core/operators/sessions.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleConsoleLogin(Exchange& exchange) {
  const Request& request = exchange.request();
  nlohmann::json body;
  if (auto refused = RequireJsonBody(request, body)) co_return *refused;
  operators::LoginRequest login{RequiredString(body, "business", 200), RequiredString(body, "email", 320),
                                RequiredString(body, "password", 4096), request.remote_address};
  auto& pool = exchange.app().pool();
  const auto& settings = exchange.app().config().console;
  const auto result = co_await RunBlocking(exchange.app().blocking(), [&] {
    return operators::Login(pool, login, settings, DefaultClock().Now());
  });
  using Outcome = operators::LoginResult::Outcome;
  if (result.outcome == Outcome::kThrottled) {
    auto response = ErrorResponse(429, "rate_limited", "too many failed logins",
                                  "Wait for Retry-After seconds, or ask an owner to reset the password.");
    response.headers.Set("Retry-After", std::to_string(result.retry_after_s));
    co_return response;
  }
  if (result.outcome != Outcome::kSignedIn) {
    co_return ErrorResponse(401, "invalid_credentials", "the business, email or password is not right",
                            "New team members set their password from the link `omni users add` printed.");
  }
  nlohmann::json out = CallerJson(*result.principal, result.session->token);
  out["expires_at"] = IsoUtc(result.session->expires_at);
  auto response = Response::Json(200, out);
  response.headers.Set("Cache-Control", "no-store");
  response.headers.Add("Set-Cookie", SessionSetCookie(exchange.app(), result.session->token, settings.session_ttl_s));
  co_return response;
}

}  // namespace omni::omnid
