// The operator API's authorization; see console.hpp.
#include "daemon/console.hpp"

#include <date/date.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/secrets.hpp"
#include "core/operators/sessions.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {
namespace {

bool IsSafeMethod(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

Response Unauthorized(const std::string& message) {
  auto response = ErrorResponse(401, "unauthorized", message,
                                "Sign in with POST /v1/console/login, or send an API key (omni keys create) as "
                                "\"Authorization: Bearer <key>\".");
  response.headers.Set("WWW-Authenticate", "Bearer realm=\"omni\"");
  return response;
}

Response NoStore(Response response) {
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

}  // namespace

std::string SessionCookieValue(const Request& request) {
  const std::string header = request.Header("Cookie").value_or("");
  const std::string name = std::string(kSessionCookie) + "=";
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t end = header.find(';', start);
    if (end == std::string::npos) end = header.size();
    std::size_t first = header.find_first_not_of(' ', start);
    if (first != std::string::npos && first < end && header.compare(first, name.size(), name) == 0) {
      return header.substr(first + name.size(), end - first - name.size());
    }
    start = end + 1;
  }
  return {};
}

std::string SessionSetCookie(const App& app, const std::string& token, int max_age_s) {
  const bool https = config::PublicBaseUrl(app.config().server).rfind("https://", 0) == 0;
  return std::string(kSessionCookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(max_age_s) +
         "; HttpOnly; SameSite=Lax" + (https ? "; Secure" : "");
}

std::optional<Response> RequireJsonBody(const Request& request, nlohmann::json& body) {
  const std::string type = Lower(request.Header("Content-Type").value_or(""));
  if (type.rfind("application/json", 0) != 0) {
    return NoStore(ErrorResponse(415, "unsupported_media_type", "expected a JSON body (Content-Type: application/json)"));
  }
  body = request.JsonBody();
  if (!body.is_object()) throw InvalidInput("request body: expected a JSON object");
  return std::nullopt;
}

std::string RequiredString(const nlohmann::json& body, const char* key, std::size_t max_bytes) {
  if (!body.contains(key) || !body[key].is_string() || body[key].get_ref<const std::string&>().empty()) {
    throw InvalidInput(std::string(key) + ": expected a non-empty string");
  }
  const auto& value = body[key].get_ref<const std::string&>();
  if (value.size() > max_bytes) {
    throw InvalidInput(std::string(key) + ": at most " + std::to_string(max_bytes) + " bytes");
  }
  return value;
}

asio::awaitable<Response> RunConsole(Exchange& exchange, std::optional<operators::Permission> permission,
                                     ConsoleBody body) {
  const Request& request = exchange.request();
  const auto authorization = request.Header("Authorization");
  const std::string cookie = SessionCookieValue(request);
  if (!authorization && cookie.empty()) co_return Unauthorized("sign-in required");

  ConsoleCall call;
  auto& pool = exchange.app().pool();
  const TimePoint now = DefaultClock().Now();
  std::optional<operators::Principal> principal;
  if (authorization) {
    const bool bearer = authorization->size() > 7 && Lower(authorization->substr(0, 7)) == "bearer ";
    if (!bearer) co_return Unauthorized("expected \"Authorization: Bearer <key>\"");
    const std::string key = authorization->substr(7);
    principal = co_await RunBlocking(exchange.app().blocking(), [&] { return operators::AuthenticateKey(pool, key, now); });
    if (!principal) co_return Unauthorized("invalid or revoked API key");
  } else {
    principal =
        co_await RunBlocking(exchange.app().blocking(), [&] { return operators::AuthenticateSession(pool, cookie, now); });
    if (!principal) {
      auto response = Unauthorized("session expired or signed out");
      response.headers.Add("Set-Cookie", SessionSetCookie(exchange.app(), "", 0));
      co_return response;
    }
    call.session_token = cookie;
    if (!IsSafeMethod(request.method) &&
        !operators::ConstantTimeEquals(request.Header(kCsrfHeader).value_or(""), operators::CsrfTokenFor(cookie))) {
      co_return NoStore(ErrorResponse(403, "csrf_failed", "missing or wrong CSRF token",
                                      std::string("Send the csrf_token from login or GET /v1/console/me in the ") +
                                          kCsrfHeader + " header."));
    }
  }
  call.principal = std::move(*principal);
  if (permission && !operators::Allows(call.principal.role, *permission)) {
    co_return NoStore(ErrorResponse(403, "forbidden",
                                    std::string("role ") + operators::RoleName(call.principal.role) + " may not use " +
                                        operators::PermissionName(*permission),
                                    "Ask an owner of the business for a role that may."));
  }
  co_return NoStore(co_await body(exchange, call));
}

int PageLimit(const Request& request, int fallback, int max) {
  const auto text = request.Query("limit");
  if (!text || text->empty()) return fallback;
  const bool digits = text->size() <= 5 && text->find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(*text) < 1 || std::stoi(*text) > max) {
    throw InvalidInput("limit: expected 1 to " + std::to_string(max) + ", got \"" + *text + "\"");
  }
  return std::stoi(*text);
}

std::string RequireIdParam(const Request& request, const char* name, const char* what) {
  const std::string& id = request.Param(name);
  if (!IsUuid(id)) {
    throw NotFound(std::string("no ") + what + " \"" + id + "\"", "The operator API takes full ids, as its lists show them.");
  }
  return Lower(id);
}

std::optional<std::string> OptionalString(const nlohmann::json& body, const char* key, std::size_t max_bytes) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  if (!body[key].is_string()) throw InvalidInput(std::string(key) + ": expected a string");
  const auto& value = body[key].get_ref<const std::string&>();
  if (value.size() > max_bytes) {
    throw InvalidInput(std::string(key) + ": at most " + std::to_string(max_bytes) + " bytes");
  }
  return value;
}

