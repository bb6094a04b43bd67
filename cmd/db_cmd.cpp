// `omni db migrate|status|up|down|psql`: the schema and the embedded cluster.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/common/error.hpp"
#include "core/common/exit_code.hpp"
#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"

namespace omni::cli {
namespace {

struct MigrateOptions {};
struct StatusOptions {};
struct UpOptions {};
struct DownOptions {};
struct PsqlOptions {
  std::vector<std::string> args;
};

bool External(Context& ctx) { return !ctx.Config().database.url.empty(); }

db::EmbeddedCluster EmbeddedFor(Context& ctx) { return db::EmbeddedCluster(db::EmbeddedSettings{ctx.EmbeddedDataDir()}); }

void RequireEmbedded(Context& ctx, const std::string& verb) {
  if (External(ctx)) {
    throw InvalidInput("database.url is set, so there is no embedded database to " + verb,
                       "Manage the external PostgreSQL server directly, or remove database.url to use the embedded "
                       "one.");
  }
}

int RunMigrate(Context& ctx, const MigrateOptions&) {
  auto pool = db::Open(ctx.Config(), db::OpenOptions{ctx.EmbeddedDataDir(), /*migrate=*/false});
  const auto applied = db::Migrate(*pool);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& migration : applied) rows.push_back({{"version", migration.version}, {"name", migration.name}});
  ctx.out().List({{"version", "VERSION"}, {"name", "NAME"}}, rows);
  const int version = db::AllMigrations().empty() ? 0 : db::AllMigrations().back().version;
  if (applied.empty()) {
    ctx.out().Status("schema is up to date (version " + std::to_string(version) + ")");
  } else {
    ctx.out().Status(ctx.out().Green("applied " + std::to_string(applied.size()) + " migration" +
                                     (applied.size() == 1 ? "" : "s")) +
                     "; schema is at version " + std::to_string(version));
  }
  return 0;
}

// Fills the reachable/version/migration fields of a status record.
void DescribeSchema(db::Pool& pool, nlohmann::json& record) {
  record["server_version"] = db::WithTransaction(
      pool, [](pqxx::work& tx) { return tx.exec1("SELECT current_setting('server_version')")[0].as<std::string>(); });
  const auto status = db::GetMigrationStatus(pool);
  record["reachable"] = true;
  record["current_version"] = status.current_version;
  record["latest_version"] = status.latest_version;
  record["pending"] = status.pending;
  record["up_to_date"] = db::SchemaIsCurrent(pool);
  nlohmann::json migrations = nlohmann::json::array();
  for (const auto& state : status.migrations) {
    migrations.push_back({{"version", state.version},
                          {"name", state.name},
                          {"applied", state.applied},
                          {"applied_at", state.applied ? nlohmann::json(state.applied_at) : nlohmann::json(nullptr)},
                          {"checksum_ok", state.checksum_ok},
                          {"known", state.known}});
  }
  record["migrations"] = migrations;
}

int RunStatus(Context& ctx, const StatusOptions&) {
  nlohmann::json record = {{"mode", External(ctx) ? "external" : "embedded"},
                           {"reachable", false},
                           {"server_version", nullptr},
                           {"current_version", nullptr},
                           {"latest_version", db::AllMigrations().back().version},
                           {"pending", nullptr},
                           {"up_to_date", false},
                           {"migrations", nlohmann::json::array()}};
  int exit_code = 0;
  std::unique_ptr<db::Pool> pool;
  if (External(ctx)) {
    pool = std::make_unique<db::Pool>(ctx.Config().database.url, ctx.Config().database);
    record["database"] = pool->DisplayName();
  } else {
    auto cluster = EmbeddedFor(ctx);
    const auto embedded = cluster.Status();
    record["database"] = cluster.ConnInfo(db::kEmbeddedDatabase);
    record["data_dir"] = embedded.data_dir;
    record["socket_dir"] = embedded.socket_dir;
    record["log_file"] = embedded.log_file;
    record["initialized"] = embedded.initialized;
    record["running"] = embedded.running;
    record["pid"] = embedded.running ? nlohmann::json(embedded.pid) : nlohmann::json(nullptr);
    if (embedded.running) pool = std::make_unique<db::Pool>(cluster.ConnInfo(db::kEmbeddedDatabase), ctx.Config().database);
  }
  if (pool) {
    try {
      DescribeSchema(*pool, record);
    } catch (const Unavailable& e) {
      record["error"] = e.what();
      // An external database that cannot be reached is a failed dependency;
      // a stopped embedded one is a normal state.
      if (External(ctx)) exit_code = kExitUnavailable;
    }
  }

  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json(record);
    return exit_code;
  }
  std::vector<Column> fields = {{"mode", "MODE"}, {"database", "DATABASE"}};
  if (!External(ctx)) {
    fields.insert(fields.end(), {{"data_dir", "DATA DIR"},
                                 {"socket_dir", "SOCKET DIR"},
                                 {"log_file", "LOG FILE"},
                                 {"initialized", "INITIALIZED"},
                                 {"running", "RUNNING"},
                                 {"pid", "PID"}});
  }
  fields.insert(fields.end(), {{"reachable", "REACHABLE"},
                               {"server_version", "SERVER VERSION"},
                               {"current_version", "SCHEMA VERSION"},
                               {"latest_version", "LATEST VERSION"},
                               {"pending", "PENDING"},
                               {"up_to_date", "UP TO DATE"}});
  if (record.contains("error")) fields.push_back({"error", "ERROR"});
  ctx.out().Record(fields, record);
  if (!record["migrations"].empty() && ctx.out().format() == Format::kTable) {
    ctx.out().Gap();
    ctx.out().List({{"version", "VERSION"}, {"name", "NAME"}, {"applied", "APPLIED"}, {"applied_at", "APPLIED AT"}},
                   record["migrations"]);
  }
  return exit_code;
}

