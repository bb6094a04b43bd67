// Businesses: applying a declared BusinessSpec, listing and reading them.
#include "core/business/business.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <cstdio>
#include <regex>
#include <sstream>

#include <date/tz.h>
#include <nlohmann/json.hpp>

#include "core/billing/usage_tx.hpp"
#include "core/business/business_tx.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/db/phones_tx.hpp"
#include "core/db/pqxx.hpp"

namespace omni::business {
namespace {

constexpr std::pair<Industry, const char*> kIndustries[] = {
    {Industry::kMedspa, "MEDSPA"},         {Industry::kSalon, "SALON"},
    {Industry::kDental, "DENTAL"},         {Industry::kFitness, "FITNESS"},
    {Industry::kHealthcare, "HEALTHCARE"}, {Industry::kHomeServices, "HOME_SERVICES"},
    {Industry::kOther, "OTHER"},
};

constexpr const char* kStoredDays[7] = {"monday", "tuesday", "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
constexpr const char* kFileDays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

using Json = nlohmann::json;

constexpr const char* kBusinessColumns =
    "id::text, slug, name, industry, timezone, coalesce(email, ''), coalesce(phone, ''), "
    "coalesce(website, ''), coalesce(address, ''), weekly_hours::text, date_overrides::text, ai_enabled, "
    "ai_personality, greeting, ai_instructions, slot_interval_min, min_notice_min, advance_days, "
    "buffer_before_min, buffer_after_min, plan_tier, subscription_status, widget::text, "
    "array_to_json(allowed_origins)::text, widget_secret, (extract(epoch FROM created_at) * 1000000)::bigint, "
    "(extract(epoch FROM updated_at) * 1000000)::bigint, notifications::text, coalesce(country, '')";

constexpr const char* kServiceColumns =
    "business_id::text, id::text, name, description, duration_min, price_cents, buffer_before_min, "
    "buffer_after_min, bookable, active, sort_order, array_to_json(aliases)::text";

Json WindowsJson(const DayWindows& windows) {
  Json out = Json::array();
  for (const auto& w : windows) out.push_back({FormatClockTime(w.start_min), FormatClockTime(w.end_min)});
  return out;
}

// Stored hours are written only by Apply, so a malformed value means the
// row was edited by hand: it is a configuration error naming the business.
DayWindows WindowsFromJson(const Json& json, const std::string& where) {
  const std::string expected = where + ": expected a list of [\"HH:MM\", \"HH:MM\"] windows";
  const std::string hint = "Apply the business file again to rewrite them.";
  if (!json.is_array()) throw ConfigError(expected, hint);
  DayWindows windows;
  for (const auto& pair : json) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      throw ConfigError(expected, hint);
    }
    try {
      windows.push_back({ParseClockTime(pair[0].get<std::string>(), "window start"),
                         ParseClockTime(pair[1].get<std::string>(), "window end")});
    } catch (const InvalidInput& e) {
      throw ConfigError(where + ": " + e.what(), hint);
    }
  }
  return windows;
}

std::array<DayWindows, 7> WeeklyFromJson(const Json& weekly, const std::string& business) {
  std::array<DayWindows, 7> out;
  for (const auto& [day, windows] : weekly.items()) {
    const auto* found = std::find(std::begin(kStoredDays), std::end(kStoredDays), day);
    if (found == std::end(kStoredDays)) {
      throw ConfigError("business \"" + business + "\" has hours for an unknown weekday \"" + day + "\"",
                        "Apply the business file again to rewrite them.");
    }
    out[static_cast<std::size_t>(found - std::begin(kStoredDays))] =
        WindowsFromJson(windows, "business \"" + business + "\" hours on " + day);
  }
  return out;
}

std::string DescribeWindows(const DayWindows& windows) {
  if (windows.empty()) return "closed";
  std::string out;
  for (const auto& w : windows) {
    if (!out.empty()) out += ", ";
    out += FormatClockTime(w.start_min) + "-" + FormatClockTime(w.end_min);
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string DescribeColors(const std::map<std::string, std::string>& colors) {
  std::string out;
  for (const auto& [key, value] : colors) {
    if (!out.empty()) out += ", ";
    out += key + "=" + value;
  }
  return out;
}

const char* BoolText(bool value) { return value ? "true" : "false"; }

// The jsonb shapes other modules read (booking: hours; webchat: widget).
Json WeeklyJson(const BusinessSpec& spec) {
  Json out = Json::object();
  for (int day = 0; day < 7; ++day) {
    if (!spec.weekly[day].empty()) out[kStoredDays[day]] = WindowsJson(spec.weekly[day]);
  }
  return out;
}

Json OverridesJson(const BusinessSpec& spec) {
  Json out = Json::object();
  for (const auto& [date, windows] : spec.overrides) out[date] = WindowsJson(windows);
  return out;
}

Json WidgetJson(const WidgetSettings& widget) {
  return Json{{"title", widget.title},
              {"greeting", widget.greeting},
              {"limit_message", widget.limit_message},
              {"colors", widget.colors},
              {"position", widget.position},
              {"prechat_fields", widget.prechat_fields}};
}

Json NotificationsJson(const NotificationSettings& settings) {
  return Json{{"reply_to", settings.reply_to},   {"notify", settings.notify},
              {"reminder_lead_min", settings.reminder_lead_min}, {"color", settings.color},
              {"signature", settings.signature}, {"confirmation_note", settings.confirmation_note}};
}

// Settings stored before this column existed read as the defaults.
NotificationSettings NotificationsFromJson(const std::string& text) {
  const Json json = Json::parse(text);
  NotificationSettings settings;
  settings.reply_to = json.value("reply_to", "");
  settings.notify = json.value("notify", "");
  settings.reminder_lead_min = json.value("reminder_lead_min", settings.reminder_lead_min);
  settings.color = json.value("color", "");
  settings.signature = json.value("signature", "");
  settings.confirmation_note = json.value("confirmation_note", "");
  return settings;
}

TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }

Business BusinessFromRow(const pqxx::row& row) {
  Business b;
  b.id = row[0].as<std::string>();
  BusinessSpec& spec = b.spec;
  spec.slug = row[1].as<std::string>();
  spec.name = row[2].as<std::string>();
  spec.industry = ParseIndustry(row[3].as<std::string>()).value_or(Industry::kOther);
  spec.timezone = row[4].as<std::string>();
  spec.contact = {row[5].as<std::string>(), row[6].as<std::string>(), row[7].as<std::string>(),
                  row[8].as<std::string>()};
  spec.weekly = WeeklyFromJson(Json::parse(row[9].as<std::string>()), spec.name);
  const Json overrides = Json::parse(row[10].as<std::string>());
  for (const auto& [date, windows] : overrides.items()) {
    spec.overrides[date] = WindowsFromJson(windows, "business \"" + spec.name + "\" override " + date);
  }
  spec.ai = {row[11].as<bool>(), row[12].as<std::string>(), row[13].as<std::string>(), row[14].as<std::string>()};
  spec.booking = {row[15].as<int>(), row[16].as<int>(), row[17].as<int>(), row[18].as<int>(), row[19].as<int>()};
  spec.plan = billing::ParsePlanTier(row[20].as<std::string>()).value_or(billing::PlanTier::kFree);
  b.subscription_status = row[21].as<std::string>();
  const Json widget = Json::parse(row[22].as<std::string>());
  spec.widget.title = widget.value("title", "");
  spec.widget.greeting = widget.value("greeting", "");
  spec.widget.limit_message = widget.value("limit_message", WidgetSettings{}.limit_message);
  spec.widget.colors = widget.value("colors", std::map<std::string, std::string>{});
  spec.widget.position = widget.value("position", "bottom-right");
  spec.widget.prechat_fields = widget.value("prechat_fields", std::vector<std::string>{});
  spec.widget.allowed_origins = Json::parse(row[23].as<std::string>()).get<std::vector<std::string>>();
  b.widget_secret = row[24].as<std::string>();
  b.created_at = FromMicros(row[25].as<long long>());
  b.updated_at = FromMicros(row[26].as<long long>());
  spec.notifications = NotificationsFromJson(row[27].as<std::string>());
  spec.country = row[28].as<std::string>();
  return b;
}

struct StoredService {
  ServiceSpec spec;
  int sort_order = 0;
};

StoredService ServiceFromRow(const pqxx::row& row) {
  StoredService s;
  s.spec.id = row[1].as<std::string>();
  s.spec.name = row[2].as<std::string>();
  s.spec.description = row[3].as<std::string>();
  s.spec.duration_min = row[4].as<int>();
  s.spec.price_cents = row[5].as<std::int64_t>();
  s.spec.buffer_before_min = row[6].as<int>();
  s.spec.buffer_after_min = row[7].as<int>();
  s.spec.bookable = row[8].as<bool>();
  s.spec.active = row[9].as<bool>();
  s.sort_order = row[10].as<int>();
  s.spec.aliases = Json::parse(row[11].as<std::string>()).get<std::vector<std::string>>();
  return s;
}

struct StoredResource {
  std::string name;
  bool active = true;
};

std::vector<StoredResource> LoadResources(pqxx::work& tx, const std::string& business_id) {
  std::vector<StoredResource> resources;
  for (const auto& row : tx.exec_params(
           "SELECT name, active FROM resources WHERE business_id = $1::uuid ORDER BY created_at, name",
           business_id)) {
    resources.push_back({row[0].as<std::string>(), row[1].as<bool>()});
  }
  return resources;
}

// Fills services (all, active first in file order) and active resources.
void LoadChildren(pqxx::work& tx, std::vector<Business>& businesses) {
  if (businesses.empty()) return;
  std::map<std::string, Business*> by_id;
  Json ids = Json::array();
  for (auto& b : businesses) {
    by_id[b.id] = &b;
    ids.push_back(b.id);
  }
  const std::string id_list = "ARRAY(SELECT jsonb_array_elements_text($1::jsonb))::uuid[]";
  for (const auto& row : tx.exec_params(std::string("SELECT ") + kServiceColumns +
                                            " FROM services WHERE business_id = ANY (" + id_list +
                                            ") ORDER BY active DESC, sort_order, name",
                                        ids.dump())) {
    by_id.at(row[0].as<std::string>())->spec.services.push_back(ServiceFromRow(row).spec);
  }
  for (const auto& row : tx.exec_params("SELECT business_id::text, name FROM resources WHERE active AND "
                                        "business_id = ANY (" + id_list + ") ORDER BY created_at, name",
                                        ids.dump())) {
    by_id.at(row[0].as<std::string>())->spec.resources.push_back(row[1].as<std::string>());
  }
}

void ValidateSpec(const BusinessSpec& spec) {
  static const std::regex kSlug("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  if (!std::regex_match(spec.slug, kSlug)) {
    throw InvalidInput("invalid business slug \"" + spec.slug + "\": expected 2 to 63 characters from a-z, 0-9 and '-'");
  }
  if (spec.name.empty()) throw InvalidInput("business \"" + spec.slug + "\" has no name");
  try {
    date::locate_zone(spec.timezone);
  } catch (const std::exception&) {
    throw InvalidInput("unknown time zone \"" + spec.timezone + "\"",
                       "Use an IANA time zone name such as America/New_York.");
  }
  std::set<std::string> names;
  for (const auto& service : spec.services) {
    if (service.name.empty()) throw InvalidInput("a service of business \"" + spec.slug + "\" has no name");
    if (!names.insert(Lower(service.name)).second) {
      throw InvalidInput("service \"" + service.name + "\" is declared twice");
    }
  }
}

void Add(std::vector<FieldChange>& changes, std::string field, const std::string& before, const std::string& after) {
  if (before != after) changes.push_back({std::move(field), before, after});
}

// What differs in the businesses row, in file terms.
std::vector<FieldChange> DiffProfile(const BusinessSpec& was, const BusinessSpec& want) {
  std::vector<FieldChange> changes;
  Add(changes, "name", was.name, want.name);
  Add(changes, "industry", IndustryName(was.industry), IndustryName(want.industry));
  Add(changes, "timezone", was.timezone, want.timezone);
  Add(changes, "country", was.country, want.country);
  Add(changes, "contact.email", was.contact.email, want.contact.email);
  Add(changes, "contact.phone", was.contact.phone, want.contact.phone);
  Add(changes, "contact.website", was.contact.website, want.contact.website);
  Add(changes, "contact.address", was.contact.address, want.contact.address);
  for (int day = 0; day < 7; ++day) {
    Add(changes, std::string("hours.") + kFileDays[day], DescribeWindows(was.weekly[day]),
        DescribeWindows(want.weekly[day]));
  }
  std::set<std::string> dates;
  for (const auto& [date, windows] : was.overrides) dates.insert(date);
  for (const auto& [date, windows] : want.overrides) dates.insert(date);
  for (const auto& date : dates) {
    const auto before = was.overrides.find(date);
    const auto after = want.overrides.find(date);
    Add(changes, "overrides." + date, before == was.overrides.end() ? "" : DescribeWindows(before->second),
        after == want.overrides.end() ? "" : DescribeWindows(after->second));
  }
  const auto number = [](int value) { return std::to_string(value); };
  Add(changes, "booking.slot_interval_min", number(was.booking.slot_interval_min), number(want.booking.slot_interval_min));
  Add(changes, "booking.min_notice_min", number(was.booking.min_notice_min), number(want.booking.min_notice_min));
  Add(changes, "booking.advance_days", number(was.booking.advance_days), number(want.booking.advance_days));
  Add(changes, "booking.buffer_before_min", number(was.booking.buffer_before_min), number(want.booking.buffer_before_min));
  Add(changes, "booking.buffer_after_min", number(was.booking.buffer_after_min), number(want.booking.buffer_after_min));
  Add(changes, "ai.enabled", BoolText(was.ai.enabled), BoolText(want.ai.enabled));
  Add(changes, "ai.personality", was.ai.personality, want.ai.personality);
  Add(changes, "ai.greeting", was.ai.greeting, want.ai.greeting);
  Add(changes, "ai.instructions", was.ai.instructions, want.ai.instructions);
  if (want.plan && was.plan) Add(changes, "plan", billing::PlanTierName(*was.plan), billing::PlanTierName(*want.plan));
  Add(changes, "widget.title", was.widget.title, want.widget.title);
  Add(changes, "widget.greeting", was.widget.greeting, want.widget.greeting);
  Add(changes, "widget.limit_message", was.widget.limit_message, want.widget.limit_message);
  Add(changes, "widget.colors", DescribeColors(was.widget.colors), DescribeColors(want.widget.colors));
  Add(changes, "widget.position", was.widget.position, want.widget.position);
  Add(changes, "widget.prechat_fields", Join(was.widget.prechat_fields), Join(want.widget.prechat_fields));
  Add(changes, "widget.allowed_origins", Join(was.widget.allowed_origins), Join(want.widget.allowed_origins));
  const auto& was_n = was.notifications;
  const auto& want_n = want.notifications;
  Add(changes, "notifications.reply_to", was_n.reply_to, want_n.reply_to);
  Add(changes, "notifications.notify", was_n.notify, want_n.notify);
  std::vector<std::string> was_leads, want_leads;
  for (int lead : was_n.reminder_lead_min) was_leads.push_back(std::to_string(lead) + "m");
  for (int lead : want_n.reminder_lead_min) want_leads.push_back(std::to_string(lead) + "m");
  Add(changes, "notifications.reminders", Join(was_leads), Join(want_leads));
  Add(changes, "notifications.color", was_n.color, want_n.color);
  Add(changes, "notifications.signature", was_n.signature, want_n.signature);
  Add(changes, "notifications.confirmation_note", was_n.confirmation_note, want_n.confirmation_note);
  return changes;
}

std::string DescribeService(const ServiceSpec& s) {
  return std::to_string(s.duration_min) + " min, " + std::to_string(s.price_cents) + " cents";
}

std::vector<FieldChange> DiffService(const StoredService& was, const ServiceSpec& want, int want_order) {
  std::vector<FieldChange> changes;
  const std::string prefix = "services[" + want.name + "].";
  const auto number = [](std::int64_t value) { return std::to_string(value); };
  Add(changes, prefix + "name", was.spec.name, want.name);
  Add(changes, prefix + "aliases", Join(was.spec.aliases), Join(want.aliases));
  Add(changes, prefix + "description", was.spec.description, want.description);
  Add(changes, prefix + "duration_min", number(was.spec.duration_min), number(want.duration_min));
  Add(changes, prefix + "price_cents", number(was.spec.price_cents), number(want.price_cents));
  Add(changes, prefix + "buffer_before_min", number(was.spec.buffer_before_min), number(want.buffer_before_min));
  Add(changes, prefix + "buffer_after_min", number(was.spec.buffer_after_min), number(want.buffer_after_min));
  Add(changes, prefix + "bookable", BoolText(was.spec.bookable), BoolText(want.bookable));
  Add(changes, prefix + "active", BoolText(was.spec.active), BoolText(want.active));
  Add(changes, prefix + "sort_order", number(was.sort_order), number(want_order));
  return changes;
}

// The businesses columns written by apply, $2.. in this order ($1 is the id
// or, on insert, unused).
std::string ProfileAssignments() {
  return "slug = $2, name = $3, industry = $4, timezone = $5, email = $6, phone = $7, website = $8, "
         "address = $9, weekly_hours = $10::jsonb, date_overrides = $11::jsonb, ai_enabled = $12::boolean, "
         "ai_personality = $13, greeting = $14, ai_instructions = $15, slot_interval_min = $16::integer, "
         "min_notice_min = $17::integer, advance_days = $18::integer, buffer_before_min = $19::integer, "
         "buffer_after_min = $20::integer, plan_tier = coalesce($21, plan_tier), widget = $22::jsonb, "
         "allowed_origins = ARRAY(SELECT jsonb_array_elements_text($23::jsonb)), notifications = $24::jsonb, "
         "country = $25, phone_region = $26";
}

std::optional<std::string> OrNull(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

// Creates the row (defaults for everything), then writes the profile, so
// insert and update share one column list.
void WriteProfile(pqxx::work& tx, const std::string& id, const BusinessSpec& spec) {
  const auto was = tx.exec_params("SELECT phone_region FROM businesses WHERE id = $1::uuid FOR UPDATE", id);
  const std::string region = PhoneRegion(spec);
  std::optional<std::string> plan;
  if (spec.plan) plan = billing::PlanTierName(*spec.plan);
  const Json origins = spec.widget.allowed_origins;
  tx.exec_params("UPDATE businesses SET " + ProfileAssignments() + " WHERE id = $1::uuid", id, spec.slug, spec.name,
                 IndustryName(spec.industry), spec.timezone, OrNull(spec.contact.email), OrNull(spec.contact.phone),
                 OrNull(spec.contact.website), OrNull(spec.contact.address), WeeklyJson(spec).dump(),
                 OverridesJson(spec).dump(), spec.ai.enabled, spec.ai.personality, spec.ai.greeting,
                 spec.ai.instructions, spec.booking.slot_interval_min, spec.booking.min_notice_min,
                 spec.booking.advance_days, spec.booking.buffer_before_min, spec.booking.buffer_after_min, plan,
                 WidgetJson(spec.widget).dump(), origins.dump(), NotificationsJson(spec.notifications).dump(),
                 OrNull(spec.country), region);
  // Phones kept as typed (migration 28: no region, or not a number there)
  // get read again in a new region: a business that corrects its country
  // finds its customers' numbers. What is E.164 already stays.
  if (!region.empty() && !was.empty() && was[0][0].as<std::string>() != region) db::ConvertKeptPhones(tx, id, region);
}

void ApplyServices(pqxx::work& tx, const std::string& business_id, const BusinessSpec& spec, bool write,
                   std::vector<FieldChange>& changes) {
  std::vector<StoredService> stored;
  if (!business_id.empty()) {
    for (const auto& row : tx.exec_params(std::string("SELECT ") + kServiceColumns +
                                              " FROM services WHERE business_id = $1::uuid ORDER BY sort_order, name",
                                          business_id)) {
      stored.push_back(ServiceFromRow(row));
    }
  }
  std::vector<bool> matched(stored.size(), false);
  // Exact names first, then case-insensitive ones (a renamed capitalisation
  // updates the service instead of replacing it).
  const auto find = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < stored.size(); ++i) {
      if (!matched[i] && stored[i].spec.name == name) return static_cast<int>(i);
    }
    for (std::size_t i = 0; i < stored.size(); ++i) {
      if (!matched[i] && Lower(stored[i].spec.name) == Lower(name)) return static_cast<int>(i);
    }
    return -1;
  };
  for (std::size_t order = 0; order < spec.services.size(); ++order) {
    const ServiceSpec& want = spec.services[order];
    const int index = find(want.name);
    if (index < 0) {
      changes.push_back({"services[" + want.name + "]", "", "created: " + DescribeService(want)});
      if (write) {
        tx.exec_params(
            "INSERT INTO services (business_id, name, description, duration_min, price_cents, buffer_before_min, "
            "buffer_after_min, bookable, active, sort_order, aliases) VALUES ($1::uuid, $2, $3, $4::integer, "
            "$5::bigint, $6::integer, $7::integer, $8::boolean, $9::boolean, $10::integer,"
            " ARRAY(SELECT jsonb_array_elements_text($11::jsonb)))",
            business_id, want.name, want.description, want.duration_min, want.price_cents, want.buffer_before_min,
            want.buffer_after_min, want.bookable, want.active, static_cast<int>(order), Json(want.aliases).dump());
      }
      continue;
    }
    matched[index] = true;
    auto diff = DiffService(stored[index], want, static_cast<int>(order));
    if (diff.empty()) continue;
    changes.insert(changes.end(), diff.begin(), diff.end());
    if (write) {
      tx.exec_params(
          "UPDATE services SET name = $3, description = $4, duration_min = $5::integer, price_cents = $6::bigint, "
          "buffer_before_min = $7::integer, buffer_after_min = $8::integer, bookable = $9::boolean, "
          "active = $10::boolean, sort_order = $11::integer, aliases = ARRAY(SELECT jsonb_array_elements_text($12::jsonb))"
          " WHERE business_id = $1::uuid AND id = $2::uuid",
          business_id, stored[index].spec.id, want.name, want.description, want.duration_min, want.price_cents,
          want.buffer_before_min, want.buffer_after_min, want.bookable, want.active, static_cast<int>(order),
          Json(want.aliases).dump());
    }
  }
  // Appointments reference services, so one missing from the file is
  // deactivated (no longer offered), never deleted.
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (matched[i] || !stored[i].spec.active) continue;
    changes.push_back({"services[" + stored[i].spec.name + "].active", "true", "false"});
    if (write) {
      tx.exec_params("UPDATE services SET active = false WHERE business_id = $1::uuid AND id = $2::uuid",
                     business_id, stored[i].spec.id);
    }
  }
}

