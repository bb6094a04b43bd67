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
#include "daemon/html_page.hpp"
#include "daemon/http_errors.hpp"
#include "daemon/widget_handlers.hpp"

namespace omni::omnid {
namespace {

constexpr const char* kChatPageStyle =
    "html,body{margin:0;height:100%;background:#eef0f3;font-family:system-ui,sans-serif}";

std::string Page(const std::string& title, const std::string& body) {
  return HtmlPage(title, body, kChatPageStyle);
}

}  // namespace

asio::awaitable<Response> HandleChatPage(Exchange& exchange) {
  App& app = exchange.app();
  const std::string& slug = exchange.request().Param("business_slug");
  std::optional<business::Business> business;
  std::exception_ptr error;
  try {
    business = co_await RunBlocking(app.blocking(), [&app, &slug] { return business::Get(app.pool(), slug); });
  } catch (const NotFound&) {
    co_return HtmlResponse(404, Page("Chat not found", "<p style=\"text-align:center;margin-top:20vh\">This chat does not exist.</p>\n"),
                   std::string(kPagePolicy) + "frame-ancestors 'none'");
  } catch (...) {
    error = std::current_exception();
  }
  if (error) co_return ResponseForException(error, exchange.request());

  const auto& spec = business->spec;
  const std::string title = webchat::WidgetTitle(spec);
  const std::string body = "<noscript><p style=\"text-align:center;margin-top:20vh\">Please turn on JavaScript to chat with " +
                           EscapeHtml(title) + ".</p></noscript>\n<script src=\"/widget.js\" data-business=\"" +
                           EscapeHtml(spec.slug) + "\" data-mode=\"page\"></script>\n";
  co_return HtmlResponse(200, Page(title, body), kPagePolicy + webchat::FrameAncestors(spec.widget.allowed_origins));
}

}  // namespace omni::omnid
