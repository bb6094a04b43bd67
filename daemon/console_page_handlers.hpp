// The operator console's web front end, served by omnid from its binary:
// one page whose script (daemon/web/console.js) signs in and then works
// through the operator API (daemon/console_handlers.hpp). Nothing is loaded
// from elsewhere, and the page's Content-Security-Policy allows only
// omnid's own script, stylesheet, images and connections: no inline
// script or style.
//
//   GET /console              the page (sign-in, inbox, conversation, dashboard, knowledge,
//                             team and keys, billing)
//   GET /console/set-password  the same page, where an invitee chooses a
//                             password (the link of omni users add)
//   GET /console/console.js   its script;  GET /console/console.css  its styles
//   GET /admin, /dashboard    302 to /console
#pragma once

#include <string_view>

#include "daemon/handler.hpp"

namespace omni::omnid {

// The texts of daemon/web/console.js and console.css, embedded at build time
// (daemon/web/embed.cmake generates their definitions).
std::string_view ConsoleScript();
std::string_view ConsoleStyle();

// The console's Content-Security-Policy.
inline constexpr const char* kConsolePolicy =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

asio::awaitable<Response> HandleConsolePage(Exchange& exchange);
asio::awaitable<Response> HandleConsoleScript(Exchange& exchange);
asio::awaitable<Response> HandleConsoleStyle(Exchange& exchange);
asio::awaitable<Response> HandleConsoleRedirect(Exchange& exchange);

}  // namespace omni::omnid