void ApplyResources(pqxx::work& tx, const std::string& business_id, const BusinessSpec& spec, bool write,
                    std::vector<FieldChange>& changes) {
  std::vector<StoredResource> stored;
  if (!business_id.empty()) stored = LoadResources(tx, business_id);
  std::vector<bool> matched(stored.size(), false);
  for (const auto& name : spec.resources) {
    const auto it = std::find_if(stored.begin(), stored.end(),
                                 [&](const StoredResource& r) { return Lower(r.name) == Lower(name); });
    if (it == stored.end()) {
      changes.push_back({"resources[" + name + "]", "", "created"});
      if (write) {
        tx.exec_params("INSERT INTO resources (business_id, name) VALUES ($1::uuid, $2)", business_id, name);
      }
      continue;
    }
    matched[it - stored.begin()] = true;
    if (it->active && it->name == name) continue;
    if (it->name != name) changes.push_back({"resources[" + name + "].name", it->name, name});
    if (!it->active) changes.push_back({"resources[" + name + "].active", "false", "true"});
    if (write) {
      tx.exec_params(
          "UPDATE resources SET name = $3, active = true WHERE business_id = $1::uuid AND lower(name) = lower($2)",
          business_id, it->name, name);
    }
  }
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (matched[i] || !stored[i].active) continue;
    changes.push_back({"resources[" + stored[i].name + "].active", "true", "false"});
    if (write) {
      tx.exec_params("UPDATE resources SET active = false WHERE business_id = $1::uuid AND name = $2", business_id,
                     stored[i].name);
    }
  }
}

