// Moving a business's customer book in and out: a streamed export of every
// field, and a CSV import that upserts by email, phone, then external id.
// Thread-safe: free functions over a db::Pool; each call leases a connection.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "core/customers/customers.hpp"

namespace omni::db {
class Pool;
}

namespace omni::customers {

struct ExportRow {
  Customer customer;
  int conversation_count = 0;
  int appointment_count = 0;
};

// Calls `sink` once per customer of the business, oldest first. Rows come
// from a server-side cursor a batch at a time, so memory stays flat however
// large the book. `sink` runs inside the read transaction; an exception
// from it stops the export and propagates. Returns the number of rows.
long long Export(db::Pool& pool, const std::string& business_id, const std::function<void(const ExportRow&)>& sink);

// What an import may write, and the header names it knows for each
// (case-insensitive; spaces, '-' and '_' alike):
//   name         name, full name, customer name, contact name (or first name + last name)
//   email        email, e-mail, email address, mail
//   phone        phone, phone number, mobile, telephone, tel, cell
//   external_id  external id, user id, customer id
//   notes        notes, note, comments
//   tags         tags, tag, labels (a,b or a;b; added to the customer's)
//   metadata     metadata (a JSON object; its keys are set)
//   metadata.KEY one metadata key (only through --map)
//   ignore       the column is skipped
// Columns omni exports but never imports (id, claimed_email, counts,
// dates) are skipped silently; other unknown columns are skipped and
// listed in ImportSummary::ignored_columns.
struct ImportOptions {
  std::string source = "the file";  // names the input in errors, e.g. its path
  bool dry_run = false;            // report, then roll everything back
  bool continue_on_error = false;  // commit the good rows; else any rejection rolls back all
  std::map<std::string, std::string> header_map{};  // source header -> destination above
};

enum class ImportOutcome { kCreated, kUpdated, kUnchanged, kRejected };

// "created", "updated", "unchanged" or "rejected".
const char* ImportOutcomeName(ImportOutcome outcome);

struct ImportRowReport {
  long long line = 0;  // the line of the file where the row starts (header is line 1)
  ImportOutcome outcome = ImportOutcome::kUnchanged;
  std::string customer_id;  // "" when rejected or created in a dry run rolled back
  std::string detail;       // the fields changed, or why the row was rejected
};

struct ImportSummary {
  long long created = 0, updated = 0, unchanged = 0, rejected = 0;
  std::vector<std::string> ignored_columns;  // unknown headers skipped
  bool committed = false;  // false: a dry run, or a rejection without continue_on_error
};

// Reads an RFC 4180 CSV (a UTF-8 BOM, quoted fields, embedded newlines and
// CRLF allowed; first row the header) from `csv` and upserts each row into
// the business: a row matches the customer with its email
// (case-insensitive), else its phone (any format, read in the business's
// phone region and stored in E.164), else its external id. A
// matched customer gets the row's non-empty fields (tags and metadata are
// added to); an unmatched one is created. Each row runs in a savepoint,
// so a rejected row writes nothing; rows repeated in the file, or a second
// import of it, are unchanged. `on_row` is called for every row, in order.
// Throws InvalidInput for a malformed file (naming the line), a header
// without any key column, or a bad --map; nothing is written then.
ImportSummary Import(db::Pool& pool, const std::string& business_id, std::istream& csv, const ImportOptions& options,
                     const std::function<void(const ImportRowReport&)>& on_row);

}  // namespace omni::customers
