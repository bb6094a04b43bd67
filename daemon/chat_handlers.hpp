// The public chat API, one handler file each (daemon/chat_*_handler.cpp),
// wired in daemon/router.cpp. Every route runs through RunChat
// (daemon/webchat.hpp): per-IP rate limit, business, CORS, token.
//
//   POST /v1/chat/{business_slug}/session
//   POST /v1/chat/{business_slug}/messages                     (token)
//   GET  /v1/chat/{business_slug}/conversations/{id}/messages  (token)
//   GET  /v1/chat/{business_slug}/conversations/{id}/events    (token)
//   OPTIONS on each of them: CORS preflight
//
// Request and response shapes are documented at each handler.
#pragma once

#include "daemon/handler.hpp"

namespace omni::omnid {

asio::awaitable<Response> HandleChatSession(Exchange& exchange);
asio::awaitable<Response> HandleChatMessages(Exchange& exchange);
asio::awaitable<Response> HandleChatHistory(Exchange& exchange);
asio::awaitable<Response> HandleChatEvents(Exchange& exchange);
asio::awaitable<Response> HandleChatPreflight(Exchange& exchange);

}  // namespace omni::omnid
