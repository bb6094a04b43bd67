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

// A new customer for a visitor nobody verified. `claims` (name, email,
// phone as the visitor typed them) are stored as the name and claims, never
// as keys, so no existing customer is selected, merged into or changed.
// Throws InvalidInput for a malformed email or phone.
Customer CreateFromClaims(pqxx::dbtransaction& tx, const std::string& business_id, const CustomerContact& claims);

// The customer with the verified identity `external_id` (the business
// site's user id, proven by identity_hash), or a new one holding it.
// Matches by external id only: a verified identity never takes over a
// customer with another identity, or one known only by email or phone.
// `claims` (unverified name, email, phone) go onto a new customer as its
// name and claims; an existing one is left as it is. Safe under
// concurrency. Throws InvalidInput for an empty identity or a malformed
// claim.
FindOrCreateResult FindOrCreateByIdentity(pqxx::dbtransaction& tx, const std::string& business_id,
                                          const std::string& external_id, const CustomerContact& claims);

// Fills the name, claimed email and claimed phone that the customer
// `customer_id` lacks from `claims`, for the visitor's own customer (one a
// public chat created or proved). Keys are never touched. Returns the
// customer; throws NotFound when it is not a customer of the business.
Customer AddClaims(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                   const CustomerContact& claims);

// The business's phone region (written by `omni business apply`); "" when
// it has none. Throws NotFound for an unknown business.
std::string PhoneRegion(pqxx::dbtransaction& tx, const std::string& business_id);

// What a phone column holds for a customer with the phone `typed`: the
// digits of its E.164 in the business's region (phone_normalized of a
// stored E.164, "14155550132"), and the digits as typed ("4155550132"),
// which a value kept by migration 28 holds. e164_digits is "" when `typed`
// is no valid phone; both are "" when it has no digits. For filters that
// take "an id, email or phone" (book list, conversations list).
struct PhoneKeys {
  std::string e164_digits;
  std::string typed_digits;
};
PhoneKeys PhoneKeysOf(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& typed);

// As Get(pool, ...), inside `tx`.
Customer Get(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& key);

// Moves the customer's last contact to `now` (never back) without counting
// a visit: a later message in a conversation already counted, or a reply
// from the team. A customer of another business is left alone.
void TouchLastContact(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                      TimePoint now);

// As RecordContact(pool, ...), inside `tx`.
void RecordContact(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& customer_id,
                   TimePoint now);

}  // namespace omni::customers
