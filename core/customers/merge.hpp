// Merging two records of one person (`omni customers merge KEEP OTHER`).
// KEEP is the base: the direction is explicit, never guessed. Everything
// that points at OTHER (conversations, appointments, and any other table
// with a customer_id column) moves to KEEP, OTHER's tags, notes and
// metadata are added to KEEP's, OTHER is removed, and an audit record
// (table customer_merges) keeps what OTHER was.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/customers/customers.hpp"

namespace omni::db {
class Pool;
}

namespace omni::customers {

// A scalar field both customers had, with different values: KEEP's stays.
struct MergeConflict {
  std::string field;      // name, email, phone, external_id, claimed_email, claimed_phone, metadata.KEY
  std::string kept;       // KEEP's value
  std::string discarded;  // OTHER's value, kept only in the audit record
};

struct MergeResult {
  Customer kept;                          // KEEP after the merge
  std::string removed_id;                 // OTHER's id
  std::string merge_id;                   // the audit record
  std::vector<MergeConflict> conflicts;   // in field order
  std::map<std::string, long long> moved;  // table -> rows moved to KEEP
};

// Merges the customer `other_key` into `keep_key` (each as Get takes it:
// id or unique id prefix, email or phone) in one transaction:
//   - scalar fields KEEP lacks (name, email, phone, external id, claims)
//     come from OTHER; where both have one, KEEP's stays and it is listed;
//   - tags are united; OTHER's notes are appended below KEEP's; metadata
//     keys KEEP lacks are added (a key both have keeps KEEP's value, listed);
//   - visit counts add up; last contact and created date take the latest
//     and the earliest;
//   - rows of every table with a customer_id move to KEEP.
// `merged_by` names who did it, for the audit record.
// Throws NotFound when either is not a customer of the business (so
// another business's customer is never merged), InvalidInput when both
// keys name the same customer.
MergeResult Merge(db::Pool& pool, const std::string& business_id, const std::string& keep_key,
                  const std::string& other_key, const std::string& merged_by);

}  // namespace omni::customers
