// Strict parsing of business YAML files into BusinessSpec.
#include "core/business/business_file.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <map>
#include <set>

#include <date/date.h>
#include <date/tz.h>

#include "core/billing/plans.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/common/utf8.hpp"
#include "core/config/detail/text_file.hpp"
#include "core/config/detail/yaml_strict.hpp"

namespace omni::business {
namespace {

// A business file is YAML like omni.yaml and held to the same strictness, so
// it is read with config's one strict YAML reader: yaml-cpp stays private to
// config/detail, and the two files report errors the same way.
namespace strict = config::detail;
using strict::Fail;
using strict::Location;
using strict::MapReader;

constexpr const char* kWeekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// Free texts are capped, in characters: the AI texts, the services and the
// contact details go into every prompt, and the widget shows its texts on
// every page. The same limits are listed in config/demo-salon.yaml.
constexpr std::size_t kMaxNameChars = 200;  // the business's and each service's (and its aliases')
constexpr std::size_t kMaxAliases = 10;     // per service
constexpr std::size_t kMaxAddressChars = 500;
constexpr std::size_t kMaxPersonalityChars = 2000;
constexpr std::size_t kMaxGreetingChars = 1000;  // ai.greeting and widget.greeting
constexpr std::size_t kMaxInstructionsChars = 4000;
constexpr std::size_t kMaxWidgetTitleChars = 100;
constexpr std::size_t kMaxDescriptionChars = 1000;
constexpr std::size_t kMaxResourceChars = 100;

// A non-empty string of at most `max_chars` characters.
std::string ReadText(const YAML::Node& node, const Location& where, std::size_t max_chars) {
  std::string text = strict::ReadNonEmptyString(node, where);
  const std::size_t chars = CountChars(text);
  if (chars > max_chars) {
    Fail(where, node.Mark(),
         "expected at most " + std::to_string(max_chars) + " characters, got " + std::to_string(chars),
         "Keep it short: it goes into every prompt sent to the model, or onto every page with the widget. "
         "Longer material belongs in the knowledge base (omni ingest).");
  }
  return text;
}

// "HH:MM" -> minutes since midnight; 24:00 (1440) only when `allow_24`.
int ReadClock(const YAML::Node& node, const Location& where, bool allow_24) {
  const std::string expected = allow_24 ? "expected a time \"HH:MM\" from 00:00 to 24:00"
                                        : "expected a time \"HH:MM\" from 00:00 to 23:59";
  if (!node.IsScalar()) Fail(where, node.Mark(), expected + ", got " + strict::Describe(node));
  static const std::regex kClock(R"(([0-9]{2}):([0-9]{2}))");
  std::smatch match;
  const std::string& text = node.Scalar();
  if (!std::regex_match(text, match, kClock)) Fail(where, node.Mark(), expected + ", got \"" + text + "\"");
  const int hours = std::stoi(match[1]);
  const int minutes = std::stoi(match[2]);
  const int total = hours * 60 + minutes;
  if (minutes > 59 || total > 1440 || (total == 1440 && !allow_24)) {
    Fail(where, node.Mark(), expected + ", got \"" + text + "\"");
  }
  return total;
}

// A list of ["HH:MM","HH:MM"] windows: each ends after it starts, and none
// overlaps another (half-open, so 12:00 ending one and starting the next is fine).
DayWindows ReadWindows(const YAML::Node& node, const Location& where) {
  struct Parsed {
    TimeWindow window;
    YAML::Mark mark;
    std::size_t index;
  };
  std::vector<Parsed> parsed;
  const auto items = strict::ReadList(node, where);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Location at = where.Index(i);
    const auto& item = items[i];
    if (!item.IsSequence() || item.size() != 2) {
      Fail(at, item.Mark(), "expected a window [\"HH:MM\", \"HH:MM\"], got " + strict::Describe(item));
    }
    TimeWindow window{ReadClock(item[0], at.Index(0), false), ReadClock(item[1], at.Index(1), true)};
    if (window.end_min <= window.start_min) {
      Fail(at, item.Mark(), "window must end after it starts, got " + item[0].Scalar() + " to " + item[1].Scalar());
    }
    parsed.push_back({window, item.Mark(), i});
  }
  std::sort(parsed.begin(), parsed.end(),
            [](const Parsed& a, const Parsed& b) { return a.window.start_min < b.window.start_min; });
  DayWindows windows;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    if (i > 0 && parsed[i].window.start_min < parsed[i - 1].window.end_min) {
      const auto& later = parsed[i].index > parsed[i - 1].index ? parsed[i] : parsed[i - 1];
      Fail(where.Index(later.index), later.mark, "window overlaps another window of the same day");
    }
    windows.push_back(parsed[i].window);
  }
  return windows;
}

