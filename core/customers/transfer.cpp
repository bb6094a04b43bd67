// The customer book's export (a cursor, batch by batch) and CSV import (an
// upsert per row, each in a savepoint).
#include "core/customers/transfer.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "core/common/csv.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers_tx.hpp"
#include "core/customers/detail/row.hpp"
#include "core/db/pqxx.hpp"

namespace omni::customers {
namespace {

using Json = nlohmann::json;
using detail::FromRow;
using detail::PublishCreated;
using detail::kColumns;
using detail::NormalizeTag;
using detail::Select;

constexpr int kExportBatch = 500;

// ---- import: columns ----

// A header as compared: lower-case, with runs of spaces, '-' and '_' as one space.
std::string HeaderKey(const std::string& header) {
  std::string key;
  for (const char c : Lower(Trim(header))) {
    const bool gap = c == ' ' || c == '-' || c == '_';
    if (gap) {
      if (!key.empty() && key.back() != ' ') key += ' ';
    } else {
      key += c;
    }
  }
  while (!key.empty() && key.back() == ' ') key.pop_back();
  return key;
}

const std::map<std::string, std::string>& KnownHeaders() {
  static const std::map<std::string, std::string> known = {
      {"name", "name"},           {"full name", "name"},     {"customer name", "name"}, {"contact name", "name"},
      {"first name", "first_name"}, {"given name", "first_name"}, {"last name", "last_name"},
      {"surname", "last_name"},   {"family name", "last_name"}, {"email", "email"},   {"e mail", "email"},
      {"email address", "email"}, {"mail", "email"},         {"phone", "phone"},       {"phone number", "phone"},
      {"mobile", "phone"},        {"telephone", "phone"},    {"tel", "phone"},         {"cell", "phone"},
      {"external id", "external_id"}, {"user id", "external_id"}, {"customer id", "external_id"},
      {"notes", "notes"},         {"note", "notes"},         {"comments", "notes"},    {"tags", "tags"},
      {"tag", "tags"},            {"labels", "tags"},        {"metadata", "metadata"},
      // Written by `omni customers export`, never imported: omni owns them.
      {"id", "ignore"},           {"claimed email", "ignore"}, {"claimed phone", "ignore"},
      {"visit count", "ignore"},  {"last contact at", "ignore"}, {"conversation count", "ignore"},
      {"appointment count", "ignore"}, {"created at", "ignore"}, {"updated at", "ignore"}};
  return known;
}

bool IsDestination(const std::string& dest) {
  static const std::set<std::string> fields = {"name",  "first_name", "last_name", "email",    "phone",
                                               "external_id", "notes", "tags",     "metadata", "ignore"};
  if (fields.count(dest)) return true;
  return dest.rfind("metadata.", 0) == 0 && dest.size() > 9;
}

// ---- import: rows ----

struct RowInput {
  std::string name, email, phone, external_id, notes;
  std::string phone_typed_digits;  // matches a phone kept from before migration 28
  std::vector<std::string> tags;
  Json metadata = Json::object();
};

// A malformed email or phone names its column: the report names the line.
RowInput ParseRow(const std::vector<std::string>& columns, const std::vector<std::string>& destinations,
                  const std::vector<std::string>& fields, const std::string& region) {
  RowInput row;
  const auto in_column = [&](std::size_t i, const auto& read) {
    try {
      return read();
    } catch (const InvalidInput& e) {
      throw InvalidInput("column \"" + columns[i] + "\": " + e.what(), e.hint());
    }
  };
  std::string first, last;
  for (std::size_t i = 0; i < destinations.size(); ++i) {
    const std::string& dest = destinations[i];
    const std::string value = Trim(fields[i]);
    RejectNul(dest, fields[i]);
    if (dest == "ignore" || value.empty()) continue;
    if (dest == "name") row.name = value;
    if (dest == "first_name") first = value;
    if (dest == "last_name") last = value;
    if (dest == "email") row.email = in_column(i, [&] { return NormalizeEmail(value); });
    if (dest == "phone") {
      row.phone = in_column(i, [&] { return phone::ToE164(value, region); });
      row.phone_typed_digits = Digits(value);
    }
    if (dest == "external_id") row.external_id = value;
    if (dest == "notes") row.notes = fields[i];
    if (dest == "tags") {
      std::string part;
      for (const char c : value + ",") {
        if (c == ',' || c == ';') {
          if (!Trim(part).empty()) row.tags.push_back(NormalizeTag(part));
          part.clear();
        } else {
          part += c;
        }
      }
    }
    if (dest == "metadata") {
      const Json parsed = Json::parse(value, nullptr, false);
      if (!parsed.is_object()) throw InvalidInput("metadata is not a JSON object: " + value);
      for (const auto& [key, item] : parsed.items()) row.metadata[key] = item;
    }
    if (dest.rfind("metadata.", 0) == 0) row.metadata[dest.substr(9)] = value;
  }
  if (row.name.empty()) row.name = Trim(first + " " + last);
  if (row.email.empty() && row.phone.empty() && row.external_id.empty()) {
    throw InvalidInput("no email, phone or external id: a row needs one to find the customer again");
  }
  std::sort(row.tags.begin(), row.tags.end());
  row.tags.erase(std::unique(row.tags.begin(), row.tags.end()), row.tags.end());
  return row;
}

std::optional<Customer> MatchOne(pqxx::dbtransaction& tx, const std::string& business_id, const std::string& where,
                                 const std::string& value) {
  if (value.empty()) return std::nullopt;
  const auto rows = tx.exec_params(Select(where + " FOR UPDATE"), business_id, value);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

ImportRowReport Upsert(pqxx::dbtransaction& tx, const std::string& business_id, const RowInput& row) {
  const auto by_email = MatchOne(tx, business_id, "lower(email) = lower($2::text)", row.email);
  const auto by_phone = [&] {
    const auto by_e164 = MatchOne(tx, business_id, "phone_normalized = $2::text", Digits(row.phone));
    return by_e164 ? by_e164 : MatchOne(tx, business_id, "phone_normalized = $2::text", row.phone_typed_digits);
  }();
  const auto by_external = MatchOne(tx, business_id, "external_id = $2::text", row.external_id);
  std::optional<Customer> match = by_email ? by_email : by_phone ? by_phone : by_external;
  for (const auto* other : {&by_phone, &by_external}) {
    if (match && *other && (*other)->id != match->id) {
      throw Conflict("the row's keys name two customers, " + match->id + " and " + (*other)->id +
                     ": merge them first with `omni customers merge`");
    }
  }
  ImportRowReport report;
  if (!match) {
    const auto inserted = tx.exec_params(
        std::string("INSERT INTO customers (business_id, name, email, phone, external_id, notes, tags, metadata) "
                    "VALUES ($1::uuid, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), $6, "
                    "ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8::jsonb) RETURNING ") +
            kColumns,
        business_id, row.name, row.email, row.phone, row.external_id, row.notes, Json(row.tags).dump(),
        row.metadata.dump());
    report.outcome = ImportOutcome::kCreated;
    const Customer customer = FromRow(inserted[0]);
    PublishCreated(tx, customer);
    report.customer_id = customer.id;
    return report;
  }
  const Customer& c = *match;
  if (!row.external_id.empty() && !c.external_id.empty() && row.external_id != c.external_id) {
    throw Conflict("external id \"" + row.external_id + "\" differs from the customer's (\"" + c.external_id +
                   "\"): an external id is never replaced by an import");
  }
  std::vector<std::string> changed;
  const auto differs = [&](bool condition, const char* field) {
    if (condition) changed.push_back(field);
    return condition;
  };
  const bool name = differs(!row.name.empty() && row.name != c.name, "name");
  const bool email = differs(!row.email.empty() && Lower(row.email) != Lower(c.email), "email");
  const bool phone = differs(!row.phone.empty() && row.phone != c.phone, "phone");
  const bool external = differs(!row.external_id.empty() && c.external_id.empty(), "external_id");
  const bool notes = differs(!Trim(row.notes).empty() && row.notes != c.notes, "notes");
  bool tags_added = false;
  for (const auto& tag : row.tags) {
    if (std::find(c.tags.begin(), c.tags.end(), tag) == c.tags.end()) tags_added = true;
  }
  differs(tags_added, "tags");
  // Metadata: only the keys the row sets, compared as the database stores them.
  const bool metadata =
      differs(!row.metadata.empty() &&
                  !tx.exec_params("SELECT metadata @> $3::jsonb FROM customers WHERE business_id = $1::uuid AND "
                                  "id = $2::uuid",
                                  business_id, c.id, row.metadata.dump())[0][0]
                       .as<bool>(),
              "metadata");
  report.customer_id = c.id;
  if (changed.empty()) {
    report.outcome = ImportOutcome::kUnchanged;
    return report;
  }
  tx.exec_params(
      "UPDATE customers SET name = CASE WHEN $3 THEN $4 ELSE name END, "
      "email = CASE WHEN $5 THEN $6 ELSE email END, phone = CASE WHEN $7 THEN $8 ELSE phone END, "
      "external_id = CASE WHEN $9 THEN $10 ELSE external_id END, notes = CASE WHEN $11 THEN $12 ELSE notes END, "
      "tags = ARRAY(SELECT DISTINCT t FROM unnest(tags || ARRAY(SELECT jsonb_array_elements_text($13::jsonb))) t "
      "             ORDER BY t), "
      "metadata = CASE WHEN $14 THEN metadata || $15::jsonb ELSE metadata END "
      "WHERE business_id = $1::uuid AND id = $2::uuid",
      business_id, c.id, name, row.name, email, row.email, phone, row.phone, external, row.external_id, notes,
      row.notes, Json(row.tags).dump(), metadata, row.metadata.dump());
  report.outcome = ImportOutcome::kUpdated;
  for (const auto& field : changed) report.detail += (report.detail.empty() ? "" : ", ") + field;
  return report;
}

// Why a row's write failed, in the user's terms.
std::string WriteError(const pqxx::sql_error& e) {
  const std::string constraint = db::ConstraintName(e);
  if (constraint.find("email") != std::string::npos) return "another customer of this business has this email";
  if (constraint.find("phone") != std::string::npos) return "another customer of this business has this phone";
  if (constraint.find("external") != std::string::npos) return "another customer has this external id";
  return std::string("the database refused the row: ") + e.what();
}

// Thrown out of the transaction to roll it back with the reports so far.
struct RollBack {
  std::vector<ImportRowReport> reports;
};

}  // namespace

const char* ImportOutcomeName(ImportOutcome outcome) {
  switch (outcome) {
    case ImportOutcome::kCreated: return "created";
    case ImportOutcome::kUpdated: return "updated";
    case ImportOutcome::kUnchanged: return "unchanged";
    case ImportOutcome::kRejected: return "rejected";
  }
  return "";
}

long long Export(db::Pool& pool, const std::string& business_id, const std::function<void(const ExportRow&)>& sink) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    tx.exec_params(
        std::string("DECLARE omni_customers_export NO SCROLL CURSOR FOR SELECT ") + kColumns +
            ", (SELECT count(*) FROM conversations v WHERE v.business_id = c.business_id AND v.customer_id = c.id)::int"
            ", (SELECT count(*) FROM appointments a WHERE a.business_id = c.business_id AND a.customer_id = c.id)::int"
            " FROM customers c WHERE c.business_id = $1::uuid ORDER BY c.created_at, c.id",
        business_id);
    long long total = 0;
    for (;;) {
      const auto rows = tx.exec("FETCH " + std::to_string(kExportBatch) + " FROM omni_customers_export");
      for (const auto& row : rows) {
        sink(ExportRow{FromRow(row), row[15].as<int>(), row[16].as<int>()});
        ++total;
      }
      if (rows.size() < static_cast<std::size_t>(kExportBatch)) break;
    }
    tx.exec("CLOSE omni_customers_export");
    return total;
  });
}

