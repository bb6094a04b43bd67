// The operator limit's check; see store.hpp.
#include "core/operators/detail/store.hpp"

#include "core/billing/usage_tx.hpp"
#include "core/common/error.hpp"

namespace omni::operators::detail {

void CheckRoomForOneMoreOperator(pqxx::work& tx, const std::string& business_id,
                                 const billing::BillingSettings& settings, TimePoint now) {
  if (tx.exec_params("SELECT 1 FROM businesses WHERE id = $1::uuid FOR UPDATE", business_id).empty()) {
    throw NotFound("business " + business_id + " not found");
  }
  const auto users = tx.exec_params1("SELECT count(*) FROM users WHERE business_id = $1::uuid", business_id)[0]
                         .as<std::int64_t>();
  billing::CheckHolding(tx, business_id, settings, billing::Metric::kOperators, users, users + 1, now);
}

}  // namespace omni::operators::detail
