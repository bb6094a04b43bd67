// Publishing webhook events inside the caller's transaction, so that an
// event is delivered exactly when the change it reports commits. Includes
// <pqxx/pqxx> through core/db/pqxx.hpp, so public headers must not include
// this one.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"

namespace omni::webhooks {

// Enqueues one delivery per enabled endpoint of the business subscribed to
// `type` (a name from EventNames()), all with one new event id. One
// statement: a business without such an endpoint pays one index probe that
// inserts nothing. `data` becomes the payload's "data". The event's time is
// `now`, or the transaction's start on the database's clock when nullopt
// (for callers that hold no Clock).
void Publish(pqxx::transaction_base& tx, const std::string& business_id, const char* type,
             const nlohmann::json& data, std::optional<TimePoint> now = std::nullopt);

// The statement Publish runs, for a caller that must fold the publication
// into a statement of its own (as a data-modifying WITH item), so that it
// commits with that statement and costs no round trip. `type` must be a
// name from EventNames() (InvalidInput otherwise); the others are SQL
// expressions over the caller's parameters and WITH items: the business
// id (uuid), the data (jsonb), the event's time (timestamptz), extra FROM
// items ("" for none) and an extra condition ("" for none).
std::string PublishSql(const std::string& type, const std::string& business_sql, const std::string& data_sql,
                       const std::string& at_sql, const std::string& from_sql = "", const std::string& where_sql = "");

}  // namespace omni::webhooks