ImportSummary Import(db::Pool& pool, const std::string& business_id, std::istream& csv, const ImportOptions& options,
                     const std::function<void(const ImportRowReport&)>& on_row) {
  CsvReader reader(csv, options.source);
  CsvRecord header;
  if (!reader.Next(header)) {
    throw InvalidInput(options.source + " is empty", "The first line names the columns, e.g. name,email,phone.");
  }
  std::map<std::string, std::string> mapped;  // header key -> destination
  for (const auto& [source, dest] : options.header_map) {
    if (!IsDestination(dest)) {
      throw InvalidInput("invalid --map " + source + "=" + dest + ": unknown destination \"" + dest + "\"",
                         "Map to name, email, phone, external_id, notes, tags, metadata, metadata.KEY or ignore.");
    }
    mapped[HeaderKey(source)] = dest;
  }
  ImportSummary summary;
  std::vector<std::string> destinations;
  std::set<std::string> seen_destinations;
  std::set<std::string> unmapped;
  for (const auto& [key, dest] : mapped) unmapped.insert(key);
  for (const auto& column : header.fields) {
    const std::string key = HeaderKey(column);
    std::string dest = "ignore";
    if (mapped.count(key)) {
      dest = mapped[key];
      unmapped.erase(key);
    } else if (KnownHeaders().count(key)) {
      dest = KnownHeaders().at(key);
    } else {
      summary.ignored_columns.push_back(column);
    }
    if (dest != "ignore" && !seen_destinations.insert(dest).second) {
      throw InvalidInput(options.source + ", line " + std::to_string(header.line) + ": two columns give " + dest,
                         "Skip one with --map \"" + column + "=ignore\".");
    }
    destinations.push_back(dest);
  }
  if (!unmapped.empty()) {
    throw InvalidInput("invalid --map: the header has no column \"" + *unmapped.begin() + "\"");
  }
  if (!seen_destinations.count("email") && !seen_destinations.count("phone") &&
      !seen_destinations.count("external_id")) {
    throw InvalidInput(options.source + ", line 1: no email, phone or external id column",
                       "Name one in the header, or map one with --map \"Your column=email\".");
  }
  // The whole file is read before anything is written: a syntax error
  // anywhere writes nothing, and a retried transaction reads it again.
  std::vector<CsvRecord> records;
  for (CsvRecord record; reader.Next(record);) records.push_back(record);

  std::vector<ImportRowReport> reports;
  const auto run = [&](pqxx::work& tx) {
    reports.clear();
    const std::string region = PhoneRegion(tx, business_id);
    for (const auto& record : records) {
      ImportRowReport report;
      try {
        if (record.fields.size() != destinations.size()) {
          throw InvalidInput("expected " + std::to_string(destinations.size()) + " fields, got " +
                             std::to_string(record.fields.size()));
        }
        const RowInput row = ParseRow(header.fields, destinations, record.fields, region);
        // A savepoint per row: a rejected row leaves nothing behind.
        pqxx::subtransaction savepoint(tx, "customer_import_row");
        try {
          report = Upsert(savepoint, business_id, row);
          savepoint.commit();
        } catch (const pqxx::integrity_constraint_violation& e) {
          savepoint.abort();
          throw Conflict(WriteError(e));
        } catch (...) {
          savepoint.abort();
          throw;
        }
      } catch (const Error& e) {
        report = ImportRowReport{};
        report.outcome = ImportOutcome::kRejected;
        report.detail = e.what();
      }
      report.line = record.line;
      reports.push_back(report);
    }
    const bool any_rejected = std::any_of(reports.begin(), reports.end(), [](const ImportRowReport& r) {
      return r.outcome == ImportOutcome::kRejected;
    });
    if (options.dry_run || (any_rejected && !options.continue_on_error)) throw RollBack{reports};
  };
  try {
    db::WithTransaction(pool, run);
    summary.committed = true;
  } catch (const RollBack& rollback) {
    reports = rollback.reports;
  }
  for (auto& report : reports) {
    // A rolled-back create left no customer behind to name.
    if (!summary.committed && report.outcome == ImportOutcome::kCreated) report.customer_id.clear();
    switch (report.outcome) {
      case ImportOutcome::kCreated: ++summary.created; break;
      case ImportOutcome::kUpdated: ++summary.updated; break;
      case ImportOutcome::kUnchanged: ++summary.unchanged; break;
      case ImportOutcome::kRejected: ++summary.rejected; break;
    }
    on_row(report);
  }
  return summary;
}

}  // namespace omni::customers
