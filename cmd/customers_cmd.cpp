// `omni customers list|show|update|tag`: the people who chat and book.
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/phone.hpp"
#include "core/common/text.hpp"
#include "core/customers/customers.hpp"
#include "core/customers/merge.hpp"
#include "core/customers/profile.hpp"
#include "core/customers/transfer.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ListOptions {
  std::string search;
  bool no_claims = false;
  std::vector<std::string> tags;
  std::vector<std::string> any_tags;
  std::string contacted_after;
  std::string contacted_before;
  bool never_contacted = false;
  int limit = 50;
  std::string after;
};

struct ShowOptions {
  std::string key;
};

struct UpdateOptions {
  std::string key;
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> notes;
  std::vector<std::string> set_metadata;  // KEY=VALUE
  std::vector<std::string> unset_metadata;
};

struct ExportOptions {};

struct ImportOptions {
  std::string file;
  bool dry_run = false;
  bool continue_on_error = false;
  std::vector<std::string> maps;  // SRC=DEST
};

struct MergeOptions {
  std::string keep;
  std::string other;
  std::string author;
};

struct TagOptions {
  std::string key;
  std::vector<std::string> tags;
  bool remove = false;
};

const std::vector<Column> kListColumns = {{"id", "ID"},       {"name", "NAME"},         {"email", "EMAIL"},
                                          {"phone", "PHONE"}, {"tags", "TAGS"},         {"visit_count", "VISITS"},
                                          {"last_contact_at", "LAST CONTACT"}};

const std::vector<Column> kRecordFields = {
    {"id", "ID"},       {"name", "NAME"},         {"email", "EMAIL"},
    {"phone", "PHONE"}, {"external_id", "EXTERNAL ID"}, {"claimed_email", "CLAIMED EMAIL"},
    {"claimed_phone", "CLAIMED PHONE"}, {"tags", "TAGS"}, {"notes", "NOTES"}, {"metadata_text", "METADATA"},  {"visit_count", "VISITS"},
    {"last_contact_at", "LAST CONTACT"}, {"created_at", "CREATED"}, {"updated_at", "UPDATED"},
    {"time_zone", "TIME ZONE"}};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

struct Tenant {
  std::string id;
  std::string time_zone;
  std::string phone_region;
};

Tenant RequireTenant(Context& ctx) {
  const auto business = business::FindTenant(ctx.Database(), ctx.RequireBusiness());
  return {business.id, business.time_zone, business.phone_region};
}

// JSON keeps UTC instants; a table shows the business's local time, and
// the command names the zone (Output::TimesIn). Phones stay E.164 in JSON
// and CSV, for machines; a table shows them as the business reads them.
Json CustomerJson(const customers::Customer& c, Format format, const Tenant& tenant) {
  const std::string& zone = tenant.time_zone;
  const bool local = format != Format::kJson;
  const auto phone = [&](const std::string& stored) {
    return format == Format::kTable ? phone::Format(stored, tenant.phone_region) : stored;
  };
  const auto time = [&](TimePoint t) { return local ? booking::FormatLocal(t, zone) : Utc(t); };
  std::string metadata_text;
  for (const auto& [key, value] : c.metadata) metadata_text += (metadata_text.empty() ? "" : ", ") + key + "=" + value;
  return {{"id", c.id},
          {"name", c.name},
          {"email", c.email},
          {"phone", phone(c.phone)},
          {"external_id", c.external_id},
          {"claimed_email", c.claimed_email},
          {"claimed_phone", phone(c.claimed_phone)},
          {"tags", c.tags},
          {"notes", c.notes},
          {"metadata", c.metadata},
          {"metadata_text", metadata_text},
          {"visit_count", c.visit_count},
          {"last_contact_at", c.last_contact_at ? Json(time(*c.last_contact_at)) : Json(nullptr)},
          {"created_at", time(c.created_at)},
          {"updated_at", time(c.updated_at)},
          {"time_zone", zone}};
}

