// `omni business apply|list|show`: businesses declared in YAML files.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ApplyOptions {
  std::string file;
  bool dry_run = false;
};

struct ListOptions {};

struct ShowOptions {
  std::string slug;
  bool show_secret = false;
};

constexpr const char* kDays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

Json WindowsJson(const business::DayWindows& windows) {
  Json out = Json::array();
  for (const auto& w : windows) out.push_back({business::FormatClockTime(w.start_min), business::FormatClockTime(w.end_min)});
  return out;
}

std::string WindowsText(const business::DayWindows& windows) {
  if (windows.empty()) return "closed";
  std::string out;
  for (const auto& w : windows) out += (out.empty() ? "" : ", ") + business::FormatClockTime(w.start_min) + "-" + business::FormatClockTime(w.end_min);
  return out;
}

Json ServiceJson(const business::ServiceSpec& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"aliases", s.aliases},
          {"description", s.description},
          {"duration_min", s.duration_min},
          {"price_cents", s.price_cents},
          {"buffer_before_min", s.buffer_before_min},
          {"buffer_after_min", s.buffer_after_min},
          {"bookable", s.bookable},
          {"active", s.active}};
}

std::size_t ActiveServices(const business::Business& b) {
  std::size_t count = 0;
  for (const auto& s : b.spec.services) count += s.active ? 1 : 0;
  return count;
}

Json SummaryJson(const business::Business& b) {
  return {{"id", b.id},
          {"slug", b.spec.slug},
          {"name", b.spec.name},
          {"industry", business::IndustryName(b.spec.industry)},
          {"timezone", b.spec.timezone},
          {"plan", billing::PlanTierName(b.spec.plan.value_or(billing::PlanTier::kFree))},
          {"subscription_status", b.subscription_status},
          {"services", ActiveServices(b)},
          {"created_at", Utc(b.created_at)},
          {"updated_at", Utc(b.updated_at)}};
}

Json DetailJson(const business::Business& b, bool show_secret) {
  const auto& spec = b.spec;
  Json record = SummaryJson(b);
  record.erase("services");
  record["country"] = spec.country.empty() ? Json(nullptr) : Json(spec.country);
  record["phone_region"] = business::PhoneRegion(spec);
  record["contact"] = {{"email", spec.contact.email},
                       {"phone", spec.contact.phone},
                       {"website", spec.contact.website},
                       {"address", spec.contact.address}};
  Json hours = Json::object();
  for (int day = 0; day < 7; ++day) hours[kDays[day]] = WindowsJson(spec.weekly[day]);
  record["hours"] = hours;
  Json overrides = Json::object();
  for (const auto& [date, windows] : spec.overrides) overrides[date] = WindowsJson(windows);
  record["overrides"] = overrides;
  record["booking"] = {{"slot_interval_min", spec.booking.slot_interval_min},
                       {"min_notice_min", spec.booking.min_notice_min},
                       {"advance_days", spec.booking.advance_days},
                       {"buffer_before_min", spec.booking.buffer_before_min},
                       {"buffer_after_min", spec.booking.buffer_after_min}};
  record["ai"] = {{"enabled", spec.ai.enabled},
                  {"personality", spec.ai.personality},
                  {"greeting", spec.ai.greeting},
                  {"instructions", spec.ai.instructions}};
  record["widget"] = {{"title", spec.widget.title},
                      {"greeting", spec.widget.greeting},
                      {"limit_message", spec.widget.limit_message},
                      {"colors", spec.widget.colors},
                      {"position", spec.widget.position},
                      {"prechat_fields", spec.widget.prechat_fields},
                      {"allowed_origins", spec.widget.allowed_origins}};
  if (show_secret) record["widget_secret"] = b.widget_secret;
  record["resources"] = spec.resources;
  Json services = Json::array();
  for (const auto& s : spec.services) services.push_back(ServiceJson(s));
  record["services"] = services;
  return record;
}

