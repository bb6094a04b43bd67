// Helpers the operators module's .cpp files share: time as int8
// microseconds in SQL, and the one lookup of a business's plan for its
// operator limit. Includes <pqxx/pqxx>; private to core/operators.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/billing/plans.hpp"
#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"

namespace omni::operators::detail {

inline TimePoint FromMicros(long long micros) { return TimePoint{std::chrono::microseconds{micros}}; }
inline long long ToMicros(TimePoint t) { return t.time_since_epoch().count(); }

// SQL for the timestamptz of parameter `param` ("$3") given as int8
// microseconds since the epoch: exact, unlike a float division.
inline std::string Timestamp(const std::string& param) {
  return "('epoch'::timestamptz + " + param + "::int8 * interval '1 microsecond')";
}

struct OperatorAllowance {
  billing::PlanTier tier = billing::PlanTier::kFree;
  std::int64_t limit = 0;  // -1: unlimited
};

// The business's plan tier and its operator limit, read as billing reads a
// plan for metering (billing::MeterInteraction: businesses.plan_tier, an
// unknown tier counting as FREE, the tier's limits from `plans`). Locks
// the business row, so that concurrent additions of users count in turn.
// Throws NotFound for an unknown business.
OperatorAllowance LockOperatorAllowance(pqxx::work& tx, const std::string& business_id,
                                        const std::map<billing::PlanTier, billing::PlanLimits>& plans);

}  // namespace omni::operators::detail
