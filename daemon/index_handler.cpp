// GET /: a small page with the way in for the business's team (the
// operator console's sign-in, /console) and each business's chat link, so
// that opening omnid's address in a browser shows where to go rather than a
// bare 404.
#include <exception>
#include <string>
#include <vector>

#include "core/business/business.hpp"
#include "core/webchat/policy.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/handlers.hpp"
#include "daemon/html_page.hpp"
#include "daemon/http_errors.hpp"

namespace omni::omnid {
namespace {

constexpr const char* kIndexStyle =
    "body{margin:0 auto;max-width:640px;padding:48px 24px;font-family:system-ui,sans-serif;color:#1f2933;"
    "background:#f6f7f9}h1{font-size:22px;margin:0 0 8px}p{color:#52606d}ul{padding:0;list-style:none}"
    "li{margin:10px 0}a{color:#2f5dd8;font-size:17px}small{color:#7b8794;margin-left:8px}"
    ".team{display:inline-block;margin:8px 0 24px;padding:8px 16px;border-radius:6px;background:#2f5dd8;color:#fff;"
    "text-decoration:none;font-size:16px}";

}  // namespace

asio::awaitable<Response> HandleIndex(Exchange& exchange) {
  App& app = exchange.app();
  std::vector<business::Business> businesses;
  std::exception_ptr error;
  try {
    businesses = co_await RunBlocking(app.blocking(), [&app] { return business::List(app.pool()); });
  } catch (...) {
    error = std::current_exception();
  }
  if (error) co_return ResponseForException(error, exchange.request());

  std::string body = "<h1>omni</h1>\n<a class=\"team\" href=\"/console\">Team sign-in</a>\n";
  if (businesses.empty()) {
    body += "<p>No business yet. Add one with <code>omni business apply -f FILE</code>.</p>\n";
  } else {
    body += "<p>The chat of each business:</p>\n<ul>\n";
    for (const auto& business : businesses) {
      const std::string link = "/chat/" + business.spec.slug;
      body += "<li><a href=\"" + EscapeHtml(link) + "\">" + EscapeHtml(webchat::WidgetTitle(business.spec)) +
              "</a><small>" + EscapeHtml(link) + "</small></li>\n";
    }
    body += "</ul>\n";
  }
  co_return HtmlResponse(200, HtmlPage("omni", body, kIndexStyle), std::string(kPagePolicy) + "frame-ancestors 'none'");
}

}  // namespace omni::omnid
