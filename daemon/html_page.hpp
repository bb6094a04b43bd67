// The small HTML pages omnid serves itself (the full-page chat, the index
// of chat links): escaping, the page frame and the response headers they
// share. Thread-safe: pure functions.
#pragma once

#include <string>

#include "daemon/handler.hpp"

namespace omni::omnid {

// Scripts, styles and connections from omnid only; the widget builds its
// styles in a shadow root, hence 'unsafe-inline' for styles (never scripts).
// Callers append their frame-ancestors directive.
inline constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; ";

// `text` with & < > " ' as entities, for text and attribute values.
std::string EscapeHtml(const std::string& text);

// A complete UTF-8 document titled `title` (escaped here) around `body`
// (already HTML), with `style` as its stylesheet.
std::string HtmlPage(const std::string& title, const std::string& body, const std::string& style);

// `status` text/html with `csp`, nosniff, no referrer and no-cache.
Response HtmlResponse(int status, std::string body, const std::string& csp);

}  // namespace omni::omnid
