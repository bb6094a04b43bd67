// Plans: tier names, the built-in limits with omni.yaml's overrides applied,
// and the unknown-tier error that names the place in the file.
#include "core/billing/plans.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/error.hpp"
#include "core/config/config.hpp"

namespace {

using omni::ConfigError;
using omni::billing::PlanTier;
using omni::config::FileKey;
using omni::config::PlanLimitsOverride;
using omni::config::PriceIdSetting;

PlanLimitsOverride Override(const std::string& tier, const std::string& place) {
  PlanLimitsOverride given;
  given.tier = FileKey{tier, "plans", place};
  return given;
}

// The message and hint of the ConfigError `resolve` throws.
template <class Resolve>
std::pair<std::string, std::string> ErrorOf(Resolve resolve) {
  try {
    resolve();
  } catch (const ConfigError& e) {
    return {e.what(), e.hint()};
  }
  FAIL("expected a ConfigError");
  return {};
}

}  // namespace

TEST_CASE("plan tier names", "[billing]") {
  using omni::billing::ParsePlanTier;
  using omni::billing::PlanTierName;
  for (PlanTier tier : {PlanTier::kFree, PlanTier::kStarter, PlanTier::kProfessional, PlanTier::kEnterprise}) {
    CHECK(ParsePlanTier(PlanTierName(tier)) == tier);
  }
  CHECK(std::string(PlanTierName(PlanTier::kProfessional)) == "PROFESSIONAL");
  CHECK(ParsePlanTier("starter") == PlanTier::kStarter);
  CHECK(ParsePlanTier("Enterprise") == PlanTier::kEnterprise);
  CHECK_FALSE(ParsePlanTier("gold"));
  CHECK_FALSE(ParsePlanTier(""));
}

TEST_CASE("the file's plan overrides replace only the limits they give", "[billing]") {
  PlanLimitsOverride starter = Override("Starter", "omni.yaml:2:3");
  starter.documents = 250;
  starter.overage_cents_per_interaction = 3;
  const auto plans = omni::billing::ResolvePlans({starter});
  REQUIRE(plans.size() == 4);
  CHECK(plans.at(PlanTier::kStarter).documents == 250);
  CHECK(plans.at(PlanTier::kStarter).overage_cents_per_interaction == 3);
  CHECK(plans.at(PlanTier::kStarter).interactions_per_month == 1000);
  CHECK(plans.at(PlanTier::kFree).documents == 5);
  CHECK(plans.at(PlanTier::kEnterprise).documents == -1);
}

TEST_CASE("an unknown tier is a config error at its place in the file", "[billing]") {
  auto [message, hint] = ErrorOf([] { omni::billing::ResolvePlans({Override("gold", "omni.yaml:7:3")}); });
  CHECK(message == "omni.yaml:7:3: plans.gold: unknown key");
  CHECK(hint == "Valid keys under plans: free, starter, professional, enterprise.");

  auto [typo, typo_hint] = ErrorOf([] { omni::billing::ResolvePlans({Override("startr", "omni.yaml:2:3")}); });
  CHECK(typo == "omni.yaml:2:3: plans.startr: unknown key");
  CHECK_THAT(typo_hint, Catch::StartsWith("Did you mean `starter`?"));

  const PriceIdSetting price{FileKey{"GOLD", "stripe.price_ids", "omni.yaml:3:5"}, "price_x"};
  CHECK_THROWS_WITH(omni::billing::ResolvePriceIds({price}), "omni.yaml:3:5: stripe.price_ids.GOLD: unknown key");
}

TEST_CASE("config show gets every tier and its price in tier order", "[billing]") {
  omni::config::Config config;
  config.stripe.price_ids = {PriceIdSetting{FileKey{"enterprise", "stripe.price_ids", "f:1:1"}, "price_ent"},
                             PriceIdSetting{FileKey{"Free", "stripe.price_ids", "f:2:1"}, "price_free"},
                             PriceIdSetting{FileKey{"starter", "stripe.price_ids", "f:3:1"}, ""}};
  PlanLimitsOverride free = Override("FREE", "f:4:1");
  free.documents = 7;
  config.plans = {free};
  const nlohmann::ordered_json json = omni::billing::PlanSettingsJson(config);
  std::vector<std::string> tiers;
  for (const auto& [tier, limits] : json.at("plans").items()) tiers.push_back(tier);
  CHECK(tiers == std::vector<std::string>{"free", "starter", "professional", "enterprise"});
  CHECK(json["plans"]["free"]["documents"] == 7);
  CHECK(json["plans"]["professional"]["overage_cents_per_interaction"] == 2);
  CHECK(json["price_ids"] == nlohmann::ordered_json{{"FREE", "price_free"}, {"ENTERPRISE", "price_ent"}});
}
