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

// -1 in any limit means unlimited. Every limit declared here is enforced:
// interactions by each chat turn, conversations by each new conversation
// (both per billing period), documents by kb ingest, services by
// `omni business apply`, operators by CheckLimit(kOperators) wherever an
// operator is added.
struct PlanLimits {
  std::int64_t interactions_per_month = 100;
  std::int64_t conversations_per_month = 50;
  std::int64_t documents = 5;
  std::int64_t services = 5;
  std::int64_t operators = 1;
  std::int64_t overage_cents_per_interaction = 0;  // 0: hard limit
};

// The built-in limits of all four tiers (interactions a month,
// conversations a month, knowledge documents, services, operators): FREE
// 100/50/5/5/1; STARTER 1000/500/50/20/3; PROFESSIONAL 10000/5000/500/100/10
// with 2 cents per interaction over the limit; ENTERPRISE unlimited.
std::map<PlanTier, PlanLimits> DefaultPlans();

// What billing decides a business's plan by (see entitlement.hpp).
struct BillingSettings {
  std::map<PlanTier, PlanLimits> plans = DefaultPlans();
  int trial_days = 14;                        // a new business's trial; 0: none
  PlanTier trial_plan = PlanTier::kStarter;   // whose limits the trial gives
  int past_due_grace_days = 7;                // a PAST_DUE subscription keeps its plan this long
};

// The limits of `tier` in `settings` (the defaults of FREE when missing).
const PlanLimits& LimitsOf(const BillingSettings& settings, PlanTier tier);

// The plans, trial and grace of omni.yaml (`plans:` and `billing:`).
// Throws ConfigError as ResolvePlans, also for an unknown
// billing.trial_plan.
BillingSettings ResolveBillingSettings(const config::Config& config);

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

// A limit's value with -1 as "unlimited", for messages and tables.
std::string LimitText(std::int64_t limit);

}  // namespace omni::billing