void ReadSlug(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  static const std::regex kSlug(R"([a-z0-9]([a-z0-9-]*[a-z0-9])?)");
  spec.slug = strict::ReadString(node, where);
  if (spec.slug.size() < 2 || spec.slug.size() > 63 || !std::regex_match(spec.slug, kSlug)) {
    Fail(where, node.Mark(),
         "expected a slug of 2 to 63 characters from a-z, 0-9 and '-' (not at either end), got \"" +
             spec.slug + "\"");
  }
}

void ReadTimezone(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  spec.timezone = strict::ReadNonEmptyString(node, where);
  try {
    date::locate_zone(spec.timezone);
  } catch (const std::exception&) {
    Fail(where, node.Mark(), "unknown time zone \"" + spec.timezone + "\"",
         "Use an IANA time zone name such as America/New_York (see /usr/share/zoneinfo).");
  }
}

std::string ReadEmail(const YAML::Node& node, const Location& where) {
  static const std::regex kEmail(R"([^@\s]+@[^@\s]+\.[^@\s]+)");
  const std::string email = strict::ReadNonEmptyString(node, where);
  if (!std::regex_match(email, kEmail)) Fail(where, node.Mark(), "expected an email address, got \"" + email + "\"");
  return email;
}

// E.164, read in the business's region (country, read before contact).
std::string ReadPhone(const YAML::Node& node, const Location& where, const BusinessSpec& spec) {
  const std::string phone = strict::ReadNonEmptyString(node, where);
  try {
    return phone::ToE164(phone, PhoneRegion(spec));
  } catch (const InvalidInput& e) {
    const bool no_region = PhoneRegion(spec).empty();
    Fail(where, node.Mark(), e.what(),
         no_region ? "Set country: (e.g. US) for a business whose time zone (" + spec.timezone +
                         ") names no country, or write the number with its country code."
                   : e.hint());
  }
}

// An ISO 3166 alpha-2 code whose numbering plan libphonenumber knows.
void ReadCountry(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  const std::string country = strict::ReadNonEmptyString(node, where);
  std::string upper = country;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!phone::IsKnownRegion(upper)) {
    Fail(where, node.Mark(), "unknown country \"" + country + "\": expected an ISO 3166 code such as US, GB or DE",
         upper == "UK" ? "The United Kingdom's code is GB." : "");
  }
  spec.country = upper;
}

std::string ReadHttpUrl(const YAML::Node& node, const Location& where, bool origin_only) {
  static const std::regex kOrigin(R"((https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?)");
  static const std::regex kUrl(R"((https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?(/\S*)?)");
  std::string url = strict::ReadNonEmptyString(node, where);
  if (origin_only && url.size() > 1 && url.back() == '/') url.pop_back();
  if (!std::regex_match(url, origin_only ? kOrigin : kUrl)) {
    Fail(where, node.Mark(),
         origin_only ? "expected an origin such as \"https://example.com\" (scheme, host, optional port; no path), got \"" +
                           url + "\""
                     : "expected an http(s) URL, got \"" + url + "\"");
  }
  return origin_only ? Lower(url) : url;
}