void PrintRecord(Context& ctx, const Tenant& tenant, const customers::Customer& c) {
  Json record = CustomerJson(c, ctx.out().format(), tenant);
  if (ctx.out().format() == Format::kJson) record.erase("metadata_text");
  ctx.out().Record(kRecordFields, record);
  ctx.out().TimesIn(tenant.time_zone);
}

// A --contacted-after/--before value: "30d" (that many days before now), a
// date (midnight in the business's time zone) or an ISO-8601 instant.
TimePoint ParseWhen(const std::string& option, const std::string& text, const std::string& time_zone) {
  if (text.size() >= 2 && text.back() == 'd' &&
      text.find_first_not_of("0123456789") == text.size() - 1 && text.size() <= 6) {
    return DefaultClock().Now() - std::chrono::hours{24} * std::stoi(text.substr(0, text.size() - 1));
  }
  try {
    return booking::ParseInstantOrDate(text, time_zone);
  } catch (const InvalidInput&) {
    throw InvalidInput("invalid " + option + " \"" + text + "\": expected 30d, 2026-05-01 or 2026-05-01T09:00:00Z");
  }
}

int RunList(Context& ctx, const ListOptions& opts) {
  const Tenant tenant = RequireTenant(ctx);
  customers::ListFilter filter;
  filter.search = opts.search;
  filter.include_claims = !opts.no_claims;
  filter.all_tags = SplitCommas(opts.tags);
  filter.any_tags = SplitCommas(opts.any_tags);
  if (!opts.contacted_after.empty()) {
    filter.contacted_from = ParseWhen("--contacted-after", opts.contacted_after, tenant.time_zone);
  }
  if (!opts.contacted_before.empty()) {
    filter.contacted_to = ParseWhen("--contacted-before", opts.contacted_before, tenant.time_zone);
  }
  filter.never_contacted = opts.never_contacted;
  filter.limit = opts.limit;
  filter.after = opts.after;
  const auto page = customers::List(ctx.Database(), tenant.id, filter);
  Json rows = Json::array();
  for (const auto& c : page.customers) {
    Json row = CustomerJson(c, ctx.out().format(), tenant);
    row.erase("metadata_text");
    // A visitor's typed email or phone shows, marked, where no key is known.
    if (ctx.out().format() == Format::kTable) {
      if (c.email.empty() && !c.claimed_email.empty()) row["email"] = "(claimed) " + c.claimed_email;
      if (c.phone.empty() && !c.claimed_phone.empty()) row["phone"] = "(claimed) " + phone::Format(c.claimed_phone, tenant.phone_region);
    }
    rows.push_back(row);
  }
  ctx.out().List(kListColumns, rows);
  if (rows.empty()) {
    ctx.out().Status("no customers match");
  } else {
    ctx.out().TimesIn(tenant.time_zone);
  }
  if (!page.next_cursor.empty()) ctx.out().Status("more customers: add --after " + page.next_cursor);
  return 0;
}

Json LocalTime(const std::optional<TimePoint>& t, const std::string& zone) {
  return t ? Json(booking::FormatLocal(*t, zone)) : Json(nullptr);
}

Json AppointmentsJson(const std::vector<customers::AppointmentSummary>& appointments, const std::string& zone) {
  Json rows = Json::array();
  for (const auto& a : appointments) {
    rows.push_back({{"id", a.id},
                    {"service", a.service_name},
                    {"status", Lower(a.status)},
                    {"start_local", booking::FormatLocal(a.starts_at, zone)},
                    {"end_local", booking::FormatLocal(a.ends_at, zone)},
                    {"start_utc", Utc(a.starts_at)}});
  }
  return rows;
}

