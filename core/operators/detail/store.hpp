// Helpers the operators module's .cpp files share: time as int8
// microseconds in SQL, and the operator limit's check. Includes <pqxx/pqxx>; private to core/operators.
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

// Locks the business row, so that concurrent additions of users count in
// turn, and checks with billing that one more operator fits the business's
// plan now (trial and subscription included, as every limit). Throws
// LimitReached naming the plan and its limit, NotFound for an unknown
// business.
void CheckRoomForOneMoreOperator(pqxx::work& tx, const std::string& business_id,
                                 const billing::BillingSettings& settings, TimePoint now);

}  // namespace omni::operators::detail
