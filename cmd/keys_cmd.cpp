// `omni keys create|list|revoke`: Bearer API keys for the operator API.
#include <chrono>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/operators/keys.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CreateOptions {
  std::string name;
  std::string role = "agent";
};
struct ListOptions {
  bool all = false;
};
struct RevokeOptions {
  std::string key;
};

const std::vector<Column> kKeyColumns = {{"name", "NAME"},         {"role", "ROLE"},
                                         {"prefix", "PREFIX"},     {"created_at", "CREATED"},
                                         {"last_used_at", "LAST USED"}, {"id", "ID"}};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }
Json Time(const std::optional<TimePoint>& t) { return t ? Json(Utc(*t)) : Json(nullptr); }

Json KeyJson(const operators::ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"role", operators::RoleName(key.role)},
          {"prefix", key.prefix},
          {"created_at", Utc(key.created_at)},
          {"last_used_at", Time(key.last_used_at)},
          {"revoked_at", Time(key.revoked_at)}};
}

std::string BusinessId(Context& ctx) { return business::FindId(ctx.Database(), ctx.RequireBusiness()); }

int RunCreate(Context& ctx, const CreateOptions& opts) {
  const auto role = operators::ParseRole(opts.role);
  const auto created = operators::CreateKey(ctx.Database(), BusinessId(ctx), opts.name, role, DefaultClock().Now());
  Json record = KeyJson(created.key);
  record["key"] = created.secret;
  std::vector<Column> fields = {{"key", "KEY"}};
  fields.insert(fields.end(), kKeyColumns.begin(), kKeyColumns.end());
  ctx.out().Record(fields, record);
  ctx.out().Status(ctx.out().Green("created") + " key " + created.key.prefix + " (" + operators::RoleName(role) +
                   "): store it now, it is not shown again. Send it as \"Authorization: Bearer <key>\".");
  return 0;
}

int RunList(Context& ctx, const ListOptions& opts) {
  Json rows = Json::array();
  for (const auto& key : operators::ListKeys(ctx.Database(), BusinessId(ctx), opts.all)) rows.push_back(KeyJson(key));
  std::vector<Column> columns = kKeyColumns;
  if (opts.all) columns.insert(columns.end() - 1, Column{"revoked_at", "REVOKED"});
  ctx.out().List(columns, rows);
  if (rows.empty()) ctx.out().Status("no API keys: create one with `omni keys create`");
  return 0;
}

int RunRevoke(Context& ctx, const RevokeOptions& opts) {
  const auto key = operators::RevokeKey(ctx.Database(), BusinessId(ctx), opts.key, DefaultClock().Now());
  ctx.out().Record(kKeyColumns, KeyJson(key));
  ctx.out().Status(ctx.out().Green("revoked") + " key " + key.prefix + " (" + key.name + "): it no longer works");
  return 0;
}

}  // namespace

Command MakeKeysCommand() {
  return MakeGroup(
      "keys", "create, list and revoke API keys for the operator API",
      "API keys of the business chosen with -b. A key is a Bearer credential for omnid's operator API "
      "(/v1/console/...), acting with its role within the business: owner, admin or agent, as for users. A key "
      "starts with omk_ and its prefix (the first 16 characters) names it in lists; the whole key is printed "
      "once at creation and only its hash is stored.",
      {
          MakeCommand<CreateOptions>(
              "create", "create a key and print it once",
              "Creates a key with a name (unique among the business's active keys) and a role (default agent), "
              "and prints it. Store it at once: it cannot be shown again.",
              {"$ omni keys create -b demo-salon --name zapier --role admin",
               "$ omni keys create -b demo-salon --name inbox-bot -o json"},
              [](CreateOptions& o) {
                return std::vector<Option>{{"--name", "what uses the key, e.g. zapier", &o.name, true},
                                           {"--role", "owner, admin or agent (default agent)", &o.role}};
              },
              RunCreate),
          MakeCommand<ListOptions>(
              "list", "list the business's keys",
              "Lists the keys, newest first: name, role, prefix, creation time and last use (to the minute). "
              "--all adds revoked keys.",
              {"$ omni keys list -b demo-salon", "$ omni keys list -b demo-salon --all -o json"},
              [](ListOptions& o) { return std::vector<Option>{{"--all", "include revoked keys", &o.all}}; }, RunList),
          MakeCommand<RevokeOptions>(
              "revoke", "revoke a key",
              "Revokes the key named by its id, prefix or name; it stops working at once, on every omnid.",
              {"$ omni keys revoke omk_3kq9z0c1m2xa -b demo-salon", "$ omni keys revoke zapier -b demo-salon"},
              [](RevokeOptions& o) { return std::vector<Option>{{"key", "key id, prefix or name", &o.key, true}}; },
              RunRevoke),
      });
}

}  // namespace omni::cli