int RunShow(Context& ctx, const ShowOptions& opts) {
  const Tenant tenant = RequireTenant(ctx);
  const std::string& zone = tenant.time_zone;
  const auto profile = customers::GetProfile(ctx.Database(), tenant.id, opts.key, DefaultClock().Now());
  Json conversations = Json::array();
  for (const auto& c : profile.conversations) {
    const std::string from = c.last_message_role == "USER"        ? "customer"
                             : c.last_message_role == "HUMAN"     ? "team"
                             : c.last_message_role == "ASSISTANT" ? "ai"
                                                                  : "";
    conversations.push_back({{"id", c.id},
                             {"status", c.status},
                             {"channel", c.channel},
                             {"messages", c.message_count},
                             {"last_message_at", LocalTime(c.last_message_at, zone)},
                             {"last_message_from", from.empty() ? Json(nullptr) : Json(from)},
                             {"last_message", c.last_message_text},
                             {"created_at", booking::FormatLocal(c.created_at, zone)}});
  }
  const Json upcoming = AppointmentsJson(profile.upcoming, zone);
  const Json past = AppointmentsJson(profile.past, zone);
  if (ctx.out().format() != Format::kTable) {
    Json record = CustomerJson(profile.customer, ctx.out().format(), tenant);
    if (ctx.out().format() == Format::kJson) {
      record.erase("metadata_text");
      record["conversations"] = conversations;
      record["upcoming_appointments"] = upcoming;
      record["past_appointments"] = past;
    }
    ctx.out().Record(kRecordFields, record);
    return 0;
  }
  PrintRecord(ctx, tenant, profile.customer);
  const std::vector<Column> appointment_columns = {
      {"id", "ID"}, {"start_local", "START"}, {"service", "SERVICE"}, {"status", "STATUS"}};
  const auto section = [&](const std::string& title, const std::vector<Column>& columns, const Json& rows) {
    ctx.out().Gap();
    ctx.out().Text(ctx.out().Bold(title) + (rows.empty() ? ": none" : "") + "\n");
    if (!rows.empty()) ctx.out().List(columns, rows);
  };
  section("Conversations",
          {{"id", "ID"}, {"status", "STATUS"}, {"last_message_at", "LAST MESSAGE AT"},
           {"last_message_from", "FROM"}, {"last_message", "LAST MESSAGE"}},
          conversations);
  section("Upcoming appointments", appointment_columns, upcoming);
  section("Past appointments", appointment_columns, past);
  return 0;
}

int RunUpdate(Context& ctx, const UpdateOptions& opts) {
  const Tenant tenant = RequireTenant(ctx);
  const std::string& business_id = tenant.id;
  customers::CustomerUpdate update;
  update.name = opts.name;
  update.email = opts.email;
  update.phone = opts.phone;
  update.notes = opts.notes;
  for (const auto& pair : opts.set_metadata) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw InvalidInput("invalid --meta \"" + pair + "\": expected KEY=VALUE", "Example: --meta source=instagram");
    }
    update.set_metadata[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  update.unset_metadata = opts.unset_metadata;
  const auto current = customers::Get(ctx.Database(), business_id, opts.key);
  const auto updated = customers::Update(ctx.Database(), business_id, current.id, update);
  PrintRecord(ctx, tenant, updated);
  ctx.out().Status(updated.updated_at == current.updated_at ? "customer " + updated.id + " unchanged"
                                                             : ctx.out().Green("updated") + " customer " + updated.id);
  return 0;
}

int RunTag(Context& ctx, const TagOptions& opts) {
  const Tenant tenant = RequireTenant(ctx);
  const std::string& business_id = tenant.id;
  customers::CustomerUpdate update;
  (opts.remove ? update.remove_tags : update.add_tags) = opts.tags;
  const auto current = customers::Get(ctx.Database(), business_id, opts.key);
  const auto updated = customers::Update(ctx.Database(), business_id, current.id, update);
  PrintRecord(ctx, tenant, updated);
  ctx.out().Status((opts.remove ? "removed tags from customer " : "tagged customer ") + updated.id);
  return 0;
}

