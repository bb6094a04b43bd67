// The omni binary as a user runs it: help, exit codes, output formats, and
// the man page staying in step with the command tree.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db/migrations.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using omni::test::Run;
using omni::test::RunResult;

namespace {

using omni::test::TempDir;

// Runs omni with no inherited OMNI_CONFIG, in `cwd`, so that no stray
// ./omni.yaml or environment changes what a test sees.
RunResult Omni(std::vector<std::string> args, const std::string& cwd = "") {
  omni::test::ProcessOptions options;
  options.args = std::move(args);
  options.unset_env = {"OMNI_CONFIG", "NO_COLOR"};
  options.cwd = cwd;
  return Run(OMNI_CLI_PATH, options);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> LeafCommands() {
  RunResult listed = Omni({"--list-commands"});
  REQUIRE(listed.exit_code == 0);
  std::vector<std::string> commands;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) commands.push_back(line.substr(0, line.find('\t')));
  return commands;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> words;
  std::istringstream in(path);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// A config whose database is the harness's throwaway one.
std::string DatabaseConfig(const omni::test::TestDatabase& db) {
  return "database:\n  url: \"" + db.url() + "\"\n";
}

}  // namespace

TEST_CASE("omni --help lists the nouns, the exit codes and examples", "[cli]") {
  RunResult help = Omni({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("config") != std::string::npos);
  CHECK(help.out.find("db") != std::string::npos);
  CHECK(help.out.find("Exit status") != std::string::npos);
  CHECK(help.out.find("$ omni") != std::string::npos);
}

TEST_CASE("every command has help with examples and appears in the man page", "[cli]") {
  const std::string man = ReadFile(fs::path(OMNI_SOURCE_DIR) / "man" / "man1" / "omni.1");
  const std::vector<std::string> commands = LeafCommands();
  REQUIRE(commands.size() >= 5);
  for (const auto& command : commands) {
    INFO("omni " << command);
    std::vector<std::string> args = Split(command);
    args.push_back("--help");
    RunResult help = Omni(args);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
    CHECK(help.out.find("$ omni " + command) != std::string::npos);
    std::string roff_name = command;
    std::string escaped;
    for (char c : roff_name) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
    CHECK(man.find(".SS \"omni " + escaped + "\"") != std::string::npos);
  }
}

TEST_CASE("man/man1/omni.1 is what omni --man-page generates", "[cli]") {
  RunResult generated = Omni({"--man-page"});
  REQUIRE(generated.exit_code == 0);
  INFO("man/man1/omni.1 is stale: run scripts/gen-man.sh");
  CHECK(generated.out == ReadFile(fs::path(OMNI_SOURCE_DIR) / "man" / "man1" / "omni.1"));
}

TEST_CASE("usage errors exit 2", "[cli]") {
  CHECK(Omni({}).exit_code == 2);
  CHECK(Omni({"no-such-command"}).exit_code == 2);
  CHECK(Omni({"config", "show", "--no-such-flag"}).exit_code == 2);
  RunResult bad_format = Omni({"-o", "yaml", "config", "show"});
  CHECK(bad_format.exit_code == 2);
  CHECK(bad_format.err.find("yaml") != std::string::npos);
}

TEST_CASE("an invalid config exits 3 and names file, line and column", "[cli]") {
  TempDir dir;
  fs::path file = dir.Write("omni.yaml", "database:\n  url: postgresql://x/y\ndatabse:\n  url: z\n");
  RunResult checked = Omni({"config", "check", file.string()});
  CHECK(checked.exit_code == 3);
  CHECK(checked.err.find("omni.yaml:3:1") != std::string::npos);
  CHECK(checked.err.find("databse") != std::string::npos);

  RunResult via_flag = Omni({"--config", file.string(), "config", "show"});
  CHECK(via_flag.exit_code == 3);

  RunResult missing = Omni({"--config", (dir.path() / "nope.yaml").string(), "config", "show"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("nope.yaml") != std::string::npos);
}

TEST_CASE("./omni.yaml is found and a valid file passes config check", "[cli]") {
  TempDir dir;
  dir.Write("omni.yaml", "server:\n  listen: 127.0.0.1:9999\nlogging:\n  level: debug\n");
  RunResult checked = Omni({"config", "check"}, dir.path().string());
  CHECK(checked.exit_code == 0);
  RunResult shown = Omni({"-o", "json", "config", "show"}, dir.path().string());
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("9999") != std::string::npos);
}

TEST_CASE("an unreachable database exits 4 with the reason", "[cli]") {
  TempDir dir;
  fs::path file = dir.Write(
      "omni.yaml", "database:\n  url: \"postgresql:///omni?host=" + (dir.path() / "nosocket").string() +
                       "\"\n  connect_timeout_ms: 2000\n");
  RunResult status = Omni({"--config", file.string(), "db", "migrate"});
  CHECK(status.exit_code == 4);
  CHECK(status.err.find("omni: ") == 0);
}

TEST_CASE("an unreachable database is named in errors without its password", "[cli]") {
  TempDir dir;
  const std::string socket_dir = (dir.path() / "nosocket").string();
  fs::path file = dir.Write("omni.yaml", "database:\n  url: \"postgresql://shop_user@/shopdb?host=" + socket_dir +
                                             "&password=Cl1-s3cret-pw\"\n  connect_timeout_ms: 2000\n");
  RunResult listed = Omni({"--config", file.string(), "business", "list"});
  CHECK(listed.exit_code == 4);
  CHECK(listed.err.find("Cl1-s3cret-pw") == std::string::npos);
  CHECK(listed.err.find("omni: could not connect to database host=" + socket_dir +
                        " dbname=shopdb user=shop_user password=<redacted>: ") == 0);
}

TEST_CASE("db migrate and db status against a real database, as table and json", "[cli]") {
  omni::test::TestDatabase db(omni::test::TestDatabaseOptions{.migrated = false});
  TempDir dir;
  fs::path file = dir.Write("omni.yaml", DatabaseConfig(db));
  RunResult migrated = Omni({"--config", file.string(), "db", "migrate"});
  CHECK(migrated.exit_code == 0);
  RunResult again = Omni({"--config", file.string(), "db", "migrate"});
  CHECK(again.exit_code == 0);
  RunResult status = Omni({"--config", file.string(), "-o", "json", "db", "status"});
  REQUIRE(status.exit_code == 0);
  nlohmann::json parsed = nlohmann::json::parse(status.out);
  CHECK(parsed.is_object());
}

TEST_CASE("an ordinary command migrates a schema that is behind and then finds it current", "[cli]") {
  omni::test::TestDatabase db(omni::test::TestDatabaseOptions{.migrated = false});
  auto all_but_last = omni::db::AllMigrations();
  all_but_last.pop_back();
  omni::db::Migrate(db.pool(), all_but_last);
  TempDir dir;
  fs::path file = dir.Write("omni.yaml", DatabaseConfig(db));

  RunResult listed = Omni({"--config", file.string(), "-o", "json", "business", "list"});
  REQUIRE(listed.exit_code == 0);
  CHECK(omni::db::GetMigrationStatus(db.pool()).up_to_date());
  RunResult again = Omni({"--config", file.string(), "-o", "json", "business", "list"});
  CHECK(again.exit_code == 0);
  CHECK(omni::db::GetMigrationStatus(db.pool()).up_to_date());
}
