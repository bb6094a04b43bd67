// The first hour with omni, as transcripts: a typo in a command gets the
// nearest command at every level, the business comes from -b, then
// $OMNI_BUSINESS, then default_business, then the only one, and the man
// pages sit where `man` finds them, from a clone and once installed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using omni::test::RunResult;

namespace {

RunResult Omni(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  omni::test::ProcessOptions options;
  options.args = std::move(args);
  options.env = std::move(env);
  options.unset_env = {"OMNI_CONFIG", "OMNI_BUSINESS"};
  return omni::test::Run(OMNI_CLI_PATH, options);
}

void AddBusiness(omni::test::TestDatabase& db, const std::string& slug) {
  omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO businesses (slug, name, timezone, email) VALUES ($1, $1, 'Europe/Paris', 'a@b.example')",
                   slug);
  });
}

}  // namespace

TEST_CASE("a mistyped command names the nearest one and exits 2, at every level", "[cli][forgiving]") {
  RunResult noun = Omni({"conversatons", "list"});
  CHECK(noun.exit_code == 2);
  CHECK(noun.err.find("omni: unknown command 'conversatons'; did you mean 'conversations'?\n") == 0);
  CHECK(noun.err.find("A subcommand is required") == std::string::npos);

  RunResult verb = Omni({"-b", "acme", "conversations", "lsit"});
  CHECK(verb.exit_code == 2);
  CHECK(verb.err.find("omni: unknown command 'lsit'; did you mean 'list'?\n") == 0);
  CHECK(verb.err.find("hint: Run `omni conversations --help` for its commands.") != std::string::npos);

  RunResult with_options = Omni({"--config", "/nonexistent.yaml", "book", "-o", "json", "slot"});
  CHECK(with_options.exit_code == 2);
  CHECK(with_options.err.find("unknown command 'slot'; did you mean 'slots'?") != std::string::npos);

  RunResult runnable_parent = Omni({"chat", "replai", "x"});
  CHECK(runnable_parent.exit_code == 2);
  CHECK(runnable_parent.err.find("unknown command 'replai'; did you mean 'replay'?") != std::string::npos);

  RunResult unrelated = Omni({"frobnicate"});
  CHECK(unrelated.exit_code == 2);
  CHECK(unrelated.err.find("omni: unknown command 'frobnicate'\n") == 0);
  CHECK(unrelated.err.find("did you mean") == std::string::npos);

  // A command's own words are arguments, not commands.
  RunResult words = Omni({"--config", "/nonexistent.yaml", "kb", "search", "conversatons"});
  CHECK(words.exit_code == 3);
  CHECK(words.err.find("unknown command") == std::string::npos);
}

TEST_CASE("-b, then $OMNI_BUSINESS, then default_business, then the only business choose the business",
          "[cli][forgiving]") {
  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  const std::string plain = dir.Write("omni.yaml", "database:\n  url: \"" + db.url() + "\"\n");
  const std::string with_default =
      dir.Write("default.yaml", "default_business: second\ndatabase:\n  url: \"" + db.url() + "\"\n");

  RunResult none = Omni({"--config", plain, "customers", "list"});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("omni: no business selected, and none exists yet") == 0);

  AddBusiness(db, "first");
  RunResult only = Omni({"--config", plain, "-o", "json", "customers", "list"});
  CHECK(only.exit_code == 0);
  CHECK(only.err.find("using business first, the only one") != std::string::npos);
  RunResult quiet = Omni({"--config", plain, "-q", "customers", "list"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());

  AddBusiness(db, "second");
  RunResult ambiguous = Omni({"--config", plain, "customers", "list"});
  CHECK(ambiguous.exit_code == 2);
  CHECK(ambiguous.err.find("omni: no business selected among 2 businesses") == 0);
  CHECK(ambiguous.err.find("OMNI_BUSINESS") != std::string::npos);

  RunResult from_config = Omni({"--config", with_default, "-o", "json", "book", "list"});
  CHECK(from_config.exit_code == 0);
  CHECK(from_config.err.find("using business") == std::string::npos);

  RunResult from_env = Omni({"--config", plain, "-o", "json", "book", "list"}, {{"OMNI_BUSINESS", "first"}});
  CHECK(from_env.exit_code == 0);
  RunResult env_unknown = Omni({"--config", with_default, "book", "list"}, {{"OMNI_BUSINESS", "nope"}});
  CHECK(env_unknown.exit_code == 5);
  CHECK(env_unknown.err.find("nope") != std::string::npos);

  RunResult flag_wins = Omni({"--config", with_default, "-b", "nope2", "book", "list"}, {{"OMNI_BUSINESS", "nope"}});
  CHECK(flag_wins.exit_code == 5);
  CHECK(flag_wins.err.find("nope2") != std::string::npos);

  RunResult config_default_unknown =
      Omni({"--config", dir.Write("bad.yaml", "default_business: gone\ndatabase:\n  url: \"" + db.url() + "\"\n"),
            "book", "list"});
  CHECK(config_default_unknown.exit_code == 5);
  CHECK(config_default_unknown.err.find("gone") != std::string::npos);
}