std::vector<std::string> StringList(const nlohmann::json& body, const char* key) {
  std::vector<std::string> list;
  if (!body.contains(key) || body[key].is_null()) return list;
  const auto invalid = [&] { return InvalidInput(std::string(key) + ": expected an array of strings"); };
  if (!body[key].is_array()) throw invalid();
  for (const auto& item : body[key]) {
    if (!item.is_string()) throw invalid();
    list.push_back(item.get<std::string>());
  }
  return list;
}

std::string IsoUtc(TimePoint time) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(time));
}

nlohmann::json PhoneDisplay(const std::string& stored, const std::string& region) {
  return stored.empty() ? nlohmann::json(nullptr) : nlohmann::json(phone::Format(stored, region));
}

nlohmann::json ConversationJson(const chat::Conversation& c, const std::string& region) {
  using nlohmann::json;
  const auto time = [](const std::optional<TimePoint>& t) { return t ? json(IsoUtc(*t)) : json(nullptr); };
  const auto text = [](const std::string& value) { return value.empty() ? json(nullptr) : json(value); };
  json customer = nullptr;
  if (!c.customer_id.empty()) {
    customer = {{"id", c.customer_id},
                {"name", c.customer_name},
                {"email", text(c.customer_email)},
                {"phone", text(c.customer_phone)},
                {"phone_display", PhoneDisplay(c.customer_phone, region)}};
  }
  return {{"id", c.id},
          {"status", chat::StatusName(c.status)},
          {"channel", c.channel},
          {"customer", customer},
          {"assigned_to", text(c.assigned_to)},
          {"assigned_user_id", text(c.assigned_user_id)},
          {"escalation_reason", text(c.escalation_reason)},
          {"escalated_at", time(c.escalated_at)},
          {"resolved_at", time(c.resolved_at)},
          {"last_message_at", time(c.last_message_at)},
          {"created_at", IsoUtc(c.created_at)},
          {"message_count", c.message_count}};
}

nlohmann::json CallerJson(const operators::Principal& principal, const std::string& session_token) {
  using nlohmann::json;
  json permissions = json::array();
  for (auto permission : operators::PermissionsOf(principal.role)) permissions.push_back(operators::PermissionName(permission));
  const bool session = principal.kind == operators::Principal::Kind::kSession;
  return {{"business", {{"id", principal.business_id}, {"slug", principal.business_slug}}},
          {"role", operators::RoleName(principal.role)},
          {"permissions", permissions},
          {"user", session ? json{{"id", principal.user_id}, {"email", principal.email}, {"name", principal.display_name}}
                           : json(nullptr)},
          {"key", session ? json(nullptr) : json{{"id", principal.key_id}, {"name", principal.display_name}}},
          {"csrf_token", session ? json(operators::CsrfTokenFor(session_token)) : json(nullptr)}};
}

}  // namespace omni::omnid