NotFound UnknownSlug(const std::string& slug) {
  return NotFound("business \"" + slug + "\" not found",
                  "Run `omni business list` to see the businesses, or `omni business apply -f FILE` to add one.");
}

}  // namespace

std::string PhoneRegion(const BusinessSpec& spec) {
  return spec.country.empty() ? phone::RegionForTimeZone(spec.timezone) : spec.country;
}

std::string FormatClockTime(int minutes) {
  const int clamped = std::clamp(minutes, 0, 24 * 60);
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d", clamped / 60, clamped % 60);
  return text;
}

int ParseClockTime(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return InvalidInput("invalid " + what + " \"" + text + "\": expected HH:MM between 00:00 and 24:00",
                        "Write times on a 24-hour clock, e.g. \"09:00\" or \"17:30\".");
  };
  if (text.size() != 5 || text[2] != ':') throw bad();
  for (int i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) throw bad();
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (minute > 59 || hour > 24 || (hour == 24 && minute != 0)) throw bad();
  return hour * 60 + minute;
}

Schedule LoadSchedule(pqxx::dbtransaction& tx, const std::string& business_id) {
  const auto rows = db::ExecPrepared(
      tx, "omni_business_schedule",
      "SELECT name, coalesce(email, ''), coalesce(address, ''), timezone, weekly_hours::text, date_overrides::text,"
      " slot_interval_min, min_notice_min, advance_days, buffer_before_min, buffer_after_min"
      " FROM businesses WHERE id = $1::uuid",
      business_id);
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  const auto& row = rows[0];
  Schedule schedule;
  schedule.name = row[0].as<std::string>();
  schedule.email = row[1].as<std::string>();
  schedule.address = row[2].as<std::string>();
  schedule.timezone = row[3].as<std::string>();
  schedule.weekly = WeeklyFromJson(Json::parse(row[4].as<std::string>()), schedule.name);
  const Json overrides = Json::parse(row[5].as<std::string>());
  for (const auto& [key, windows] : overrides.items()) {
    const std::string where = "business \"" + schedule.name + "\" override " + key;
    std::istringstream in(key);
    date::sys_days day;
    in >> date::parse("%F", day);
    if (in.fail()) throw ConfigError(where + ": expected a date YYYY-MM-DD", "Apply the business file again.");
    schedule.overrides[std::chrono::year_month_day{std::chrono::sys_days{day.time_since_epoch()}}] =
        WindowsFromJson(windows, where);
  }
  schedule.rules = {row[6].as<int>(), row[7].as<int>(), row[8].as<int>(), row[9].as<int>(), row[10].as<int>()};
  return schedule;
}

