// Customers of a business: the people who chat and book. Booking, chat and
// webchat find or create them by contact details; operators list, tag and
// annotate them (`omni customers`).
//
// Every function is scoped by a business id: a customer of another business
// is never read, matched or changed. Within a business a customer is unique
// by email (case-insensitive), by phone and by external id, which the
// database enforces with unique indexes.
//
// Phones are stored in E.164 ("+14155550132"), read from what people type
// in the business's phone region (business::PhoneRegion): in a US business
// "(415) 555-0132", "+1 415-555-0132" and "415.555.0132" are one customer.
// A phone that is not a valid number is InvalidInput naming it
// (core/common/phone.hpp). A value migration 28 could not read (no region,
// no valid number) is kept as it was and still matches the same digits
// typed again.
//
// Keys and claims: email, phone and external id are keys, set by operators
// (the CLI, a booking they make) or by a verified identity. What a visitor
// of a public chat types is a claim (claimed_email, claimed_phone): it is
// kept so the team can read it and reach the visitor, but it never selects,
// merges into or changes another customer (customers_tx.hpp).
// To work inside a caller's transaction (a booking), use the overloads in
// core/customers/customers_tx.hpp.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::customers {

// What a caller knows about a person. At least one of email, phone or
// external_id is required to find or create a customer. ({} initialisers
// let callers use designated initialisers without -Wextra warnings.)
struct CustomerContact {
  std::string name{};
  std::string email{};
  std::string phone{};
  std::string external_id{};  // the business site's user id (verified webchat identity)
};

struct Customer {
  std::string id;            // uuid
  std::string business_id;
  std::string name;          // "" when unknown
  std::string email;         // "" when unknown
  std::string phone;         // E.164 (or a value kept by migration 28); "" when unknown
  std::string external_id;   // "" when none
  std::string claimed_email;  // typed by an unverified visitor; "" when none
  std::string claimed_phone;  // typed by an unverified visitor, E.164; "" when none
  std::vector<std::string> tags;              // lower-case, sorted, unique
  std::string notes;
  std::map<std::string, std::string> metadata;  // free-form operator data
  int visit_count = 0;       // conversations and bookings recorded
  std::optional<TimePoint> last_contact_at;
  TimePoint created_at;
  TimePoint updated_at;
};

// True when the customer has no key (email, phone or external id): a
// visitor known only by what they typed.
bool IsClaimsOnly(const Customer& customer);

struct FindOrCreateResult {
  Customer customer;
  bool created = false;  // false: an existing customer matched
};

// Trims and checks an email address (local@domain.tld, no spaces, at most
// 254 characters). Throws InvalidInput naming the address.
std::string NormalizeEmail(const std::string& email);

// Returns the customer matching `contact` within the business, trying
// external id, then email (case-insensitive), then phone; otherwise creates
// one. A matched customer gets the fields it lacks (name, email, phone,
// external id) from `contact`, unless another customer already has that
// email or phone; existing values are never overwritten. Safe under
// concurrency: racing calls for the same person yield one row.
// Throws InvalidInput for a malformed email or phone, or no key at all.
FindOrCreateResult FindOrCreate(db::Pool& pool, const std::string& business_id, const CustomerContact& contact);

// The customer with `key` in the business: a customer id or a unique
// prefix of it (core/db/ids.hpp), an email address, or a phone number in
// any format.
// Throws NotFound when there is none, InvalidInput when a prefix is
// ambiguous or too short, or when digits are both an id prefix and another
// customer's phone.
Customer Get(db::Pool& pool, const std::string& business_id, const std::string& key);

struct ListFilter {
  // Part of the name, email or phone, case-insensitive; "" for all. A phone
  // matches on its digits ("555 0132" finds +14155550132). With include_claims, a claimed email or phone
  // (typed by an unverified visitor) matches too.
  std::string search{};
  bool include_claims = true;
  std::vector<std::string> all_tags{};  // only customers with every one of these tags
  std::vector<std::string> any_tags{};  // only customers with at least one of these tags
  std::optional<TimePoint> contacted_from{};  // last contact at or after this
  std::optional<TimePoint> contacted_to{};    // last contact before this
  bool never_contacted = false;               // only customers never in contact
  int limit = 50;                             // 1 to 1000
  std::string after{};  // a page's next_cursor: the page after it; "" for the first
};

struct CustomerPage {
  std::vector<Customer> customers;
  std::string next_cursor;  // "" when this is the last page
};

// Customers of the business matching every part of `filter`, most recently
// in contact first (never contacted last, then newest first). Paging is by
// cursor, so rows added meanwhile are neither skipped nor repeated.
// Throws InvalidInput for a bad limit, tag, cursor or contact range.
CustomerPage List(db::Pool& pool, const std::string& business_id, const ListFilter& filter = {});

// A partial update: unset fields stay as they are.
struct CustomerUpdate {
  std::optional<std::string> name{};
  std::optional<std::string> email{};  // "" clears it
  std::optional<std::string> phone{};  // "" clears it
  std::optional<std::string> notes{};
  std::vector<std::string> add_tags{};     // normalised: trimmed, lower-case
  std::vector<std::string> remove_tags{};
  std::map<std::string, std::string> set_metadata{};
  std::vector<std::string> unset_metadata{};
};

// Applies `update` to the customer with id `customer_id` and returns the
// result. Writes nothing when nothing changes. Throws NotFound, InvalidInput
// for a malformed value, Conflict when another customer of the business has
// the new email or phone.
Customer Update(db::Pool& pool, const std::string& business_id, const std::string& customer_id,
                const CustomerUpdate& update);

// Counts one contact (a conversation or a booking): visit_count + 1 and
// last_contact_at = now. Throws NotFound for an unknown customer.
void RecordContact(db::Pool& pool, const std::string& business_id, const std::string& customer_id, TimePoint now);

}  // namespace omni::customers
