// The customers table as the customers module reads it, shared by its .cpp
// files (customers, transfer, merge). Includes pqxx: never include it from a
// public header.
#pragma once

#include <string>

#include "core/customers/customers.hpp"
#include "core/db/pqxx.hpp"

namespace omni::customers::detail {

// The select list FromRow reads, unqualified (one table in FROM).
extern const char* const kColumns;

Customer FromRow(const pqxx::row& row);

// SELECT kColumns FROM customers WHERE business_id = $1::uuid AND `where`.
std::string Select(const std::string& where);

// Trimmed and lower-cased; throws InvalidInput for an empty or too long tag.
std::string NormalizeTag(const std::string& tag);

// Publishes the customer.created webhooks of `customer`, just inserted.
void PublishCreated(pqxx::transaction_base& tx, const Customer& customer);

long long ToMicros(TimePoint t);
TimePoint FromMicros(long long micros);

}  // namespace omni::customers::detail
