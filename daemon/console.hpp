// The operator API's authorization: the one place where a request to
// /v1/console/... becomes a caller (business, role) or an error, and the
// console session cookie.
//
// A caller is either
// - an API key: "Authorization: Bearer omk_..." (omni keys); or
// - a console session: the omni_session cookie set by POST
//   /v1/console/login. A session's unsafe request (anything but GET, HEAD
//   and OPTIONS) must carry its CSRF token in X-CSRF-Token (returned by
//   login and by GET /v1/console/me).
// An Authorization header, when present, is the credential: a cookie is
// then ignored. Answers, in this order:
//   401 unauthorized    no credential, or one that is unknown, expired,
//                       revoked or malformed (WWW-Authenticate: Bearer)
//   403 csrf_failed     a session's unsafe request without its CSRF token
//   403 forbidden       the caller's role lacks the permission
//                       (core/operators/roles.hpp has the table)
// Everything a body then does is scoped to the caller's business, so
// another business's ids are 404 like ids that do not exist. Every answer
// carries Cache-Control: no-store. Errors of the body use the status map
// of daemon/http_errors.hpp, as the webchat does.
// Thread-safe: free functions; a ConsoleCall belongs to one exchange.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"
#include "core/operators/roles.hpp"
#include "daemon/handler.hpp"

namespace omni::chat {
struct Conversation;
}

namespace omni::omnid {

inline constexpr const char* kSessionCookie = "omni_session";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

struct ConsoleCall {
  operators::Principal principal;
  std::string session_token;  // the cookie's token; "" for an API key
};

using ConsoleBody = asio::awaitable<Response> (*)(Exchange& exchange, ConsoleCall& call);

// Resolves the caller as above, checks `permission` (none: any signed-in
// caller) and runs `body`.
asio::awaitable<Response> RunConsole(Exchange& exchange, std::optional<operators::Permission> permission,
                                     ConsoleBody body);

// The value of the session cookie in the request's Cookie header; "" when none.
std::string SessionCookieValue(const Request& request);

// A Set-Cookie value for the session: HttpOnly, SameSite=Lax, Path=/, and
// Secure when server.public_url is https. `max_age_s` 0 deletes it.
std::string SessionSetCookie(const App& app, const std::string& token, int max_age_s);

// The request's body as a JSON object; 415 unsupported_media_type unless it
// is sent as application/json, which a cross-site HTML form cannot do.
// Throws InvalidInput for malformed JSON or anything but an object.
std::optional<Response> RequireJsonBody(const Request& request, nlohmann::json& body);

// A required string field of a JSON body, at most `max_bytes`; throws
// InvalidInput naming the field otherwise.
std::string RequiredString(const nlohmann::json& body, const char* key, std::size_t max_bytes);

// The `limit` query parameter: 1 to `max`, `fallback` when absent. Throws
// InvalidInput naming it otherwise.
int PageLimit(const Request& request, int fallback, int max);

// The route parameter `name` as a full resource id (a UUID), for a
// resource of the kind `what` ("customer"). The API takes full ids only:
// the CLI's id prefixes are a typing aid, and a prefix that names one
// record today may name two tomorrow. Anything else is NotFound, as an id
// of another business is.
std::string RequireIdParam(const Request& request, const char* name, const char* what);

// An optional string field of a JSON body, at most `max_bytes`; nullopt
// when absent or null. Throws InvalidInput naming the field otherwise.
std::optional<std::string> OptionalString(const nlohmann::json& body, const char* key, std::size_t max_bytes);

// An optional array of strings; empty when absent. Throws InvalidInput
// naming the field for anything but an array of strings.
std::vector<std::string> StringList(const nlohmann::json& body, const char* key);

// A stored phone as the business's team reads it (phone::Format in the
// business's phone region `region`), for the "phone_display" next to a
// "phone" that keeps E.164 for machines; null for "".
nlohmann::json PhoneDisplay(const std::string& stored, const std::string& region);

// A conversation as the operator API shows it: {"id","status","channel",
// "customer":{"id","name","email","phone","phone_display"} or null,
// "assigned_to","escalation_reason","escalated_at","resolved_at",
// "last_message_at","created_at","message_count"}; times ISO 8601 UTC,
// absent ones null. `region` as for PhoneDisplay.
nlohmann::json ConversationJson(const chat::Conversation& conversation, const std::string& region);

// Who is calling, as login and GET /v1/console/me answer it:
// {"business":{"id","slug"},"role","permissions":[...],"user":{"id",
// "email","name"} or null,"key":{"id","name"} or null,"csrf_token" (for a
// session; null for a key)}.
nlohmann::json CallerJson(const operators::Principal& principal, const std::string& session_token);

// An ISO 8601 UTC time with seconds ("2026-05-04T09:00:00Z").
std::string IsoUtc(TimePoint time);

}  // namespace omni::omnid
