// Plans: the four tiers a business subscribes to and the limits of each.
//
// The built-in limits are billing's; omni.yaml may override single fields
// (`plans:`) and name a Stripe price per tier (stripe.price_ids). Config
// parses those sections without knowing the tier names, and the functions
// here check the names and resolve them once at start-up: an unknown tier
// is a ConfigError naming the file, line and column, like any bad key.
// Thread-safe: pure functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace omni::config {
struct Config;
struct PlanLimitsOverride;
struct PriceIdSetting;
}  // namespace omni::config

namespace omni::billing {

enum class PlanTier { kFree, kStarter, kProfessional, kEnterprise };

// Returns "FREE", "STARTER", "PROFESSIONAL" or "ENTERPRISE".
const char* PlanTierName(PlanTier tier);
// Parses those names (case-insensitive); nullopt when unknown.
std::optional<PlanTier> ParsePlanTier(const std::string& name);

// -1 in any limit means unlimited.
struct PlanLimits {
  std::int64_t interactions_per_month = 100;
  std::int64_t conversations_per_month = 50;
  std::int64_t documents = 20;
  std::int64_t services = 10;
  std::int64_t operators = 1;
  std::int64_t overage_cents_per_interaction = 0;  // 0: hard limit
};

// The built-in limits of all four tiers: FREE 100 interactions, 50
// conversations, 20 documents, 10 services, 1 operator; STARTER
// 1000/500/100/25/3; PROFESSIONAL 10000/5000/1000/100/10 with 2 cents per
// interaction over the limit; ENTERPRISE unlimited.
std::map<PlanTier, PlanLimits> DefaultPlans();

// DefaultPlans() with the file's overrides (config::Config::plans) applied
// field by field; always holds all four tiers. Throws ConfigError
// "<file:line:column>: plans.<name>: unknown key", with the valid tier names
// in the hint, for a tier that does not exist.
std::map<PlanTier, PlanLimits> ResolvePlans(const std::vector<config::PlanLimitsOverride>& overrides);

// The Stripe subscription price of each tier from stripe.price_ids; a tier
// given "" has none. Throws ConfigError for an unknown tier, as ResolvePlans.
std::map<PlanTier, std::string> ResolvePriceIds(const std::vector<config::PriceIdSetting>& price_ids);

// Resolves the plan settings of `config` only to check them; every loader of
// a config calls it after config::LoadConfig. Throws ConfigError as above.
void CheckPlanSettings(const config::Config& config);

// The effective plan settings as `omni config show` prints them
// (config::RedactedJson's `plan_settings`): {"plans": {"free": {limits},
// ...}, "price_ids": {"STARTER": "price_...", ...}}, tiers in order.
// Throws ConfigError as above.
nlohmann::ordered_json PlanSettingsJson(const config::Config& config);

}  // namespace omni::billing