int RunApply(Context& ctx, const ApplyOptions& opts) {
  const business::BusinessSpec spec = business::LoadBusinessFile(opts.file);
  const auto result = business::Apply(
      ctx.Database(), spec, {.dry_run = opts.dry_run, .billing = billing::ResolveBillingSettings(ctx.Config())});
  Json changes = Json::array();
  for (const auto& c : result.changes) changes.push_back({{"field", c.field}, {"before", c.before}, {"after", c.after}});
  const std::string action = business::ApplyActionName(result.action);
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json({{"slug", spec.slug},
                    {"business_id", result.business_id},
                    {"action", action},
                    {"dry_run", opts.dry_run},
                    {"changes", changes}});
  } else {
    ctx.out().List({{"field", "FIELD"}, {"before", "BEFORE"}, {"after", "AFTER"}}, changes);
  }
  const std::string verb = opts.dry_run ? "would be " + action : action;
  std::string line = "business " + spec.slug + " " + verb;
  if (result.action == business::ApplyAction::kCreated) {
    line = ctx.out().Green(line) + " (" + std::to_string(spec.services.size()) + " services)";
  } else if (result.action == business::ApplyAction::kUpdated) {
    line = ctx.out().Green(line) + " (" + std::to_string(result.changes.size()) + " change" +
           (result.changes.size() == 1 ? "" : "s") + ")";
  } else {
    line += ": the database already matches " + opts.file;
  }
  ctx.out().Status(line);
  return 0;
}

int RunList(Context& ctx, const ListOptions&) {
  Json rows = Json::array();
  for (const auto& b : business::List(ctx.Database())) rows.push_back(SummaryJson(b));
  ctx.out().List({{"slug", "SLUG"},
                  {"name", "NAME"},
                  {"industry", "INDUSTRY"},
                  {"timezone", "TIMEZONE"},
                  {"plan", "PLAN"},
                  {"services", "SERVICES"}},
                 rows);
  if (rows.empty()) ctx.out().Status("no businesses yet; add one with `omni business apply -f FILE`");
  return 0;
}

int RunShow(Context& ctx, const ShowOptions& opts) {
  const std::string slug = opts.slug.empty() ? ctx.RequireBusiness() : opts.slug;
  const business::Business b = business::Get(ctx.Database(), slug);
  Json record = DetailJson(b, opts.show_secret);
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json(record);
    return 0;
  }
  const auto& spec = b.spec;
  Json flat = SummaryJson(b);
  flat["email"] = spec.contact.email;
  flat["country"] = business::PhoneRegion(spec);
  flat["phone"] = phone::Format(spec.contact.phone, business::PhoneRegion(spec));
  flat["website"] = spec.contact.website;
  flat["address"] = spec.contact.address;
  std::vector<Column> fields = {{"id", "ID"},           {"slug", "SLUG"},      {"name", "NAME"},
                                {"industry", "INDUSTRY"}, {"timezone", "TIMEZONE"}, {"country", "COUNTRY"},
                                {"plan", "PLAN"},
                                {"subscription_status", "SUBSCRIPTION"}, {"email", "EMAIL"},
                                {"phone", "PHONE"},     {"website", "WEBSITE"}, {"address", "ADDRESS"}};
  for (int day = 0; day < 7; ++day) {
    flat[std::string("hours_") + kDays[day]] = WindowsText(spec.weekly[day]);
    fields.push_back({std::string("hours_") + kDays[day], "HOURS " + std::string(kDays[day])});
  }
  std::string overrides;
  for (const auto& [date, windows] : spec.overrides) {
    overrides += (overrides.empty() ? "" : "; ") + date + " " + WindowsText(windows);
  }
  flat["overrides"] = overrides;
  flat["booking"] = "every " + std::to_string(spec.booking.slot_interval_min) + " min, notice " +
                    std::to_string(spec.booking.min_notice_min) + " min, up to " +
                    std::to_string(spec.booking.advance_days) + " days ahead";
  flat["ai"] = spec.ai.enabled ? "on" : "off";
  flat["greeting"] = spec.ai.greeting;
  flat["resources"] = spec.resources;
  flat["allowed_origins"] = spec.widget.allowed_origins;
  fields.insert(fields.end(), {{"overrides", "OVERRIDES"},
                               {"booking", "BOOKING"},
                               {"ai", "AI"},
                               {"greeting", "GREETING"},
                               {"resources", "RESOURCES"},
                               {"allowed_origins", "ALLOWED ORIGINS"}});
  if (opts.show_secret) {
    flat["widget_secret"] = b.widget_secret;
    fields.push_back({"widget_secret", "WIDGET SECRET"});
  }
  fields.insert(fields.end(), {{"created_at", "CREATED"}, {"updated_at", "UPDATED"}});
  ctx.out().Record(fields, flat);
  if (ctx.out().format() == Format::kTable) {
    ctx.out().Gap();
    Json services = Json::array();
    for (const auto& s : spec.services) {
      Json row = ServiceJson(s);
      row["price"] = FormatCents(s.price_cents);
      services.push_back(row);
    }
    ctx.out().List({{"name", "SERVICE"},
                    {"duration_min", "MIN"},
                    {"price", "PRICE"},
                    {"buffer_before_min", "BEFORE"},
                    {"buffer_after_min", "AFTER"},
                    {"bookable", "BOOKABLE"},
                    {"active", "ACTIVE"}},
                   services);
  }
  return 0;
}

}  // namespace

