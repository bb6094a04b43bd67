// Enqueueing a meter event inside the transaction that counts it. Includes
// <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not include
// this one.
#pragma once

#include <string>

#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"

namespace omni::billing {

// Enqueues the Stripe meter event of the usage event stored under
// (`business_id`, `idempotency_key`), when the business has a Stripe
// customer; does nothing otherwise. The usage event's id dedupes the job.
void EnqueueMeterEvent(pqxx::work& tx, const std::string& business_id, const std::string& idempotency_key);

}  // namespace omni::billing