TEST_CASE("the man pages are where man finds them, in the clone and once installed", "[cli][forgiving]") {
  const fs::path source(OMNI_SOURCE_DIR);
  CHECK(fs::exists(source / "man" / "man1" / "omni.1"));
  CHECK(fs::exists(source / "man" / "man5" / "omni.yaml.5"));
  CHECK(fs::exists(source / "man" / "man8" / "omnid.8"));

  omni::test::ProcessOptions where;
  where.args = {"-M", (source / "man").string(), "-w", "omni"};
  RunResult found = omni::test::Run("/usr/bin/man", where);
  CHECK(found.exit_code == 0);
  CHECK(found.out == (source / "man" / "man1" / "omni.1").string() + "\n");
  where.args = {"-M", (source / "man").string(), "-w", "5", "omni.yaml"};
  CHECK(omni::test::Run("/usr/bin/man", where).out == (source / "man" / "man5" / "omni.yaml.5").string() + "\n");

  omni::test::TempDir prefix;
  omni::test::ProcessOptions install;
  install.args = {"--install", OMNI_BUILD_DIR, "--prefix", prefix.path().string()};
  RunResult installed = omni::test::Run("/usr/bin/cmake", install);
  INFO(installed.out << installed.err);
  REQUIRE(installed.exit_code == 0);
  where.args = {"-M", (prefix.path() / "share" / "man").string(), "-w", "omni"};
  CHECK(omni::test::Run("/usr/bin/man", where).out == (prefix.path() / "share" / "man" / "man1" / "omni.1").string() + "\n");
  where.args = {"-M", (prefix.path() / "share" / "man").string(), "-w", "5", "omni.yaml"};
  CHECK(omni::test::Run("/usr/bin/man", where).exit_code == 0);
}

TEST_CASE("conversations, customers and book show local times and name the business's zone", "[cli][forgiving]") {
  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  const std::string config = dir.Write("omni.yaml", "database:\n  url: \"" + db.url() + "\"\n");
  const auto omni = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config, "-b", "demo-salon"});
    return Omni(args);
  };
  REQUIRE(omni({"business", "apply", "-f", std::string(OMNI_SOURCE_DIR) + "/config/demo-salon.yaml"}).exit_code == 0);
  REQUIRE(omni({"chat", "-m", "hello", "--customer", "ann@example.com", "--name", "Ann"}).exit_code == 0);
  RunResult slots = omni({"-o", "json", "book", "slots", "--service", "Women's haircut", "--days", "14"});
  const auto parsed = nlohmann::json::parse(slots.out);
  REQUIRE(!parsed.empty());
  const std::string start_local = parsed[0]["start_local"];
  REQUIRE(omni({"book", "create", "--service", "Women's haircut", "--start", start_local, "--email",
                "ann@example.com"})
              .exit_code == 0);

  for (std::vector<std::string> command : {std::vector<std::string>{"conversations", "list"},
                                           std::vector<std::string>{"customers", "list"},
                                           std::vector<std::string>{"book", "list"}}) {
    INFO(command[0]);
    RunResult table = omni(command);
    CHECK(table.exit_code == 0);
    CHECK(table.err.find("times in America/New_York\n") != std::string::npos);
    CHECK_FALSE(std::regex_search(table.out, std::regex(R"(T\d\d:\d\d:\d\dZ)")));  // no UTC instant in a table
    command.insert(command.begin(), {"-o", "json"});
    RunResult json = omni(command);
    REQUIRE(json.exit_code == 0);
    CHECK(json.err.find("times in") == std::string::npos);
    const auto rows = nlohmann::json::parse(json.out);
    REQUIRE(!rows.empty());
    CHECK(rows[0]["time_zone"] == "America/New_York");
  }
  RunResult book_list = omni({"book", "list"});
  CHECK(book_list.out.find(start_local) != std::string::npos);
  RunResult customer = omni({"customers", "show", "ann@example.com"});
  CHECK(customer.out.find("America/New_York") != std::string::npos);
  CHECK(customer.err.find("times in America/New_York") != std::string::npos);
}
