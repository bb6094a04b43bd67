// The operator limit's plan lookup; see store.hpp.
#include "core/operators/detail/store.hpp"

#include "core/common/error.hpp"

namespace omni::operators::detail {

OperatorAllowance LockOperatorAllowance(pqxx::work& tx, const std::string& business_id,
                                        const std::map<billing::PlanTier, billing::PlanLimits>& plans) {
  const auto rows =
      tx.exec_params("SELECT plan_tier FROM businesses WHERE id = $1::uuid FOR UPDATE", business_id);
  if (rows.empty()) throw NotFound("business " + business_id + " not found");
  OperatorAllowance allowance;
  allowance.tier = billing::ParsePlanTier(rows[0][0].as<std::string>()).value_or(billing::PlanTier::kFree);
  allowance.limit = plans.count(allowance.tier) ? plans.at(allowance.tier).operators : billing::PlanLimits{}.operators;
  return allowance;
}

}  // namespace omni::operators::detail
