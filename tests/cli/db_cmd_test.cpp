// `omni db up|down|status|migrate|psql` on the embedded cluster, as a user
// runs them: one cluster in a temp dir, driven only through the binary.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/db/migrations.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;

namespace {

// A config whose embedded data dir lives in a fresh temp dir. As root the
// cluster runs as `postgres`, which must be able to traverse the dir.
struct EmbeddedConfig {
  fs::path dir;
  fs::path file;
  EmbeddedConfig() {
    char pattern[] = "/tmp/omni-dbcmd-XXXXXX";
    dir = ::mkdtemp(pattern);
    fs::permissions(dir, fs::perms::others_exec, fs::perm_options::add);
    file = dir / "omni.yaml";
    std::ofstream(file) << "database:\n  embedded:\n    data_dir: " << (dir / "pg").string() << "\n";
  }
  ~EmbeddedConfig() {
    omni::test::Run(OMNI_CLI_PATH, {.args = {"--config", file.string(), "db", "down"}});
    std::error_code error;
    fs::remove_all(dir, error);
  }
};

omni::test::RunResult Omni(const EmbeddedConfig& config, std::vector<std::string> args) {
  args.insert(args.begin(), {"--config", config.file.string()});
  return omni::test::Run(OMNI_CLI_PATH, {.args = args, .unset_env = {"OMNI_CONFIG", "PGHOST", "PGDATABASE"}});
}

}  // namespace

TEST_CASE("omni db up, status, psql and down manage the embedded cluster", "[db][cli]") {
  EmbeddedConfig config;

  auto before = Omni(config, {"-o", "json", "db", "status"});
  REQUIRE(before.exit_code == 0);
  auto status = nlohmann::json::parse(before.out);
  CHECK(status["mode"] == "embedded");
  CHECK(status["initialized"] == false);
  CHECK(status["running"] == false);
  CHECK(status["reachable"] == false);
  CHECK(status["data_dir"] == (config.dir / "pg").string());

  auto up = Omni(config, {"-o", "json", "db", "up"});
  REQUIRE(up.exit_code == 0);
  CHECK(nlohmann::json::parse(up.out)["already_running"] == false);
  CHECK_THAT(up.err, Catch::Contains("started the embedded database"));

  auto again = Omni(config, {"-o", "json", "db", "up"});
  CHECK(again.exit_code == 0);
  CHECK(nlohmann::json::parse(again.out)["already_running"] == true);
  CHECK_THAT(again.err, Catch::Contains("already running"));

  auto migrate = Omni(config, {"-o", "json", "db", "migrate"});
  REQUIRE(migrate.exit_code == 0);
  const auto applied = nlohmann::json::parse(migrate.out);
  REQUIRE(applied.size() == omni::db::AllMigrations().size());
  CHECK(applied[0]["version"] == 1);
  CHECK(applied[0]["name"] == "core_schema");
  auto migrate_again = Omni(config, {"-o", "json", "db", "migrate"});
  CHECK(migrate_again.exit_code == 0);
  CHECK(nlohmann::json::parse(migrate_again.out).empty());
  CHECK_THAT(migrate_again.err, Catch::Contains("schema is up to date"));

  auto running = Omni(config, {"-o", "json", "db", "status"});
  REQUIRE(running.exit_code == 0);
  status = nlohmann::json::parse(running.out);
  CHECK(status["running"] == true);
  CHECK(status["reachable"] == true);
  CHECK(status["pending"] == 0);
  CHECK(status["up_to_date"] == true);
  CHECK(status["pid"].get<int>() > 0);
  CHECK(status["migrations"].size() == omni::db::AllMigrations().size());
  CHECK_THAT(status["server_version"].get<std::string>(), Catch::StartsWith("15."));

  auto psql = Omni(config, {"db", "psql", "--", "-A", "-t", "-c", "SELECT count(*) FROM schema_migrations"});
  CHECK(psql.exit_code == 0);
  CHECK(psql.out == std::to_string(omni::db::AllMigrations().size()) + "\n");

  auto down = Omni(config, {"db", "down"});
  CHECK(down.exit_code == 0);
  CHECK_THAT(down.err, Catch::Contains("stopped the embedded database"));
  auto down_again = Omni(config, {"db", "down"});
  CHECK(down_again.exit_code == 0);
  CHECK_THAT(down_again.err, Catch::Contains("was not running"));
  auto stopped = Omni(config, {"-o", "json", "db", "status"});
  CHECK(nlohmann::json::parse(stopped.out)["running"] == false);

  // Any command that needs the database starts it on demand.
  auto on_demand = Omni(config, {"db", "migrate"});
  CHECK(on_demand.exit_code == 0);
  CHECK(nlohmann::json::parse(Omni(config, {"-o", "json", "db", "status"}).out)["running"] == true);
}

TEST_CASE("omni db up and down refuse when database.url is set", "[db][cli]") {
  omni::test::TestDatabase db;
  EmbeddedConfig config;
  std::ofstream(config.file) << "database:\n  url: \"" << db.url() << "\"\n";
  for (const char* verb : {"up", "down"}) {
    auto result = Omni(config, {"db", verb});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::StartsWith("omni: database.url is set"));
  }
  auto status = Omni(config, {"-o", "json", "db", "status"});
  REQUIRE(status.exit_code == 0);
  const auto parsed = nlohmann::json::parse(status.out);
  CHECK(parsed["mode"] == "external");
  CHECK(parsed["up_to_date"] == true);
  CHECK(parsed.contains("data_dir") == false);
}