int RunUp(Context& ctx, const UpOptions&) {
  RequireEmbedded(ctx, "start");
  auto cluster = EmbeddedFor(ctx);
  const bool was_running = cluster.Status().running;
  cluster.EnsureInitialized();
  cluster.Start(/*detached=*/true);
  const auto status = cluster.Status();
  nlohmann::json record = {{"data_dir", status.data_dir},   {"socket_dir", status.socket_dir},
                           {"log_file", status.log_file},   {"pid", status.pid},
                           {"already_running", was_running}, {"database", cluster.ConnInfo(db::kEmbeddedDatabase)}};
  ctx.out().Record({{"data_dir", "DATA DIR"},
                    {"socket_dir", "SOCKET DIR"},
                    {"log_file", "LOG FILE"},
                    {"pid", "PID"},
                    {"already_running", "ALREADY RUNNING"}},
                   record);
  ctx.out().Status(was_running ? "the embedded database was already running"
                               : ctx.out().Green("started the embedded database") + " (pid " +
                                     std::to_string(status.pid) + ")");
  return 0;
}

int RunDown(Context& ctx, const DownOptions&) {
  RequireEmbedded(ctx, "stop");
  auto cluster = EmbeddedFor(ctx);
  const bool stopped = cluster.Stop();
  if (ctx.out().format() == Format::kJson) {
    ctx.out().Json({{"stopped", stopped}, {"data_dir", cluster.data_dir()}});
  }
  ctx.out().Status(stopped ? "stopped the embedded database" : "the embedded database was not running");
  return 0;
}

int RunPsql(Context& ctx, const PsqlOptions& opts) {
  std::string conninfo;
  std::string psql = "psql";
  try {
    psql = db::PostgresBinDir() + "/psql";
  } catch (const Unavailable&) {
    if (!External(ctx)) throw;
  }
  if (External(ctx)) {
    conninfo = ctx.Config().database.url;
  } else {
    auto cluster = EmbeddedFor(ctx);
    cluster.EnsureInitialized();
    cluster.Start(/*detached=*/true);
    conninfo = cluster.ConnInfo(db::kEmbeddedDatabase);
  }
  std::vector<std::string> args = {psql, "-d", conninfo};
  args.insert(args.end(), opts.args.begin(), opts.args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execvp(argv[0], argv.data());
  throw Unavailable("cannot run " + psql + ": " + std::strerror(errno),
                    "Install the PostgreSQL client (apt-get install postgresql-client-15).");
}

}  // namespace

Command MakeDbCommand() {
  return MakeGroup(
      "db", "manage the database: migrations and the embedded server",
      "omni keeps its data in PostgreSQL 15. With database.url unset, it runs a private embedded cluster under "
      "database.embedded.data_dir (default ~/.local/share/omni/pg, or /var/lib/omni/pg as root), listening on a "
      "Unix socket only; any command that needs the database starts it on demand. Migrations are compiled into "
      "omni and applied by `omni db migrate` and at omnid start.",
      {
          MakeCommand<MigrateOptions>(
              "migrate", "apply pending schema migrations",
              "Applies every migration the database lacks, each in its own transaction, under a PostgreSQL "
              "advisory lock so concurrent omni and omnid processes never race. Lists what it applied (nothing "
              "when the schema is current). Fails with exit code 6 when an applied migration differs from this "
              "build's, or the database was migrated by a newer omni.",
              {"$ omni db migrate", "$ omni db migrate -o json"},
              [](MigrateOptions&) { return std::vector<Option>{}; }, RunMigrate),
          MakeCommand<StatusOptions>(
              "status", "show the database, its server and its schema version",
              "Shows whether omni uses the embedded cluster or an external database, whether the embedded server "
              "is running (with its data dir, socket and log), the server version, and which migrations are "
              "applied or pending. It never starts the embedded server. Exits 4 when an external database cannot "
              "be reached.",
              {"$ omni db status", "$ omni db status -o json"},
              [](StatusOptions&) { return std::vector<Option>{}; }, RunStatus),
          MakeCommand<UpOptions>(
              "up", "start the embedded database in the background",
              "Creates the embedded cluster on first use, starts its server in the background, and returns once "
              "it accepts connections. Does nothing when it is already running. An error when database.url is "
              "set.",
              {"$ omni db up"}, [](UpOptions&) { return std::vector<Option>{}; }, RunUp),
          MakeCommand<DownOptions>(
              "down", "stop the embedded database",
              "Stops the embedded server with a fast shutdown (open sessions are disconnected, committed data is "
              "kept). Does nothing when it is not running. An error when database.url is set.",
              {"$ omni db down"}, [](DownOptions&) { return std::vector<Option>{}; }, RunDown),
          MakeCommand<PsqlOptions>(
              "psql", "open psql on the configured database",
              "Runs psql connected to omni's database: the external database.url, or the embedded cluster, "
              "started on demand. Arguments after -- go to psql.",
              {"$ omni db psql", "$ omni db psql -- -c 'SELECT slug, name FROM businesses'"},
              [](PsqlOptions& opts) {
                return std::vector<Option>{{"args", "Arguments passed to psql (after --)", &opts.args}};
              },
              RunPsql),
      });
}

}  // namespace omni::cli