const std::vector<Column> kExportColumns = {
    {"id", "ID"},
    {"name", "NAME"},
    {"email", "EMAIL"},
    {"phone", "PHONE"},
    {"external_id", "EXTERNAL ID"},
    {"claimed_email", "CLAIMED EMAIL"},
    {"claimed_phone", "CLAIMED PHONE"},
    {"tags", "TAGS"},
    {"notes", "NOTES"},
    {"metadata", "METADATA"},
    {"visit_count", "VISITS"},
    {"last_contact_at", "LAST CONTACT"},
    {"conversation_count", "CONVERSATIONS"},
    {"appointment_count", "APPOINTMENTS"},
    {"created_at", "CREATED"},
    {"updated_at", "UPDATED"}};

int RunExport(Context& ctx, const ExportOptions&) {
  const std::string business_id = RequireTenant(ctx).id;
  const bool json = ctx.out().format() == Format::kJson;
  RowStream stream(ctx.out().format(), kExportColumns);
  const long long total = customers::Export(ctx.Database(), business_id, [&](const customers::ExportRow& row) {
    // Exported instants stay UTC whatever the format, so that import reads them back.
    Json record = CustomerJson(row.customer, Format::kJson, Tenant{});
    record.erase("metadata_text");
    record.erase("time_zone");
    record["conversation_count"] = row.conversation_count;
    record["appointment_count"] = row.appointment_count;
    if (!json) {
      // One cell each: tags as a,b (what import reads back), metadata as JSON.
      std::string tags;
      for (const auto& tag : row.customer.tags) tags += (tags.empty() ? "" : ",") + tag;
      record["tags"] = tags;
      record["metadata"] = Json(row.customer.metadata).dump();
    }
    stream.Row(record);
  });
  stream.Close();
  ctx.out().Status("exported " + std::to_string(total) + " customer" + (total == 1 ? "" : "s"));
  return 0;
}

