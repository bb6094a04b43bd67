// Plan tiers, their built-in limits, and the resolution of omni.yaml's plan
// overrides and price ids. See plans.hpp.
#include "core/billing/plans.hpp"

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/config/config.hpp"

namespace omni::billing {
namespace {

constexpr PlanTier kTiers[] = {PlanTier::kFree, PlanTier::kStarter, PlanTier::kProfessional, PlanTier::kEnterprise};

// The tier of a key written in omni.yaml; an unknown one fails as a bad key,
// listing the names as the file writes them.
PlanTier TierOf(const config::FileKey& key) {
  if (auto tier = ParsePlanTier(key.name)) return *tier;
  std::vector<std::string> names;
  for (PlanTier tier : kTiers) names.push_back(Lower(PlanTierName(tier)));
  config::FailUnknownKey(key, names);
}

}  // namespace

const char* PlanTierName(PlanTier tier) {
  switch (tier) {
    case PlanTier::kFree:
      return "FREE";
    case PlanTier::kStarter:
      return "STARTER";
    case PlanTier::kProfessional:
      return "PROFESSIONAL";
    case PlanTier::kEnterprise:
      return "ENTERPRISE";
  }
  return "FREE";
}

std::optional<PlanTier> ParsePlanTier(const std::string& name) {
  std::string lower = Lower(name);
  if (lower == "free") return PlanTier::kFree;
  if (lower == "starter") return PlanTier::kStarter;
  if (lower == "professional") return PlanTier::kProfessional;
  if (lower == "enterprise") return PlanTier::kEnterprise;
  return std::nullopt;
}

std::map<PlanTier, PlanLimits> DefaultPlans() {
  return {
      {PlanTier::kFree, PlanLimits{100, 50, 5, 5, 1, 0}},
      {PlanTier::kStarter, PlanLimits{1000, 500, 50, 20, 3, 0}},
      {PlanTier::kProfessional, PlanLimits{10000, 5000, 500, 100, 10, 2}},
      {PlanTier::kEnterprise, PlanLimits{-1, -1, -1, -1, -1, 0}},
  };
}

std::map<PlanTier, PlanLimits> ResolvePlans(const std::vector<config::PlanLimitsOverride>& overrides) {
  std::map<PlanTier, PlanLimits> plans = DefaultPlans();
  for (const auto& given : overrides) {
    PlanLimits& limits = plans[TierOf(given.tier)];
    limits.interactions_per_month = given.interactions_per_month.value_or(limits.interactions_per_month);
    limits.conversations_per_month = given.conversations_per_month.value_or(limits.conversations_per_month);
    limits.documents = given.documents.value_or(limits.documents);
    limits.services = given.services.value_or(limits.services);
    limits.operators = given.operators.value_or(limits.operators);
    limits.overage_cents_per_interaction =
        given.overage_cents_per_interaction.value_or(limits.overage_cents_per_interaction);
  }
  return plans;
}

std::map<PlanTier, std::string> ResolvePriceIds(const std::vector<config::PriceIdSetting>& price_ids) {
  std::map<PlanTier, std::string> resolved;
  for (const auto& price : price_ids) {
    const PlanTier tier = TierOf(price.tier);
    if (price.id.empty()) {
      resolved.erase(tier);
    } else {
      resolved[tier] = price.id;
    }
  }
  return resolved;
}

const PlanLimits& LimitsOf(const BillingSettings& settings, PlanTier tier) {
  static const PlanLimits kFallback = DefaultPlans().at(PlanTier::kFree);
  const auto it = settings.plans.find(tier);
  return it == settings.plans.end() ? kFallback : it->second;
}

BillingSettings ResolveBillingSettings(const config::Config& config) {
  BillingSettings settings;
  settings.plans = ResolvePlans(config.plans);
  settings.trial_days = config.billing.trial_days;
  if (const auto& given = config.billing.trial_plan) {
    const auto tier = ParsePlanTier(given->name);
    if (!tier) {
      throw ConfigError(given->place + ": billing.trial_plan: unknown plan \"" + given->name + "\"",
                        "Use one of free, starter, professional or enterprise.");
    }
    settings.trial_plan = *tier;
  }
  settings.past_due_grace_days = config.billing.past_due_grace_days;
  return settings;
}

void CheckPlanSettings(const config::Config& config) {
  ResolvePriceIds(config.stripe.price_ids);
  ResolveBillingSettings(config);
}

std::string LimitText(std::int64_t limit) { return limit < 0 ? "unlimited" : std::to_string(limit); }

nlohmann::ordered_json PlanSettingsJson(const config::Config& config) {
  using Json = nlohmann::ordered_json;
  Json price_ids = Json::object();
  for (const auto& [tier, id] : ResolvePriceIds(config.stripe.price_ids)) price_ids[PlanTierName(tier)] = id;
  Json plans = Json::object();
  for (const auto& [tier, limits] : ResolvePlans(config.plans)) {
    plans[Lower(PlanTierName(tier))] = Json{{"interactions_per_month", limits.interactions_per_month},
                                            {"conversations_per_month", limits.conversations_per_month},
                                            {"documents", limits.documents},
                                            {"services", limits.services},
                                            {"operators", limits.operators},
                                            {"overage_cents_per_interaction", limits.overage_cents_per_interaction}};
  }
  return Json{{"plans", plans}, {"price_ids", price_ids}};
}

}  // namespace omni::billing
