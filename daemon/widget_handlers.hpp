// The webchat front end that omnid serves to browsers: the embeddable
// widget script and the full-page chat for a direct link. The chat itself
// goes through the public chat API (daemon/chat_handlers.hpp).
//
//   GET /widget.js              the widget (daemon/web/widget.js, compiled in)
//   GET /chat/{business_slug}   a page running the widget full-screen
#pragma once

#include <string_view>

#include "daemon/handler.hpp"

namespace omni::omnid {

// The text of daemon/web/widget.js, embedded at build time
// (daemon/web/embed.cmake generates its definition).
std::string_view WidgetScript();

// 200 application/javascript with an ETag and a short public cache; 304 when
// If-None-Match names the current version.
asio::awaitable<Response> HandleWidgetScript(Exchange& exchange);

// 200 text/html for an existing business, with a Content-Security-Policy
// whose frame-ancestors are the business's widget.allowed_origins; a 404
// page for an unknown one.
asio::awaitable<Response> HandleChatPage(Exchange& exchange);

}  // namespace omni::omnid