NotifyProfile LoadNotifyProfile(pqxx::dbtransaction& tx, const std::string& business_id) {
  const auto rows = tx.exec_params(
      "SELECT name, coalesce(email, ''), timezone, coalesce(widget->'colors'->>'primary', ''), notifications::text,"
      " slug, phone_region FROM businesses WHERE id = $1::uuid",
      business_id);
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  NotifyProfile profile;
  profile.name = rows[0][0].as<std::string>();
  profile.email = rows[0][1].as<std::string>();
  profile.timezone = rows[0][2].as<std::string>();
  profile.primary_color = rows[0][3].as<std::string>();
  profile.settings = NotificationsFromJson(rows[0][4].as<std::string>());
  profile.slug = rows[0][5].as<std::string>();
  profile.phone_region = rows[0][6].as<std::string>();
  return profile;
}

const char* IndustryName(Industry industry) {
  for (const auto& [value, name] : kIndustries) {
    if (value == industry) return name;
  }
  return "OTHER";
}

std::optional<Industry> ParseIndustry(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& [value, known] : kIndustries) {
    if (upper == known) return value;
  }
  return std::nullopt;
}

const char* ApplyActionName(ApplyAction action) {
  switch (action) {
    case ApplyAction::kCreated:
      return "created";
    case ApplyAction::kUpdated:
      return "updated";
    case ApplyAction::kUnchanged:
      break;
  }
  return "unchanged";
}

