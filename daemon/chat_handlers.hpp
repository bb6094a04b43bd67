// The public chat API, one handler file each (daemon/chat_*_handler.cpp,
// where each request and response is documented in full), wired in
// daemon/router.cpp. Every route runs through RunChat (daemon/webchat.hpp).
//
//   POST /v1/chat/{slug}/session                      -> {"token",...}
//   POST /v1/chat/{slug}/messages                     (token) -> SSE or JSON
//   GET  /v1/chat/{slug}/conversations/{id}/messages  (token) -> history
//   GET  /v1/chat/{slug}/conversations/{id}/events    (token) -> SSE
//   POST /v1/chat/{slug}/conversations/{id}/close     (token) -> resolved
//   POST /v1/chat/{slug}/conversations/{id}/rating    (token) -> CSAT stored
//   OPTIONS on each of them: CORS preflight (204, or 403 for an origin the
//   business does not allow)
//
// Common rules:
// - Token: "Authorization: Bearer <token>" from /session. Missing, forged,
//   expired (server.token_ttl_s) or another business's token: 401
//   {"error":{"code":"unauthorized","message":...}} with WWW-Authenticate.
//   Renew by POSTing /session with {"token": old} (keeps the visitor).
// - Origin: a request carrying an Origin header the business's
//   widget.allowed_origins does not list gets 403 "origin_not_allowed";
//   an allowed one gets Access-Control-Allow-Origin (its own value), Vary:
//   Origin and Access-Control-Expose-Headers (Retry-After,
//   X-Conversation-Id, X-Request-Id). No cookies are used. Requests without
//   Origin (servers, curl) are not checked.
// - Limits: every route takes a token from the client IP's bucket
//   (server.ip_rate_per_min / ip_burst), /messages also from the visitor's
//   (server.visitor_rate_per_min / visitor_burst): 429 "rate_limited" with
//   Retry-After seconds. Buckets are per omnid process; the IP is the TCP
//   peer (a proxy in front shares one bucket).
// - Errors are JSON {"error":{"code","message","hint"?}}: 400
//   invalid_input, 401 unauthorized, 403 origin_not_allowed, 404 not_found
//   (unknown business, or a conversation that is not the visitor's), 413
//   message_too_long / body_too_large, 409 conflict (rating an open
//   conversation), 429 rate_limited, 503 unavailable.
#pragma once

#include "daemon/handler.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleChatSession(Exchange& exchange);
asio::awaitable<Response> HandleChatMessages(Exchange& exchange);
asio::awaitable<Response> HandleChatHistory(Exchange& exchange);
asio::awaitable<Response> HandleChatEvents(Exchange& exchange);
asio::awaitable<Response> HandleChatClose(Exchange& exchange);
asio::awaitable<Response> HandleChatRating(Exchange& exchange);
asio::awaitable<Response> HandleChatPreflight(Exchange& exchange);

}  // namespace omni::omnid