void ReadContact(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  MapReader map(node, where, {"email", "phone", "website", "address"});
  if (auto v = map.Get("email")) spec.contact.email = ReadEmail(*v, where.Key("email"));
  if (auto v = map.Get("phone")) spec.contact.phone = ReadPhone(*v, where.Key("phone"), spec);
  if (auto v = map.Get("website")) spec.contact.website = ReadHttpUrl(*v, where.Key("website"), false);
  if (auto v = map.Get("address")) spec.contact.address = ReadText(*v, where.Key("address"), kMaxAddressChars);
}

void ReadHours(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  MapReader map(node, where, {"mon", "tue", "wed", "thu", "fri", "sat", "sun"});
  for (int day = 0; day < 7; ++day) {
    if (auto v = map.Get(kWeekdays[day])) spec.weekly[day] = ReadWindows(*v, where.Key(kWeekdays[day]));
  }
}

void ReadOverrides(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  static const std::regex kDate(R"(([0-9]{4})-([0-9]{2})-([0-9]{2}))");
  MapReader map(node, where);
  for (const auto& [key, key_node] : map.Keys()) {
    std::smatch match;
    bool valid = std::regex_match(key, match, kDate);
    if (valid) {
      const date::year_month_day day{date::year{std::stoi(match[1])}, date::month{unsigned(std::stoi(match[2]))},
                                     date::day{unsigned(std::stoi(match[3]))}};
      valid = day.ok();
    }
    if (!valid) Fail(where.Key(key), key_node.Mark(), "expected a date key \"YYYY-MM-DD\"");
    spec.overrides[key] = ReadWindows(*map.Get(key), where.Key(key));
  }
}

void ReadBooking(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  MapReader map(node, where,
                {"slot_interval_min", "min_notice_min", "advance_days", "buffer_before_min", "buffer_after_min"});
  auto& rules = spec.booking;
  auto read = [&](const char* key, int& target, int min, int max) {
    if (auto v = map.Get(key)) target = static_cast<int>(strict::ReadInt(*v, where.Key(key), min, max));
  };
  read("slot_interval_min", rules.slot_interval_min, 5, 240);
  read("min_notice_min", rules.min_notice_min, 0, 30 * 24 * 60);
  read("advance_days", rules.advance_days, 1, 730);
  read("buffer_before_min", rules.buffer_before_min, 0, 240);
  read("buffer_after_min", rules.buffer_after_min, 0, 240);
}

void ReadAi(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  MapReader map(node, where, {"enabled", "personality", "greeting", "instructions"});
  if (auto v = map.Get("enabled")) spec.ai.enabled = strict::ReadBool(*v, where.Key("enabled"));
  if (auto v = map.Get("personality")) {
    spec.ai.personality = ReadText(*v, where.Key("personality"), kMaxPersonalityChars);
  }
  if (auto v = map.Get("greeting")) spec.ai.greeting = ReadText(*v, where.Key("greeting"), kMaxGreetingChars);
  if (auto v = map.Get("instructions")) {
    spec.ai.instructions = ReadText(*v, where.Key("instructions"), kMaxInstructionsChars);
  }
}