namespace {

// Before anything is written to services: a refusal rolls back the whole
// apply, so nothing is half-applied.
void CheckServiceLimit(pqxx::work& tx, const std::string& business_id, const BusinessSpec& spec,
                       const ApplyOptions& options) {
  const auto active_after = static_cast<std::int64_t>(
      std::count_if(spec.services.begin(), spec.services.end(), [](const ServiceSpec& s) { return s.active; }));
  const TimePoint now = options.clock->Now();
  if (business_id.empty()) {
    return billing::CheckNewHolding(options.billing, spec.timezone, billing::Metric::kServices, active_after, now);
  }
  const auto active_before =
      tx.exec_params("SELECT count(*) FROM services WHERE business_id = $1::uuid AND active", business_id)[0][0]
          .as<std::int64_t>();
  billing::CheckHolding(tx, business_id, options.billing, billing::Metric::kServices, active_before, active_after,
                        now, !options.dry_run);
}

}  // namespace

ApplyResult Apply(db::Pool& pool, const BusinessSpec& spec, const ApplyOptions& options) {
  ValidateSpec(spec);
  const bool write = !options.dry_run;
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // Serialises applies of one slug, including the first (no row to lock yet).
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "omni.business.apply:" + spec.slug);
    const auto rows = tx.exec_params(std::string("SELECT ") + kBusinessColumns +
                                         " FROM businesses WHERE slug = $1 FOR UPDATE",
                                     spec.slug);
    ApplyResult result;
    if (rows.empty()) {
      result.action = ApplyAction::kCreated;
      if (write) {
        result.business_id =
            tx.exec_params("INSERT INTO businesses (slug, name) VALUES ($1, $2) RETURNING id::text", spec.slug,
                           spec.name)[0][0]
                .as<std::string>();
        BusinessSpec created = spec;
        if (!created.plan) created.plan = billing::PlanTier::kFree;
        WriteProfile(tx, result.business_id, created);
      }
    } else {
      const Business current = BusinessFromRow(rows[0]);
      result.business_id = current.id;
      result.changes = DiffProfile(current.spec, spec);
      if (write && !result.changes.empty()) WriteProfile(tx, current.id, spec);
    }
    CheckServiceLimit(tx, result.business_id, spec, options);
    ApplyServices(tx, result.business_id, spec, write, result.changes);
    ApplyResources(tx, result.business_id, spec, write, result.changes);
    if (result.action != ApplyAction::kCreated) {
      result.action = result.changes.empty() ? ApplyAction::kUnchanged : ApplyAction::kUpdated;
    }
    return result;
  });
}

