// The HTML pages' shared pieces; see html_page.hpp.
#include "daemon/html_page.hpp"

namespace omni::omnid {

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

std::string HtmlPage(const std::string& title, const std::string& body, const std::string& style) {
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"referrer\" content=\"no-referrer\">\n<title>" +
         EscapeHtml(title) + "</title>\n<style>" + style + "</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n";
}

Response HtmlResponse(int status, std::string body, const std::string& csp) {
  auto response = Response::Text(status, std::move(body), "text/html; charset=utf-8");
  response.headers.Set("Content-Security-Policy", csp);
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Referrer-Policy", "no-referrer");
  response.headers.Set("Cache-Control", "no-cache");
  return response;
}

}  // namespace omni::omnid
