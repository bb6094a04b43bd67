// GET /chat/{business_slug}: the full-page chat for a direct link (for
// example from an email, a QR code or a social profile). The page only loads
// /widget.js in full-page mode; everything else goes through the chat API.
//
// Its Content-Security-Policy allows scripts and connections to omnid
// itself only, and framing by the business's widget.allowed_origins
// (frame-ancestors), so that a business can iframe the page on its site and
// nobody else can.
#include <exception>
#include <optional>
#include <string>

#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/webchat/policy.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/http_errors.hpp"
#include "daemon/widget_handlers.hpp"

namespace omni::omnid {
namespace {

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Page(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"referrer\" content=\"no-referrer\">\n<title>" +
         EscapeHtml(title) + "</title>\n<style>html,body{margin:0;height:100%;background:#eef0f3;"
         "font-family:system-ui,sans-serif}</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n";
}

Response Html(int status, std::string body, const std::string& csp) {
  auto response = Response::Text(status, std::move(body), "text/html; charset=utf-8");
  response.headers.Set("Content-Security-Policy", csp);
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Referrer-Policy", "no-referrer");
  response.headers.Set("Cache-Control", "no-cache");
  return response;
}

// Scripts, styles and connections from omnid only; the widget builds its
// styles in a shadow root, hence 'unsafe-inline' for styles (never scripts).
constexpr const char* kBasePolicy =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; ";

}  // namespace

asio::awaitable<Response> HandleChatPage(Exchange& exchange) {
  App& app = exchange.app();
  const std::string& slug = exchange.request().Param("business_slug");
  std::optional<business::Business> business;
  std::exception_ptr error;
  try {
    business = co_await RunBlocking(app.blocking(), [&app, &slug] { return business::Get(app.pool(), slug); });
  } catch (const NotFound&) {
    co_return Html(404, Page("Chat not found", "<p style=\"text-align:center;margin-top:20vh\">This chat does not exist.</p>\n"),
                   std::string(kBasePolicy) + "frame-ancestors 'none'");
  } catch (...) {
    error = std::current_exception();
  }
  if (error) co_return ResponseForException(error, exchange.request());

  const auto& spec = business->spec;
  const std::string title = webchat::WidgetTitle(spec);
  const std::string body = "<noscript><p style=\"text-align:center;margin-top:20vh\">Please turn on JavaScript to chat with " +
                           EscapeHtml(title) + ".</p></noscript>\n<script src=\"/widget.js\" data-business=\"" +
                           EscapeHtml(spec.slug) + "\" data-mode=\"page\"></script>\n";
  co_return Html(200, Page(title, body), kBasePolicy + webchat::FrameAncestors(spec.widget.allowed_origins));
}

}  // namespace omni::omnid