std::vector<Business> List(db::Pool& pool) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::vector<Business> businesses;
    for (const auto& row : tx.exec(std::string("SELECT ") + kBusinessColumns + " FROM businesses ORDER BY slug")) {
      businesses.push_back(BusinessFromRow(row));
    }
    LoadChildren(tx, businesses);
    return businesses;
  });
}

Business Get(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows =
        tx.exec_params(std::string("SELECT ") + kBusinessColumns + " FROM businesses WHERE slug = $1", slug);
    if (rows.empty()) throw UnknownSlug(slug);
    std::vector<Business> businesses{BusinessFromRow(rows[0])};
    LoadChildren(tx, businesses);
    return businesses[0];
  });
}

std::string FindId(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params("SELECT id::text FROM businesses WHERE slug = $1", slug);
    if (rows.empty()) throw UnknownSlug(slug);
    return rows[0][0].as<std::string>();
  });
}

TenantRef FindTenant(db::Pool& pool, const std::string& slug) {
  // One statement: autocommit spares the BEGIN and COMMIT round trips.
  return db::WithConnection(pool, [&](pqxx::nontransaction& tx) {
    const auto rows = tx.exec_params("SELECT id::text, timezone, phone_region FROM businesses WHERE slug = $1", slug);
    if (rows.empty()) throw UnknownSlug(slug);
    return TenantRef{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(), rows[0][2].as<std::string>()};
  });
}

}  // namespace omni::business
