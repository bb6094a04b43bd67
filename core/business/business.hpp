// Businesses: the tenants of omni, declared in YAML (core/business/
// business_file.hpp parses the file into a BusinessSpec) and applied
// idempotently to the database. A business owns its profile, weekly hours
// and date overrides, booking rules, AI and widget settings, services and
// resources. Services are never deleted, since appointments reference them:
// one that vanishes from the file is deactivated.
// Thread-safe: free functions over a db::Pool; values are plain structs.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"
#include "core/billing/plans.hpp"

namespace omni::db {
class Pool;
}

namespace omni::business {

enum class Industry { kMedspa, kSalon, kDental, kFitness, kHealthcare, kHomeServices, kOther };
// "MEDSPA", "SALON", ... "HOME_SERVICES", "OTHER".
const char* IndustryName(Industry industry);
// Parses those names (case-insensitive); nullopt when unknown.
std::optional<Industry> ParseIndustry(const std::string& name);

// An opening window in local wall-clock minutes since midnight, half-open
// [start_min, end_min); end_min 1440 ("24:00") is the next local midnight.
// The one representation of opening hours: the business file fills it, the
// database stores it, booking computes slots from it.
struct TimeWindow {
  int start_min = 0;
  int end_min = 0;
  bool operator==(const TimeWindow&) const = default;
};
using DayWindows = std::vector<TimeWindow>;  // sorted, non-overlapping; empty: closed

// Minutes since midnight as "HH:MM"; 1440 is "24:00". Clamped to 0..1440.
std::string FormatClockTime(int minutes);
// "HH:MM" from 00:00 to 24:00 as minutes since midnight. Throws
// InvalidInput naming `what` when malformed.
int ParseClockTime(const std::string& text, const std::string& what);

struct Contact {
  std::string email, phone, website, address;  // each may be empty
  bool operator==(const Contact&) const = default;
};

struct BookingRules {
  int slot_interval_min = 30;   // distance between offered starts
  int min_notice_min = 60;      // no slot starts sooner than now + this
  int advance_days = 60;        // booking horizon
  int buffer_before_min = 0;    // default for services that set none
  int buffer_after_min = 0;
  bool operator==(const BookingRules&) const = default;
};

struct AiSettings {
  bool enabled = true;          // false: the AI never answers; humans do
  std::string personality;      // tone, e.g. "warm, concise, upbeat"
  std::string greeting;         // first message of a conversation
  std::string instructions;     // business-specific rules for the assistant
  bool operator==(const AiSettings&) const = default;
};

struct WidgetSettings {
  std::string title;                          // panel header; empty: the business name
  std::string greeting;                       // empty: ai.greeting
  // What a visitor reads when the plan's limits stop the AI answering (the
  // conversation goes to the team); never the limit itself.
  std::string limit_message = "We can't chat right now. Leave your email and the team will get back to you.";
  std::map<std::string, std::string> colors;  // primary, text, background, accent: "#rrggbb"
  std::string position = "bottom-right";      // or "bottom-left"
  std::vector<std::string> prechat_fields;    // subset of name, email, phone, in order
  std::vector<std::string> allowed_origins;   // "https://example.com"; empty: any origin
  bool operator==(const WidgetSettings&) const = default;
};

// What the business's notifications say and where they go (notify reads
// them; the file's `notifications` section).
struct NotificationSettings {
  std::string reply_to;          // Reply-To of customer mail; "": contact.email
  std::string notify;            // the team's address for handoff alerts; "": contact.email
  std::vector<int> reminder_lead_min = {1440, 120};  // before each appointment; empty: none
  std::string color;             // "#rrggbb" accent of HTML mail; "": widget.colors.primary
  std::string signature;         // closing line of customer mail; "": the business name
  std::string confirmation_note; // an extra paragraph in confirmations, e.g. what to bring
  bool operator==(const NotificationSettings&) const = default;
};

struct ServiceSpec {
  std::string id;               // empty in a file; set when read from the database
  std::string name;             // unique per business (case-insensitive)
  std::string description;
  int duration_min = 30;
  std::int64_t price_cents = 0;
  int buffer_before_min = 0;    // resolved: the booking default when the file sets none
  int buffer_after_min = 0;
  bool bookable = true;         // false: listed, but not bookable online
  bool active = true;
  // Other names customers use for it ("blow dry" for a blowout); the
  // offline assistant matches them as it matches the name. An alias names
  // one service only, never another's name (case-insensitive).
  std::vector<std::string> aliases;
};

// A business as declared: everything `omni business apply` writes.
struct BusinessSpec {
  std::string slug;             // [a-z0-9-], 2 to 63 characters
  std::string name;
  Industry industry = Industry::kOther;
  std::string timezone;         // IANA name, e.g. "America/New_York"
  // ISO 3166 alpha-2 ("US") from the file's `country`; "" when absent, and
  // the time zone then names it where it can (PhoneRegion).
  std::string country;
  Contact contact;              // contact.phone is E.164 once parsed
  std::array<DayWindows, 7> weekly;               // [0] Monday ... [6] Sunday
  std::map<std::string, DayWindows> overrides;    // "YYYY-MM-DD" -> replaces that local date
  BookingRules booking;
  AiSettings ai;
  // Unset: apply leaves the stored tier alone (billing may manage it); a new
  // business starts on FREE. Always set when read from the database.
  std::optional<billing::PlanTier> plan;
  WidgetSettings widget;
  NotificationSettings notifications;
  std::vector<ServiceSpec> services;
  std::vector<std::string> resources;             // e.g. chairs; empty: the business is one resource
};

// A business as stored.
struct Business {
  std::string id;                 // uuid
  BusinessSpec spec;              // services include deactivated ones (active = false)
  std::string widget_secret;      // HMAC key for visitor identity; show only on request
  std::string subscription_status;
  TimePoint created_at;
  TimePoint updated_at;
};

struct FieldChange {
  std::string field;   // "name", "hours.tue", "services[Blowout].price_cents", ...
  std::string before;  // "" when created
  std::string after;   // "" when removed or deactivated
};

enum class ApplyAction { kCreated, kUpdated, kUnchanged };
// "created", "updated", "unchanged".
const char* ApplyActionName(ApplyAction action);

struct ApplyResult {
  ApplyAction action = ApplyAction::kUnchanged;
  std::string business_id;
  std::vector<FieldChange> changes;  // empty when unchanged
};

struct ApplyOptions {
  bool dry_run = false;  // compute and report the changes, write nothing
  // The plans that limit the business's active services.
  billing::BillingSettings billing;
  const Clock* clock = &DefaultClock();
};

// Makes the database match `spec` in one transaction: upserts the business
// by slug, services by (business, name), resources, hours, overrides, AI
// and widget settings; deactivates services missing from the spec. Writes
// only what differs, so applying the same spec twice reports kUnchanged and
// touches no row (updated_at included). A new business gets a random
// widget secret. Throws InvalidInput for a spec that breaks the rules the
// parser enforces, LimitReached (writing nothing) when its active services
// would grow past the plan's limit, Unavailable when the database cannot
// be reached.
ApplyResult Apply(db::Pool& pool, const BusinessSpec& spec, const ApplyOptions& options = {});

// The region whose national phone numbers the business's customers write
// without a country code, and which reads back in the national format:
// `country`, else the one country tzdata's zone.tab lists for the time
// zone ("America/Chicago" is "US"); "" when neither names one ("UTC",
// "US/Pacific"), and every phone must then carry its country code.
std::string PhoneRegion(const BusinessSpec& spec);

// Every business, ordered by slug.
std::vector<Business> List(db::Pool& pool);

// The business with `slug`, with all its services. Throws NotFound (with a
// hint naming `omni business list`) when there is none.
Business Get(db::Pool& pool, const std::string& slug);

// Just the id of the business with `slug`; throws NotFound like Get.
std::string FindId(db::Pool& pool, const std::string& slug);

// The id, IANA time zone and phone region of the business with `slug`, in one query: what
// most commands need of it, without Get's services and resources. Throws
// NotFound like Get.
struct TenantRef {
  std::string id;
  std::string time_zone;
  std::string phone_region;  // as PhoneRegion gave it at `business apply`
};
TenantRef FindTenant(db::Pool& pool, const std::string& slug);

}  // namespace omni::business