void ReadWidget(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  MapReader map(node, where,
                {"title", "greeting", "limit_message", "colors", "position", "prechat_fields", "allowed_origins"});
  auto& widget = spec.widget;
  if (auto v = map.Get("title")) widget.title = ReadText(*v, where.Key("title"), kMaxWidgetTitleChars);
  if (auto v = map.Get("greeting")) widget.greeting = ReadText(*v, where.Key("greeting"), kMaxGreetingChars);
  if (auto v = map.Get("limit_message")) {
    widget.limit_message = ReadText(*v, where.Key("limit_message"), kMaxGreetingChars);
  }
  if (auto v = map.Get("colors")) {
    static const std::regex kColor(R"(#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}))");
    const Location at = where.Key("colors");
    MapReader colors(*v, at, {"primary", "text", "background", "accent"});
    for (const auto& [key, key_node] : colors.Keys()) {
      const auto value_node = *colors.Get(key);
      const std::string value = strict::ReadString(value_node, at.Key(key));
      if (!std::regex_match(value, kColor)) {
        Fail(at.Key(key), value_node.Mark(), "expected a colour \"#rrggbb\" or \"#rgb\", got \"" + value + "\"");
      }
      widget.colors[key] = Lower(value);
    }
  }
  if (auto v = map.Get("position")) {
    widget.position = strict::ReadChoice(*v, where.Key("position"), {"bottom-right", "bottom-left"});
  }
  if (auto v = map.Get("prechat_fields")) {
    const Location at = where.Key("prechat_fields");
    const auto items = strict::ReadList(*v, at);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string field = strict::ReadChoice(items[i], at.Index(i), {"name", "email", "phone"});
      if (std::find(widget.prechat_fields.begin(), widget.prechat_fields.end(), field) !=
          widget.prechat_fields.end()) {
        Fail(at.Index(i), items[i].Mark(), "field \"" + field + "\" is listed twice");
      }
      widget.prechat_fields.push_back(field);
    }
  }
  if (auto v = map.Get("allowed_origins")) {
    const Location at = where.Key("allowed_origins");
    const auto items = strict::ReadList(*v, at);
    for (std::size_t i = 0; i < items.size(); ++i) {
      widget.allowed_origins.push_back(ReadHttpUrl(items[i], at.Index(i), true));
    }
  }
}

std::int64_t ReadPrice(const YAML::Node& node, const Location& where) {
  static const std::regex kPrice(R"(([0-9]{1,7})(\.([0-9]{1,2}))?)");
  const std::string expected = "expected an amount such as 45 or 45.00";
  if (!node.IsScalar() || node.Tag() == "!") Fail(where, node.Mark(), expected + ", got " + strict::Describe(node));
  std::smatch match;
  const std::string& text = node.Scalar();
  if (!std::regex_match(text, match, kPrice)) Fail(where, node.Mark(), expected + ", got \"" + text + "\"");
  std::int64_t cents = std::stoll(match[1]) * 100;
  if (match[3].matched) {
    const std::string fraction = match[3].str();
    cents += fraction.size() == 1 ? std::stoll(fraction) * 10 : std::stoll(fraction);
  }
  return cents;
}

ServiceSpec ReadService(const YAML::Node& node, const Location& where, const BusinessSpec& spec) {
  MapReader map(node, where,
                {"name", "aliases", "description", "duration_min", "price", "price_cents", "buffer_before_min",
                 "buffer_after_min", "bookable", "active"});
  ServiceSpec service;
  service.name = ReadText(map.Require("name"), where.Key("name"), kMaxNameChars);
  if (auto v = map.Get("aliases")) {
    const Location at = where.Key("aliases");
    const auto items = strict::ReadList(*v, at);
    if (items.size() > kMaxAliases) {
      Fail(at, v->Mark(), "at most " + std::to_string(kMaxAliases) + " aliases, got " + std::to_string(items.size()));
    }
    for (std::size_t i = 0; i < items.size(); ++i) service.aliases.push_back(ReadText(items[i], at.Index(i), kMaxNameChars));
  }
  if (auto v = map.Get("description")) {
    service.description = ReadText(*v, where.Key("description"), kMaxDescriptionChars);
  }
  service.duration_min = static_cast<int>(strict::ReadInt(map.Require("duration_min"), where.Key("duration_min"), 5, 1440));
  const auto price = map.Get("price");
  const auto price_cents = map.Get("price_cents");
  if (price && price_cents) {
    Fail(where.Key("price_cents"), price_cents->Mark(), "set either price or price_cents, not both");
  }
  if (price) service.price_cents = ReadPrice(*price, where.Key("price"));
  if (price_cents) service.price_cents = strict::ReadInt(*price_cents, where.Key("price_cents"), 0, 999'999'999);
  service.buffer_before_min = spec.booking.buffer_before_min;
  service.buffer_after_min = spec.booking.buffer_after_min;
  if (auto v = map.Get("buffer_before_min")) {
    service.buffer_before_min = static_cast<int>(strict::ReadInt(*v, where.Key("buffer_before_min"), 0, 240));
  }
  if (auto v = map.Get("buffer_after_min")) {
    service.buffer_after_min = static_cast<int>(strict::ReadInt(*v, where.Key("buffer_after_min"), 0, 240));
  }
  if (auto v = map.Get("bookable")) service.bookable = strict::ReadBool(*v, where.Key("bookable"));
  if (auto v = map.Get("active")) service.active = strict::ReadBool(*v, where.Key("active"));
  return service;
}