Command MakeBusinessCommand() {
  return MakeGroup(
      "business", "apply, list and show businesses",
      "A business is declared in a YAML file: profile, time zone, weekly hours and date overrides, booking "
      "rules, AI and widget settings, services and resources (see config/demo-salon.yaml). `apply` makes the "
      "database match the file and reports every field it changed; applying the same file again changes "
      "nothing. Services removed from the file are deactivated, never deleted, because appointments refer to "
      "them.",
      {
          MakeCommand<ApplyOptions>(
              "apply", "create or update a business from a YAML file",
              "Validates the file strictly (an unknown key, a bad time or an unknown time zone is an error naming "
              "the line and column, exit code 3), then creates or updates the business in one transaction and "
              "lists the changed fields. --dry-run shows the changes without writing them. A file whose active "
              "services would grow past the plan's services limit is refused whole (exit code 7, nothing "
              "written); `omni usage` shows the limit. Phones: `country:` (an ISO 3166 code such as US, GB or "
              "DE) is how customers' national numbers are read and which numbers read as national; without it, "
              "the time zone names the country when tzdata lists it for exactly one (America/Chicago: US), and "
              "else (UTC, US/Pacific) every phone must be written with its country code. A file whose "
              "contact.phone is national, or whose pre-chat form asks for a phone, needs a country then: "
              "apply names the line. Phones are stored in E.164 (+14155550132).",
              {"$ omni business apply -f config/demo-salon.yaml",
               "$ omni business apply -f acme.yaml --dry-run -o json"},
              [](ApplyOptions& o) {
                return std::vector<Option>{{"-f,--file", "business YAML file", &o.file, true},
                                           {"--dry-run", "report the changes without writing them", &o.dry_run}};
              },
              RunApply),
          MakeCommand<ListOptions>(
              "list", "list businesses",
              "Lists every business with its slug (the value for -b), industry, time zone, plan and number of "
              "active services.",
              {"$ omni business list", "$ omni business list -o json"},
              [](ListOptions&) { return std::vector<Option>{}; }, RunList),
          MakeCommand<ShowOptions>(
              "show", "show a business with its hours and services",
              "Shows one business: profile, hours, overrides, booking rules, AI and widget settings, resources and "
              "services (deactivated ones included). The widget secret, used to verify visitor identities, is "
              "printed only with --show-secret.",
              {"$ omni business show demo-salon", "$ omni -b demo-salon business show -o json"},
              [](ShowOptions& o) {
                return std::vector<Option>{{"slug", "business slug (default: -b)", &o.slug},
                                           {"--show-secret", "include the widget secret", &o.show_secret}};
              },
              RunShow),
      });
}

}  // namespace omni::cli
