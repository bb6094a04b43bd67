// The `plans` section of omni.yaml: overrides of plan limits per tier. The tier
// names and the built-in limits are billing's (core/billing/plans.hpp).
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kPlanKeys = {
    "interactions_per_month",       "conversations_per_month", "documents", "services", "operators",
    "overage_cents_per_interaction"};

void ParsePlans(const Parser& parser, const Entry& entry, Config& config) {
  std::vector<PlanLimitsOverride>& plans = config.plans;
  for (const auto& tier_entry : parser.NamedMapping(entry, "a mapping of plan tiers to their limits")) {
    PlanLimitsOverride& limits = plans.emplace_back();
    limits.tier = parser.KeyOf(tier_entry, entry);
    Section tier(parser, tier_entry, kPlanKeys);
    constexpr long long kMax = std::numeric_limits<long long>::max();
    tier.Integer("interactions_per_month", &limits.interactions_per_month, -1, kMax);
    tier.Integer("conversations_per_month", &limits.conversations_per_month, -1, kMax);
    tier.Integer("documents", &limits.documents, -1, kMax);
    tier.Integer("services", &limits.services, -1, kMax);
    tier.Integer("operators", &limits.operators, -1, kMax);
    tier.Integer("overage_cents_per_interaction", &limits.overage_cents_per_interaction, 0, kMax);
  }
}

void ShowPlans(const Config&, const Json& plan_settings, Json& out) { out["plans"] = plan_settings.at("plans"); }

}  // namespace

SectionSpec PlansSection() { return {"plans", {{"plans.<tier>", &kPlanKeys}}, ParsePlans, ShowPlans}; }

}  // namespace omni::config::detail