void ReadServices(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  const auto items = strict::ReadList(node, where);
  std::set<std::string> names;
  // Each alias must name one service only, or "blow dry" could mean two.
  std::map<std::string, std::string> owners;
  for (std::size_t i = 0; i < items.size(); ++i) {
    ServiceSpec service = ReadService(items[i], where.Index(i), spec);
    if (!names.insert(Lower(service.name)).second) {
      Fail(where.Index(i).Key("name"), items[i]["name"].Mark(), "service \"" + service.name + "\" is declared twice");
    }
    for (std::size_t a = 0; a < service.aliases.size(); ++a) {
      const auto [owner, fresh] = owners.emplace(Lower(service.aliases[a]), service.name);
      if (!fresh) {
        Fail(where.Index(i).Key("aliases").Index(a), items[i]["aliases"][a].Mark(),
             "alias \"" + service.aliases[a] + "\" is already an alias of \"" + owner->second + "\"");
      }
    }
    spec.services.push_back(std::move(service));
  }
  for (const auto& service : spec.services) {
    if (const auto it = owners.find(Lower(service.name)); it != owners.end()) {
      Fail(where, node.Mark(), "alias \"" + service.name + "\" of \"" + it->second + "\" is the name of another service");
    }
  }
}

void ReadResources(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  const auto items = strict::ReadList(node, where);
  std::set<std::string> names;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string name = ReadText(items[i], where.Index(i), kMaxResourceChars);
    if (!names.insert(Lower(name)).second) {
      Fail(where.Index(i), items[i].Mark(), "resource \"" + name + "\" is declared twice");
    }
    spec.resources.push_back(std::move(name));
  }
}

}  // namespace
// A lead time such as "24h", "90m" or "2d": at least 5 minutes, at most
// 30 days.
int ReadLeadMinutes(const YAML::Node& node, const Location& where) {
  static const std::regex kLead(R"(([0-9]{1,5})\s*([mhd]))");
  const std::string text = Lower(strict::ReadNonEmptyString(node, where));
  std::smatch match;
  const std::string expected = "expected a lead time such as \"24h\", \"2h\" or \"30m\" (5m to 30d), got \"" + text + "\"";
  if (!std::regex_match(text, match, kLead)) Fail(where, node.Mark(), expected);
  const long long count = std::stoll(match[1].str());
  const long long minutes = count * (match[2].str() == "d" ? 1440 : match[2].str() == "h" ? 60 : 1);
  if (minutes < 5 || minutes > 30 * 1440) Fail(where, node.Mark(), expected);
  return static_cast<int>(minutes);
}

void ReadNotifications(const YAML::Node& node, const Location& where, BusinessSpec& spec) {
  MapReader map(node, where, {"reply_to", "notify", "reminders", "color", "signature", "confirmation_note"});
  auto& settings = spec.notifications;
  if (auto v = map.Get("reply_to")) settings.reply_to = ReadEmail(*v, where.Key("reply_to"));
  if (auto v = map.Get("notify")) settings.notify = ReadEmail(*v, where.Key("notify"));
  if (auto v = map.Get("reminders")) {
    const Location at = where.Key("reminders");
    settings.reminder_lead_min.clear();
    const auto items = strict::ReadList(*v, at);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const int lead = ReadLeadMinutes(items[i], at.Index(i));
      if (std::find(settings.reminder_lead_min.begin(), settings.reminder_lead_min.end(), lead) !=
          settings.reminder_lead_min.end()) {
        Fail(at.Index(i), items[i].Mark(), "lead time given twice");
      }
      settings.reminder_lead_min.push_back(lead);
    }
    std::sort(settings.reminder_lead_min.rbegin(), settings.reminder_lead_min.rend());
  }
  if (auto v = map.Get("color")) {
    static const std::regex kColor(R"(#[0-9a-fA-F]{6})");
    const std::string value = strict::ReadNonEmptyString(*v, where.Key("color"));
    if (!std::regex_match(value, kColor)) {
      Fail(where.Key("color"), v->Mark(), "expected a colour \"#rrggbb\", got \"" + value + "\"");
    }
    settings.color = Lower(value);
  }
  if (auto v = map.Get("signature")) settings.signature = ReadText(*v, where.Key("signature"), kMaxNameChars);
  if (auto v = map.Get("confirmation_note")) {
    settings.confirmation_note = ReadText(*v, where.Key("confirmation_note"), kMaxGreetingChars);
  }
}

