// The customers API inside a caller's transaction, for core .cpp files that
// already hold one (the booking service creates the customer and the
// appointment atomically). Includes <pqxx/pqxx> through core/db/pqxx.hpp,
// so public headers must not include this one.
//
// The transaction must be READ COMMITTED (pqxx::work): FindOrCreate relies
// on seeing a row that a racing transaction committed after an
// INSERT ... ON CONFLICT DO NOTHING lost to it. Errors are omni errors
// (InvalidInput, NotFound); database errors propagate as pqxx exceptions
// for db::WithTransaction to translate.
#pragma once

#include <string>

#include "core/customers/customers.hpp"
#include "core/db/pqxx.hpp"

namespace omni::customers {

// As FindOrCreate(pool, ...), inside `tx`. Filling in a matched customer's
// missing fields runs in a savepoint, so losing a race for an email or
// phone leaves `tx` usable.
FindOrCreateResult FindOrCreate(pqxx::dbtransaction& tx, const std::string& business_id,
                                const CustomerContact& contact);

// As Get(pool, ...), inside `tx`.
Customer Get(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& key);

// As RecordContact(pool, ...), inside `tx`.
void RecordContact(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                   TimePoint now);

}  // namespace omni::customers
