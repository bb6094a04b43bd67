// POST /v1/chat/{business_slug}/session: starts (or renews) a visitor
// session.
//
// Request JSON (every field optional):
//   {"name","email","phone"}        pre-chat fields: find or create the customer
//   {"identity","identity_hash"}    a logged-in user of the business's site:
//                                   identity_hash = hex HMAC-SHA256(identity)
//                                   under the business's widget secret; a
//                                   mismatch is 401
//   {"token"}                       an earlier token of this business (even
//                                   expired, up to 30 days): keeps the visitor
//                                   id and so its conversation
// Response 200:
//   {"token","expires_at" (ISO UTC),"expires_in_s","visitor_id",
//    "conversation_id" (string, or null when nothing to resume),
//    "business":{"slug","name","timezone"},
//    "widget":{"title","greeting","colors":{...},"position","prechat_fields":[...]},
//    "open_now","ai_enabled"}
#include <date/date.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/webchat/policy.hpp"
#include "core/webchat/session.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/chat_handlers.hpp"
#include "daemon/http_errors.hpp"
#include "daemon/webchat.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

std::string Field(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return {};
  if (!body[key].is_string()) throw InvalidInput(std::string(key) + ": expected a string");
  return body[key].get<std::string>();
}

Response IdentityMismatch() {
  return ErrorResponse(401, "unauthorized", "identity_hash does not match identity",
                       "Compute it on your server as hex HMAC-SHA256 of the identity under the widget secret.");
}

json ParseBody(const Request& request) {
  json body = request.body.empty() ? json::object() : request.JsonBody();
  if (!body.is_object()) throw InvalidInput("request body: expected a JSON object");
  return body;
}

json SessionJson(const business::Business& business, const webchat::Session& session, const std::string& secret,
                int token_ttl_s, TimePoint now) {
  const auto& widget = business.spec.widget;
  const auto expires = std::chrono::sys_seconds{std::chrono::seconds{session.claims.expires_at_s}};
  json colors = json::object();
  for (const auto& [name, value] : widget.colors) colors[name] = value;
  return {
      {"token", webchat::SignVisitorToken(session.claims, secret)},
      {"expires_at", date::format("%FT%TZ", expires)},
      {"expires_in_s", token_ttl_s},
      {"visitor_id", session.claims.visitor_id},
      {"conversation_id", session.conversation_id.empty() ? json(nullptr) : json(session.conversation_id)},
      {"business", {{"slug", business.spec.slug}, {"name", business.spec.name}, {"timezone", business.spec.timezone}}},
      {"widget",
       {{"title", webchat::WidgetTitle(business.spec)},
        {"greeting", webchat::WidgetGreeting(business.spec)},
        {"colors", colors},
        {"position", widget.position},
        {"prechat_fields", widget.prechat_fields}}},
      {"open_now", webchat::OpenNow(business.spec, now)},
      {"ai_enabled", business.spec.ai.enabled},
  };
}

asio::awaitable<Response> Session(Exchange& exchange, ChatScope& scope) {
  const Request& request = exchange.request();
  const json body = ParseBody(request);
  const auto& business = *scope.business;
  const auto now = DefaultClock().Now();
  const auto& settings = exchange.app().config().server;

  webchat::SessionRequest session_request;
  session_request.prechat.name = Field(body, "name");
  session_request.prechat.email = Field(body, "email");
  session_request.prechat.phone = Field(body, "phone");
  const std::string identity = Field(body, "identity");
  if (!identity.empty()) {
    if (!webchat::IdentityMatches(identity, Field(body, "identity_hash"), business.widget_secret)) {
      co_return IdentityMismatch();
    }
    session_request.verified_identity = identity;
  }
  if (const std::string previous = Field(body, "token"); !previous.empty()) {
    if (auto claims = webchat::ResumableClaims(previous, scope.service->token_secret(), business.id, now)) {
      session_request.previous = std::move(*claims);
    }
  }

  auto& pool = exchange.app().pool();
  const auto session = co_await RunBlocking(exchange.app().blocking(), [&] {
    return webchat::StartSession(pool, business, session_request, now, settings.token_ttl_s);
  });

  const json response = SessionJson(business, session, scope.service->token_secret(), settings.token_ttl_s, now);
  auto out = Response::Json(200, response);
  out.headers.Set("Cache-Control", "no-store");
  co_return out;
}

}  // namespace

asio::awaitable<Response> HandleChatSession(Exchange& exchange) {
  co_return co_await RunChat(exchange, ChatAuth::kNone, &Session);
}

}  // namespace omni::omnid
