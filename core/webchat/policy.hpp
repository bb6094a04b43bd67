// The rules of the public chat API that need no database: whether a
// business is open now, what the widget shows by default, which web origins
// may use its chat, which messages and citation sources a visitor sees, and
// message length in characters.
// Thread-safe: pure functions (the time zone database is read-only).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/business/business.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"

namespace omni::webchat {

// True when `now` falls in an opening window of the business's local day
// (its IANA time zone): the date's override when it has one, else the
// weekly hours of that weekday. Throws ConfigError for an unknown zone.
bool OpenNow(const business::BusinessSpec& spec, TimePoint now);

// True when `origin` (scheme://host[:port], as browsers send it) may use
// the business's chat: the list is empty (any origin), or holds it exactly
// (case-insensitive, a trailing '/' ignored), or holds "*".
bool OriginAllowed(const std::vector<std::string>& allowed_origins, const std::string& origin);

// The chat panel's title: widget.title, else the business name.
std::string WidgetTitle(const business::BusinessSpec& spec);
// The greeting the chat opens with: widget.greeting, else ai.greeting.
std::string WidgetGreeting(const business::BusinessSpec& spec);

// The role a visitor sees a message under: "user", "assistant" or "human";
// nullptr for a message a visitor never sees (a tool step, a system note).
const char* VisibleRoleName(chat::MessageRole role);

// The Content-Security-Policy value for pages that may be framed by the
// allowed origins: "frame-ancestors 'self' https://a.example ..." or
// "frame-ancestors *" when any origin is allowed.
std::string FrameAncestors(const std::vector<std::string>& allowed_origins);

// A citation's source as a visitor may see it: an http(s) URL as it is, ""
// for anything else. A file path is where the operator keeps the file on
// their own machine, which is not the visitor's to know.
std::string VisitorSource(const std::string& source);

// The number of Unicode code points in UTF-8 `text` (continuation bytes
// are not counted).
std::size_t CountCharacters(std::string_view text);

}  // namespace omni::webchat
