// Metering inside a caller's transaction (the chat engine meters in the
// same commit that stores the customer's message). Includes <pqxx/pqxx>
// through core/db/pqxx.hpp, so public headers must not include this one.
// Semantics and errors are those of MeterInteraction in usage.hpp; a
// LimitReached leaves `tx` usable.
#pragma once

#include <map>
#include <string>

#include "core/billing/usage.hpp"
#include "core/db/pqxx.hpp"

namespace omni::billing {

MeterResult MeterInteraction(pqxx::work& tx, const std::string& business_id,
                             const std::map<PlanTier, PlanLimits>& plans,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now);

}  // namespace omni::billing
