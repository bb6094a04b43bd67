// The `billing` section of omni.yaml: a new business's trial and the grace a
// failed payment gets. The trial's tier name is billing's to check.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kBillingKeys = {"trial_days", "trial_plan", "past_due_grace_days"};

void ParseBilling(const Parser& parser, const Entry& entry, Config& config) {
  BillingFileSettings& billing = config.billing;
  Section section(parser, entry, kBillingKeys);
  section.Integer("trial_days", &billing.trial_days, 0, 3650);
  std::string tier;
  if (const Entry* plan = section.NonEmptyString("trial_plan", &tier)) {
    billing.trial_plan = FileKey{tier, "billing.trial_plan", parser.Place(plan->value.Mark())};
  }
  section.Integer("past_due_grace_days", &billing.past_due_grace_days, 0, 3650);
}

void ShowBilling(const Config& config, const Json&, Json& out) {
  const auto& billing = config.billing;
  out["billing"] = Json{{"trial_days", billing.trial_days},
                        {"trial_plan", billing.trial_plan ? billing.trial_plan->name : "STARTER"},
                        {"past_due_grace_days", billing.past_due_grace_days}};
}

}  // namespace

SectionSpec BillingSection() { return {"billing", {{"billing", &kBillingKeys}}, ParseBilling, ShowBilling}; }

}  // namespace omni::config::detail
