// Chat policy; see policy.hpp.
#include "core/webchat/policy.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cctype>

#include "core/common/error.hpp"
#include "core/http/client.hpp"

namespace omni::webchat {
namespace {

std::string NormalizeOrigin(std::string origin) {
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

}  // namespace

bool OpenNow(const business::BusinessSpec& spec, TimePoint now) {
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(spec.timezone);
  } catch (const std::exception&) {
    throw ConfigError("business " + spec.slug + ": unknown time zone \"" + spec.timezone + "\"",
                      "Use an IANA name such as America/New_York in the business file.");
  }
  const auto local = zone->to_local(now);
  const auto local_day = date::floor<date::days>(local);
  const date::year_month_day ymd{local_day};
  const int minute = static_cast<int>(
      std::chrono::duration_cast<std::chrono::minutes>(local - local_day).count());
  const business::DayWindows* windows = nullptr;
  if (auto it = spec.overrides.find(date::format("%F", ymd)); it != spec.overrides.end()) {
    windows = &it->second;
  } else {
    // date::weekday: Sunday is 0; the spec's week starts on Monday.
    const unsigned sunday_based = date::weekday{local_day}.c_encoding();
    windows = &spec.weekly[(sunday_based + 6) % 7];
  }
  return std::any_of(windows->begin(), windows->end(),
                     [minute](const business::TimeWindow& w) { return minute >= w.start_min && minute < w.end_min; });
}

std::string WidgetTitle(const business::BusinessSpec& spec) {
  return spec.widget.title.empty() ? spec.name : spec.widget.title;
}

std::string WidgetGreeting(const business::BusinessSpec& spec) {
  return spec.widget.greeting.empty() ? spec.ai.greeting : spec.widget.greeting;
}

const char* VisibleRoleName(chat::MessageRole role) {
  switch (role) {
    case chat::MessageRole::kUser: return "user";
    case chat::MessageRole::kAssistant: return "assistant";
    case chat::MessageRole::kHuman: return "human";
    default: return nullptr;
  }
}

bool OriginAllowed(const std::vector<std::string>& allowed_origins, const std::string& origin) {
  if (allowed_origins.empty()) return true;
  const std::string wanted = NormalizeOrigin(origin);
  return std::any_of(allowed_origins.begin(), allowed_origins.end(),
                     [&](const std::string& allowed) { return allowed == "*" || NormalizeOrigin(allowed) == wanted; });
}

std::string FrameAncestors(const std::vector<std::string>& allowed_origins) {
  if (allowed_origins.empty() ||
      std::find(allowed_origins.begin(), allowed_origins.end(), "*") != allowed_origins.end()) {
    return "frame-ancestors *";
  }
  std::string value = "frame-ancestors 'self'";
  for (const auto& origin : allowed_origins) value += " " + NormalizeOrigin(origin);
  return value;
}

std::size_t CountCharacters(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string VisitorSource(const std::string& source) { return http::UrlHost(source).empty() ? std::string() : source; }

}  // namespace omni::webchat