int RunImport(Context& ctx, const ImportOptions& opts) {
  const std::string business_id = RequireTenant(ctx).id;
  customers::ImportOptions options;
  options.source = opts.file == "-" ? "stdin" : opts.file;
  options.dry_run = opts.dry_run;
  options.continue_on_error = opts.continue_on_error;
  for (const auto& pair : opts.maps) {
    const auto equals = pair.rfind('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size()) {
      throw InvalidInput("invalid --map \"" + pair + "\": expected SOURCE=DEST", "Example: --map \"Mobile no=phone\"");
    }
    options.header_map[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  std::ifstream file;
  if (opts.file != "-") {
    file.open(opts.file, std::ios::binary);
    if (!file) throw NotFound("cannot open " + opts.file + ": " + std::strerror(errno));
  }
  Json rows = Json::array();
  std::string first_rejection;
  const auto summary = customers::Import(
      ctx.Database(), business_id, opts.file == "-" ? std::cin : file, options,
      [&](const customers::ImportRowReport& report) {
        rows.push_back({{"line", report.line},
                        {"outcome", customers::ImportOutcomeName(report.outcome)},
                        {"customer_id", report.customer_id.empty() ? Json(nullptr) : Json(report.customer_id)},
                        {"detail", report.detail}});
        if (report.outcome == customers::ImportOutcome::kRejected && first_rejection.empty()) {
          first_rejection = "line " + std::to_string(report.line) + ": " + report.detail;
        }
      });
  ctx.out().List({{"line", "LINE"}, {"outcome", "OUTCOME"}, {"customer_id", "CUSTOMER"}, {"detail", "DETAIL"}},
                 rows);
  for (const auto& column : summary.ignored_columns) {
    ctx.out().Warn("warning: column \"" + column + "\" is not imported; map it with --map \"" + column +
                   "=metadata." + Lower(column) + "\" to keep it");
  }
  const std::string counts = std::to_string(summary.created) + " created, " + std::to_string(summary.updated) +
                             " updated, " + std::to_string(summary.unchanged) + " unchanged, " +
                             std::to_string(summary.rejected) + " rejected";
  if (opts.dry_run) {
    ctx.out().Status("dry run: " + counts + "; nothing was written");
    return 0;
  }
  if (summary.rejected > 0 && !summary.committed) {
    throw InvalidInput("nothing imported: " + std::to_string(summary.rejected) + " row" +
                           (summary.rejected == 1 ? "" : "s") + " rejected, first " + first_rejection,
                       "Fix those rows, or pass --continue-on-error to import the others.");
  }
  if (summary.rejected > 0) {
    throw Error("imported with rejections: " + counts + "; first " + first_rejection);
  }
  ctx.out().Status(ctx.out().Green("imported") + ": " + counts);
  return 0;
}

int RunMerge(Context& ctx, const MergeOptions& opts) {
  std::string author = opts.author;
  if (author.empty()) {
    const char* user = std::getenv("USER");
    author = user != nullptr ? user : "";
  }
  const Tenant tenant = RequireTenant(ctx);
  const auto result = customers::Merge(ctx.Database(), tenant.id, opts.keep, opts.other, author);
  Json conflicts = Json::array();
  for (const auto& c : result.conflicts) {
    conflicts.push_back({{"field", c.field}, {"kept", c.kept}, {"discarded", c.discarded}});
  }
  std::string moved;
  for (const auto& [table, rows] : result.moved) {
    moved += (moved.empty() ? "" : ", ") + std::to_string(rows) + " " + table;
  }
  if (ctx.out().format() == Format::kJson) {
    Json record = CustomerJson(result.kept, Format::kJson, tenant);
    record.erase("metadata_text");
    ctx.out().Json({{"kept", record},
                    {"removed_id", result.removed_id},
                    {"merge_id", result.merge_id},
                    {"conflicts", conflicts},
                    {"moved", result.moved}});
  } else if (ctx.out().format() == Format::kCsv) {
    ctx.out().List({{"field", "FIELD"}, {"kept", "KEPT"}, {"discarded", "DISCARDED"}}, conflicts);
  } else {
    PrintRecord(ctx, tenant, result.kept);
    ctx.out().Gap();
    ctx.out().Text(ctx.out().Bold("Conflicts (kept from " + result.kept.id + ")") +
                   (conflicts.empty() ? ": none" : "") + "\n");
    if (!conflicts.empty()) {
      ctx.out().List({{"field", "FIELD"}, {"kept", "KEPT"}, {"discarded", "DISCARDED"}}, conflicts);
    }
  }
  ctx.out().Status(ctx.out().Green("merged") + " customer " + result.removed_id + " into " + result.kept.id +
                   " (moved " + (moved.empty() ? "nothing" : moved) + "; audit record " + result.merge_id + ")");
  return 0;
}

const char* const kKeyHelp = "customer id (or its first 6 or more characters), email or phone";

}  // namespace

Command MakeCustomersCommand() {
  return MakeGroup(
      "customers", "list, show, export, import, merge, update and tag customers",
      "Customers of the business chosen with -b: the people who chatted or booked. A booking an operator makes "
      "finds or creates them by email (case-insensitive) or phone. A phone is stored in E.164 (+14155550132), "
      "read in the business's country (its file's country:, else the one its time zone names), so in a US "
      "business \"(415) 555-0132\", \"+1 415-555-0132\" and \"415.555.0132\" are one customer; a number of "
      "another country needs its country code, and one that is not a valid number is refused. Tables show "
      "phones in the national format (the international one for another country's); -o json, -o csv and "
      "export keep E.164 for machines. A site's signed-in user (a verified identity) "
      "is found by that identity. What a chat visitor types is kept as a claim (claimed_email, claimed_phone): "
      "it never matches an existing customer, so an unverified visitor is a customer of their own. A customer "
      "is named by id, email or phone.",
      {
          MakeCommand<ListOptions>(
              "list", "list customers, most recent contact first",
              "Lists the business's customers, most recently in contact first. --search matches part of the name, "
              "email or phone, case-insensitive (a phone on its digits, in any format). It also matches what an unverified visitor "
              "typed (claimed email and phone); --no-claims searches only the email and phone the business knows, "
              "and in a table a claimed value is marked \"(claimed)\". --tag keeps customers with every tag given "
              "(AND); --any-tag keeps those with at least one (OR); both can be combined. --contacted-after and "
              "--contacted-before take 30d (days ago), a date (midnight in the business's time zone) or an "
              "ISO-8601 instant. At most --limit customers are printed; when there are more, the cursor of the next "
              "page is printed on stderr, for --after.",
              {"$ omni customers list -b demo-salon", "$ omni customers list -b demo-salon --tag vip --tag color -o json",
               "$ omni customers list -b demo-salon --any-tag vip,regular --contacted-after 30d",
               "$ omni customers list -b demo-salon --search lee --no-claims --limit 10",
               "$ omni customers list -b demo-salon --never-contacted -o csv"},
              [](ListOptions& o) {
                return std::vector<Option>{
                    {"-s,--search", "part of the name, email or phone (claimed ones too)", &o.search},
                    {"--no-claims", "search only the email and phone the business knows", &o.no_claims},
                    {"-t,--tag", "only customers with this tag (repeatable: all of them)", &o.tags},
                    {"--any-tag", "only customers with at least one of these tags (a,b)", &o.any_tags},
                    {"--contacted-after", "last contact at or after: 30d, a date or an instant", &o.contacted_after},
                    {"--contacted-before", "last contact before: 30d, a date or an instant", &o.contacted_before},
                    {"--never-contacted", "only customers never in contact", &o.never_contacted},
                    {"--limit", "at most this many (1 to 1000, default 50)", &o.limit},
                    {"--after", "the cursor a previous page printed: the page after it", &o.after}};
              },
              RunList),
          MakeCommand<ShowOptions>(
              "show", "show one customer, their conversations and appointments",
              "Shows a customer's contact details, tags, notes, metadata, visit count and last contact, then "
              "their conversations (status and last message, most recent first) and their appointments: upcoming "
              "(scheduled or confirmed, soonest first) and past (started, canceled or done, latest first), in the "
              "business's local time. A customer is named by id (or its first 6 or more characters), email or "
              "phone. -o json adds conversations, upcoming_appointments and past_appointments; -o csv prints the "
              "customer's own fields.",
              {"$ omni customers show -b demo-salon ann@example.com", "$ omni customers show -b demo-salon 3f2b8c",
               "$ omni customers show -b demo-salon \"(415) 555-0132\" -o json"},
              [](ShowOptions& o) { return std::vector<Option>{{"customer", kKeyHelp, &o.key, true}}; }, RunShow),
          MakeCommand<UpdateOptions>(
              "update", "change a customer's details, notes or metadata",
              "Changes only the fields given. --email or --phone \"\" clears it; a value another customer of the "
              "business already has is refused (exit code 6). A phone is written as the customer dials it in the "
              "business's country, or with its country code.",
              {"$ omni customers update -b demo-salon ann@example.com --notes \"prefers mornings\"",
               "$ omni customers update -b demo-salon ann@example.com --phone \"415 555 0132\" --meta source=instagram"},
              [](UpdateOptions& o) {
                return std::vector<Option>{{"customer", kKeyHelp, &o.key, true},
                                           {"--name", "new name", &o.name},
                                           {"--email", "new email address", &o.email},
                                           {"--phone", "new phone number", &o.phone},
                                           {"--notes", "replace the notes", &o.notes},
                                           {"--meta", "set metadata KEY=VALUE (repeatable)", &o.set_metadata},
                                           {"--unset-meta", "remove a metadata key (repeatable)", &o.unset_metadata}};
              },
              RunUpdate),
          MakeCommand<ExportOptions>(
              "export", "write every customer with every field, as CSV or JSON",
              "Writes all of the business's customers, oldest first, with every field: contact details and "
              "external id, claims, tags, notes, metadata, visit count, last contact, conversation and appointment "
              "counts, and the created and updated dates (UTC). Phones stay in E.164 (+14155550132) for other "
              "programs. CSV by default (tags as a,b and metadata as a "
              "JSON object, which import reads back); -o json gives an array of objects. Rows are streamed as "
              "they are read, so memory stays flat however many customers there are.",
              {"$ omni customers export -b demo-salon > customers.csv",
               "$ omni customers export -b demo-salon -o json | jq length"},
              [](ExportOptions&) { return std::vector<Option>{}; }, RunExport),
          MakeCommand<ImportOptions>(
              "import", "create or update customers from a CSV file",
              "Reads a CSV file (UTF-8, comma-separated, first line the header; quotes, line breaks inside quotes "
              "and a byte order mark are fine) and upserts each row: it updates the customer with the row's email "
              "(case-insensitive), else its phone (in any format, read in the business's country and stored in "
              "E.164), else its external id, or creates one. Known "
              "headers: name (or first name and last name), email, phone (mobile, tel), external id, notes, tags "
              "(a,b or a;b, added to the customer's), metadata (a JSON object). --map renames another column: "
              "--map \"Mobile no=phone\", --map \"Source=metadata.source\", --map \"Old id=ignore\". Empty cells "
              "change nothing, and an external id is never replaced. Every row is reported with its line: "
              "created, updated (with the fields), unchanged or rejected (with the reason, naming the column of "
              "an invalid email or phone). A rejected row writes "
              "nothing, and the whole file is one transaction: any rejection imports nothing (exit code 2), "
              "unless --continue-on-error imports the other rows (exit code 1). Importing the same file again "
              "changes nothing. --dry-run reports without writing. FILE - reads stdin.",
              {"$ omni customers import -b demo-salon customers.csv --dry-run",
               "$ omni customers import -b demo-salon export.csv --map \"Mobile no=phone\" --continue-on-error",
               "$ omni customers import -b demo-salon people.csv -o json"},
              [](ImportOptions& o) {
                return std::vector<Option>{
                    {"file", "the CSV file, or - for stdin", &o.file, true},
                    {"--dry-run", "report what would change, write nothing", &o.dry_run},
                    {"--map", "read column SOURCE as DEST (repeatable): SOURCE=DEST", &o.maps},
                    {"--continue-on-error", "import the good rows even when others are rejected",
                     &o.continue_on_error}};
              },
              RunImport),
          MakeCommand<MergeOptions>(
              "merge", "merge a duplicate customer into another",
              "Merges OTHER into KEEP, which is the base: the direction is yours, never guessed. Everything that "
              "points at OTHER (its conversations and appointments) moves to KEEP; its tags are added, its notes "
              "appended below KEEP's, and its metadata keys added where KEEP has none. A field KEEP lacks (name, "
              "email, phone, external id, claims) is taken from OTHER; where both have one, KEEP's stays and the "
              "conflict is listed with the value dropped. Visit counts add up; last contact and created date take "
              "the latest and the earliest. OTHER is then removed, and an audit record (who, when, what OTHER "
              "was, the conflicts and what moved) is kept. Both must be customers of the business given with -b "
              "(exit code 5 otherwise); -o csv prints the conflicts.",
              {"$ omni customers merge -b demo-salon ann@example.com ann.lee@work.example",
               "$ omni customers merge -b demo-salon 3f2b8c 9a41d0 -o json"},
              [](MergeOptions& o) {
                return std::vector<Option>{
                    {"keep", "the customer to keep (id or its first 6 or more characters, email or phone)", &o.keep,
                     true},
                    {"other", "the duplicate, merged into KEEP and removed", &o.other, true},
                    {"--as", "who merges, for the audit record (default: $USER)", &o.author}};
              },
              RunMerge),
          MakeCommand<TagOptions>(
              "tag", "add or remove tags",
              "Adds the tags to a customer (lower-cased), or removes them with --remove.",
              {"$ omni customers tag -b demo-salon ann@example.com vip color",
               "$ omni customers tag -b demo-salon ann@example.com color --remove"},
              [](TagOptions& o) {
                return std::vector<Option>{{"customer", kKeyHelp, &o.key, true},
                                           {"tags", "tags to add or remove", &o.tags, true},
                                           {"--remove", "remove the tags instead", &o.remove}};
              },
              RunTag),
      });
}

}  // namespace omni::cli
