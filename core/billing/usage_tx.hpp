// Metering and limits inside a caller's transaction (the chat engine meters
// in the same commit that stores the customer's message; business apply
// checks services in the transaction that writes them). Includes
// <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not include
// this one. Semantics and errors are those of usage.hpp; a LimitReached
// leaves `tx` usable, with the 100% warning written in it.
#pragma once

#include <string>

#include "core/billing/usage.hpp"
#include "core/db/pqxx.hpp"

namespace omni::billing {

MeterResult MeterInteraction(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings,
                             const std::string& idempotency_key, const std::string& conversation_id, TimePoint now);

// Counts `conversation_id` as a new conversation of the period (once: the
// id is the idempotency key). Throws LimitReached when the plan's
// conversations_per_month are used up; nothing is counted then.
MeterResult MeterConversation(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings,
                              const std::string& conversation_id, TimePoint now);

// Checks that the business may go from `total_before` to `total_after` of
// `metric` (documents, services or operators) under its plan now, and
// records the 80% and 100% warnings it reaches (unless `record_warnings` is
// false: a dry run). Only growth past the limit
// is refused: a business over it after a downgrade may still change what
// it has without adding. Throws LimitReached naming the plan, the limit and
// `total_after` when it may not, InvalidInput for a per-period metric,
// NotFound for an unknown business.
void CheckHolding(pqxx::work& tx, const std::string& business_id, const BillingSettings& settings, Metric metric,
                  std::int64_t total_before, std::int64_t total_after, TimePoint now, bool record_warnings = true);

// The same for a business not stored yet (a dry run's new business): its
// plan is NewBusinessEntitlement's, and nothing is recorded.
void CheckNewHolding(const BillingSettings& settings, const std::string& timezone, Metric metric,
                     std::int64_t total_after, TimePoint now);

// The plan and period of a new business, not stored yet (created `now`).
Entitlement NewBusinessEntitlement(const BillingSettings& settings, const std::string& timezone, TimePoint now);

SubscriptionState LoadSubscriptionState(pqxx::transaction_base& tx, const std::string& business_id);

}  // namespace omni::billing
