// `omni customers list|show|update|tag`: the people who chat and book.
#include <chrono>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/booking/local_time.hpp"
#include "core/business/business.hpp"
#include "core/common/error.hpp"
#include "core/customers/customers.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ListOptions {
  std::string search;
  std::string tag;
  int limit = 50;
  int offset = 0;
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
};

Tenant RequireTenant(Context& ctx) {
  const auto business = business::Get(ctx.Database(), ctx.RequireBusiness());
  return {business.id, business.spec.timezone};
}

// JSON keeps UTC instants; a table shows the business's local time, and
// the command names the zone (Output::TimesIn).
Json CustomerJson(const customers::Customer& c, Format format, const std::string& zone) {
  const bool local = format != Format::kJson;
  const auto time = [&](TimePoint t) { return local ? booking::FormatLocal(t, zone) : Utc(t); };
  std::string metadata_text;
  for (const auto& [key, value] : c.metadata) metadata_text += (metadata_text.empty() ? "" : ", ") + key + "=" + value;
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
          {"metadata_text", metadata_text},
          {"visit_count", c.visit_count},
          {"last_contact_at", c.last_contact_at ? Json(time(*c.last_contact_at)) : Json(nullptr)},
          {"created_at", time(c.created_at)},
          {"updated_at", time(c.updated_at)},
          {"time_zone", zone}};
}

void PrintRecord(Context& ctx, const Tenant& tenant, const customers::Customer& c) {
  Json record = CustomerJson(c, ctx.out().format(), tenant.time_zone);
  if (ctx.out().format() == Format::kJson) record.erase("metadata_text");
  ctx.out().Record(kRecordFields, record);
  ctx.out().TimesIn(tenant.time_zone);
}

int RunList(Context& ctx, const ListOptions& opts) {
  const Tenant tenant = RequireTenant(ctx);
  Json rows = Json::array();
  for (const auto& c : customers::List(ctx.Database(), tenant.id,
                                       {.search = opts.search, .tag = opts.tag, .limit = opts.limit,
                                        .offset = opts.offset})) {
    Json row = CustomerJson(c, ctx.out().format(), tenant.time_zone);
    row.erase("metadata_text");
    rows.push_back(row);
  }
  ctx.out().List(kListColumns, rows);
  if (rows.empty()) {
    ctx.out().Status("no customers match");
  } else {
    ctx.out().TimesIn(tenant.time_zone);
  }
  return 0;
}

int RunShow(Context& ctx, const ShowOptions& opts) {
  const Tenant tenant = RequireTenant(ctx);
  PrintRecord(ctx, tenant, customers::Get(ctx.Database(), tenant.id, opts.key));
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

const char* const kKeyHelp = "customer id, email or phone";

}  // namespace

Command MakeCustomersCommand() {
  return MakeGroup(
      "customers", "list, show, update and tag customers",
      "Customers of the business chosen with -b: the people who chatted or booked. A booking an operator makes "
      "finds or creates them by email (case-insensitive) or phone; a phone is matched on its digits, so "
      "\"(555) 010-2030\" and \"555.010.2030\" are one customer. A site's signed-in user (a verified identity) "
      "is found by that identity. What a chat visitor types is kept as a claim (claimed_email, claimed_phone): "
      "it never matches an existing customer, so an unverified visitor is a customer of their own. A customer "
      "is named by id, email or phone.",
      {
          MakeCommand<ListOptions>(
              "list", "list customers, most recent contact first",
              "Lists the business's customers, most recently in contact first. --search matches part of the name, "
              "email or phone; --tag keeps those with a tag.",
              {"$ omni customers list -b demo-salon", "$ omni customers list -b demo-salon --tag vip -o json",
               "$ omni customers list -b demo-salon --search lee --limit 10"},
              [](ListOptions& o) {
                return std::vector<Option>{{"-s,--search", "part of the name, email or phone, claimed ones too", &o.search},
                                           {"-t,--tag", "only customers with this tag", &o.tag},
                                           {"--limit", "at most this many (1 to 1000, default 50)", &o.limit},
                                           {"--offset", "skip this many first", &o.offset}};
              },
              RunList),
          MakeCommand<ShowOptions>(
              "show", "show one customer",
              "Shows a customer's contact details, tags, notes, metadata, visit count and last contact.",
              {"$ omni customers show -b demo-salon ann@example.com", "$ omni customers show -b demo-salon \"555 010 2030\" -o json"},
              [](ShowOptions& o) { return std::vector<Option>{{"customer", kKeyHelp, &o.key, true}}; }, RunShow),
          MakeCommand<UpdateOptions>(
              "update", "change a customer's details, notes or metadata",
              "Changes only the fields given. --email or --phone \"\" clears it; a value another customer of the "
              "business already has is refused (exit code 6).",
              {"$ omni customers update -b demo-salon ann@example.com --notes \"prefers mornings\"",
               "$ omni customers update -b demo-salon ann@example.com --phone \"555 010 2030\" --meta source=instagram"},
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
