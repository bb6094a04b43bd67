// Merging two customers: move what points at OTHER, fold OTHER into KEEP,
// remove OTHER and record it, in one transaction.
#include "core/customers/merge.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/customers/detail/row.hpp"
#include "core/db/pqxx.hpp"

namespace omni::customers {
namespace {

using Json = nlohmann::json;
using detail::FromRow;
using detail::kColumns;
using detail::Select;

// The tables that point at customers, found in the catalogue rather than
// listed here, so a table added later (by any module) is moved too.
std::vector<std::string> TablesWithCustomerId(pqxx::dbtransaction& tx) {
  const auto rows = tx.exec(
      "SELECT c.table_name FROM information_schema.columns c "
      "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
      "WHERE c.table_schema = current_schema() AND c.column_name = 'customer_id' AND t.table_type = 'BASE TABLE' "
      "ORDER BY c.table_name");
  std::vector<std::string> tables;
  for (const auto& row : rows) {
    const std::string table = row[0].as<std::string>();
    const auto scoped = tx.exec_params(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 AND column_name = 'business_id')",
        table);
    if (!scoped[0][0].as<bool>()) {
      throw Error("cannot merge customers: table " + table + " has a customer_id but no business_id",
                  "Every table that points at a customer must carry its business id.");
    }
    tables.push_back(table);
  }
  return tables;
}

Json Snapshot(const Customer& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"email", c.email},
          {"phone", c.phone},
          {"external_id", c.external_id},
          {"claimed_email", c.claimed_email},
          {"claimed_phone", c.claimed_phone},
          {"tags", c.tags},
          {"notes", c.notes},
          {"metadata", c.metadata},
          {"visit_count", c.visit_count},
          {"created_at_micros", detail::ToMicros(c.created_at)}};
}

}  // namespace

MergeResult Merge(db::Pool& pool, const std::string& business_id, const std::string& keep_key,
                  const std::string& other_key, const std::string& merged_by) {
  RejectNul("merged by", merged_by);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const std::string keep_id = Get(tx, business_id, keep_key).id;
    const std::string other_id = Get(tx, business_id, other_key).id;
    if (keep_id == other_id) {
      throw InvalidInput("\"" + keep_key + "\" and \"" + other_key + "\" are the same customer, " + keep_id);
    }
    // Both rows locked in id order, so two merges of the same pair in
    // opposite directions wait for each other instead of deadlocking.
    const auto locked = tx.exec_params(Select("id IN ($2::uuid, $3::uuid) ORDER BY id FOR UPDATE"), business_id,
                                       keep_id, other_id);
    if (locked.size() != 2) throw NotFound("customer \"" + other_key + "\" not found");
    const Customer keep = FromRow(locked[0][0].as<std::string>() == keep_id ? locked[0] : locked[1]);
    const Customer other = FromRow(locked[0][0].as<std::string>() == keep_id ? locked[1] : locked[0]);

    MergeResult result;
    result.removed_id = other.id;
    Customer next = keep;
    const auto fold = [&](const char* field, std::string& mine, const std::string& theirs) {
      if (theirs.empty() || mine == theirs) return;
      if (mine.empty()) {
        mine = theirs;
      } else {
        result.conflicts.push_back({field, mine, theirs});
      }
    };
    fold("name", next.name, other.name);
    fold("email", next.email, other.email);
    fold("phone", next.phone, other.phone);
    fold("external_id", next.external_id, other.external_id);
    fold("claimed_email", next.claimed_email, other.claimed_email);
    fold("claimed_phone", next.claimed_phone, other.claimed_phone);
    std::set<std::string> tags(next.tags.begin(), next.tags.end());
    tags.insert(other.tags.begin(), other.tags.end());
    next.tags.assign(tags.begin(), tags.end());
    if (!Trim(other.notes).empty() && other.notes != next.notes) {
      next.notes = Trim(next.notes).empty() ? other.notes : next.notes + "\n\n" + other.notes;
    }
    for (const auto& [key, value] : other.metadata) {
      const auto found = keep.metadata.find(key);
      if (found != keep.metadata.end() && found->second != value) {
        result.conflicts.push_back({"metadata." + key, found->second, value});
      }
    }

    // OTHER's metadata as stored (values of any JSON type), for KEEP's
    // metadata to be laid over it.
    const std::string other_metadata =
        tx.exec_params("SELECT metadata::text FROM customers WHERE business_id = $1::uuid AND id = $2::uuid",
                       business_id, other.id)[0][0]
            .as<std::string>();

    for (const auto& table : TablesWithCustomerId(tx)) {
      const auto moved = tx.exec_params("UPDATE " + tx.quote_name(table) +
                                            " SET customer_id = $3::uuid WHERE business_id = $1::uuid AND "
                                            "customer_id = $2::uuid",
                                        business_id, other.id, keep.id);
      result.moved[table] = static_cast<long long>(moved.affected_rows());
    }
    // OTHER goes before KEEP takes its email, phone or external id: each is
    // unique within the business.
    tx.exec_params("DELETE FROM customers WHERE business_id = $1::uuid AND id = $2::uuid", business_id, other.id);
    const auto updated = tx.exec_params(
        std::string(
            "UPDATE customers SET name = $3, email = nullif($4, ''), phone = nullif($5, ''), "
            "external_id = nullif($6, ''), claimed_email = nullif($7, ''), claimed_phone = nullif($8, ''), "
            "tags = ARRAY(SELECT jsonb_array_elements_text($9::jsonb)), notes = $10, "
            "metadata = $11::jsonb || metadata, visit_count = visit_count + $12, "
            "last_contact_at = CASE WHEN last_contact_at IS NULL THEN "
            "  'epoch'::timestamptz + $13::bigint * interval '1 microsecond' "
            "  ELSE greatest(last_contact_at, 'epoch'::timestamptz + $13::bigint * interval '1 microsecond') END, "
            "created_at = least(created_at, 'epoch'::timestamptz + $14::bigint * interval '1 microsecond') "
            "WHERE business_id = $1::uuid AND id = $2::uuid RETURNING ") +
            kColumns,
        business_id, keep.id, next.name, next.email, next.phone, next.external_id, next.claimed_email,
        next.claimed_phone, Json(next.tags).dump(), next.notes, other_metadata, other.visit_count,
        other.last_contact_at ? std::optional<long long>(detail::ToMicros(*other.last_contact_at)) : std::nullopt,
        detail::ToMicros(other.created_at));
    result.kept = FromRow(updated[0]);
    Json conflicts = Json::array();
    for (const auto& c : result.conflicts) {
      conflicts.push_back({{"field", c.field}, {"kept", c.kept}, {"discarded", c.discarded}});
    }
    result.merge_id = tx.exec_params(
                            "INSERT INTO customer_merges (business_id, kept_customer_id, removed_customer_id, "
                            "removed_snapshot, conflicts, moved, merged_by) VALUES ($1::uuid, $2::uuid, $3::uuid, "
                            "$4::jsonb, $5::jsonb, $6::jsonb, $7) RETURNING id::text",
                            business_id, keep.id, other.id, Snapshot(other).dump(), conflicts.dump(),
                            Json(result.moved).dump(), merged_by)[0][0]
                          .as<std::string>();
    return result;
  });
}

}  // namespace omni::customers
