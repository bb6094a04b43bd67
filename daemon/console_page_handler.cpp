// The operator console's page and assets; see console_page_handlers.hpp.
// The assets are revalidated by ETag on each load, so a new omnid's console
// reaches every open browser at its next reload.
#include <cstdint>
#include <cstdio>
#include <string>

#include "daemon/console_page_handlers.hpp"
#include "daemon/html_page.hpp"

namespace omni::omnid {
namespace {

// A strong validator for compiled-in text: FNV-1a.
std::string Etag(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  char out[24];
  std::snprintf(out, sizeof out, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return out;
}

Response Asset(const Exchange& exchange, std::string_view text, const std::string& etag, const char* type) {
  Response response;
  if (exchange.request().Header("If-None-Match").value_or("") == etag) {
    response.status = 304;
  } else {
    response = Response::Text(200, std::string(text), type);
  }
  response.headers.Set("ETag", etag);
  response.headers.Set("Cache-Control", "no-cache");
  response.headers.Set("X-Content-Type-Options", "nosniff");
  return response;
}

constexpr const char* kPage =
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>omni console</title>\n"
    "<link rel=\"stylesheet\" href=\"/console/console.css\">\n"
    "<script src=\"/console/console.js\" defer></script>\n</head>\n<body>\n"
    "<div id=\"app\"><noscript>The omni console needs JavaScript.</noscript></div>\n"
    "<div id=\"toast\" role=\"status\" aria-live=\"polite\"></div>\n</body>\n</html>\n";

}  // namespace

asio::awaitable<Response> HandleConsolePage(Exchange&) {
  co_return HtmlResponse(200, kPage, kConsolePolicy);
}

asio::awaitable<Response> HandleConsoleScript(Exchange& exchange) {
  static const std::string etag = Etag(ConsoleScript());
  co_return Asset(exchange, ConsoleScript(), etag, "application/javascript; charset=utf-8");
}

asio::awaitable<Response> HandleConsoleStyle(Exchange& exchange) {
  static const std::string etag = Etag(ConsoleStyle());
  co_return Asset(exchange, ConsoleStyle(), etag, "text/css; charset=utf-8");
}

asio::awaitable<Response> HandleConsoleRedirect(Exchange&) {
  Response response;
  response.status = 302;
  response.headers.Set("Location", "/console");
  co_return response;
}

}  // namespace omni::omnid
