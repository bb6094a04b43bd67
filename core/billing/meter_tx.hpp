// Enqueueing a meter event inside the transaction that counts it. Includes
// <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not include
// this one.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"

namespace omni::billing {

// A usage event just counted, as Stripe's meter receives it.
struct MeterEvent {
  std::string usage_event_id;      // Stripe's `identifier`; dedupes the job too
  std::int64_t value = 1;
  std::int64_t timestamp = 0;      // unix seconds of the usage
  std::string stripe_customer_id;  // the business's
};

// Enqueues `event` for the meter worker, in the transaction that counted it.
void EnqueueMeterEvent(pqxx::work& tx, const std::string& business_id, const MeterEvent& event);

}  // namespace omni::billing
