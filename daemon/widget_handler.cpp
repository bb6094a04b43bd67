// GET /widget.js: the embeddable chat widget (daemon/web/widget.js). Any
// site may load the script; whether it may chat is decided per business by
// the chat API's origin check.
#include <cstdint>
#include <cstdio>
#include <string>

#include "daemon/widget_handlers.hpp"

namespace omni::omnid {
namespace {

// A strong validator for the compiled-in script: FNV-1a of its text.
const std::string& ScriptEtag() {
  static const std::string etag = [] {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : WidgetScript()) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
    char text[24];
    std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
    return std::string(text);
  }();
  return etag;
}

}  // namespace

asio::awaitable<Response> HandleWidgetScript(Exchange& exchange) {
  const auto& etag = ScriptEtag();
  Response response;
  if (exchange.request().Header("If-None-Match").value_or("") == etag) {
    response.status = 304;
  } else {
    response = Response::Text(200, std::string(WidgetScript()), "application/javascript; charset=utf-8");
  }
  response.headers.Set("ETag", etag);
  // Short, so that a new omnid's widget reaches visitors within minutes.
  response.headers.Set("Cache-Control", "public, max-age=300");
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Cross-Origin-Resource-Policy", "cross-origin");
  co_return response;
}

}  // namespace omni::omnid