BusinessSpec ParseBusinessSpec(const std::string& yaml_text, const std::string& source_name) {
  strict::CheckUtf8(yaml_text, source_name);
  const Location root{source_name, ""};
  const YAML::Node document = strict::LoadDocument(yaml_text, source_name);
  if (document.IsNull()) Fail(root, document.Mark(), "the business file is empty; expected a mapping");
  MapReader map(document, root,
                {"slug", "name", "industry", "timezone", "country", "contact", "hours", "overrides", "booking", "ai", "plan",
                 "widget", "notifications", "services", "resources"});
  BusinessSpec spec;
  ReadSlug(map.Require("slug"), root.Key("slug"), spec);
  spec.name = ReadText(map.Require("name"), root.Key("name"), kMaxNameChars);
  if (auto v = map.Get("industry")) {
    const std::string name = strict::ReadChoice(
        *v, root.Key("industry"),
        {"MEDSPA", "SALON", "DENTAL", "FITNESS", "HEALTHCARE", "HOME_SERVICES", "OTHER"});
    spec.industry = *ParseIndustry(name);
  }
  ReadTimezone(map.Require("timezone"), root.Key("timezone"), spec);
  if (auto v = map.Get("country")) ReadCountry(*v, root.Key("country"), spec);
  if (auto v = map.Get("contact")) ReadContact(*v, root.Key("contact"), spec);
  if (auto v = map.Get("hours")) ReadHours(*v, root.Key("hours"), spec);
  if (auto v = map.Get("overrides")) ReadOverrides(*v, root.Key("overrides"), spec);
  if (auto v = map.Get("booking")) ReadBooking(*v, root.Key("booking"), spec);
  if (auto v = map.Get("ai")) ReadAi(*v, root.Key("ai"), spec);
  if (auto v = map.Get("plan")) {
    const std::string name =
        strict::ReadChoice(*v, root.Key("plan"), {"FREE", "STARTER", "PROFESSIONAL", "ENTERPRISE"});
    spec.plan = *billing::ParsePlanTier(name);
  }
  if (auto v = map.Get("widget")) {
    ReadWidget(*v, root.Key("widget"), spec);
    // Visitors write national numbers: without a region none could be read.
    const auto& fields = spec.widget.prechat_fields;
    if (std::find(fields.begin(), fields.end(), "phone") != fields.end() && PhoneRegion(spec).empty()) {
      Fail(root.Key("widget").Key("prechat_fields"), (*v)["prechat_fields"].Mark(),
           "the pre-chat form asks for a phone, but the business has no country (time zone " + spec.timezone +
               " names none)",
           "Set country: (e.g. US) so visitors can write their number as they dial it at home.");
    }
  }
  if (auto v = map.Get("notifications")) ReadNotifications(*v, root.Key("notifications"), spec);
  if (auto v = map.Get("services")) ReadServices(*v, root.Key("services"), spec);
  if (auto v = map.Get("resources")) ReadResources(*v, root.Key("resources"), spec);
  return spec;
}

BusinessSpec LoadBusinessFile(const std::string& path) {
  return ParseBusinessSpec(strict::ReadTextFile(path, "business file \"" + path + "\"", "Check the path given to -f."),
                           path);
}

}  // namespace omni::business
