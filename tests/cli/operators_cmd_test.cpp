// `omni users` and `omni keys` as a user runs them, against a throwaway
// database: set-password links and --password-stdin, the plan's operator
// limit (exit 7), the last owner (exit 6), a bad role (exit 2), another
// business's user and key ids (exit 5), -o json and csv, and a key printed
// once and never listed.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/db/pqxx.hpp"
#include "core/operators/keys.hpp"
#include "core/operators/sessions.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Cli {
  omni::test::TestDatabase db;
  fs::path dir;
  std::string config_path;

  Cli() {
    std::string pattern = (fs::temp_directory_path() / "omni-operators-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    config_path = (dir / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url()
                               << "\"\nserver:\n  public_url: https://desk.example.com/\n"
                               << "billing:\n  trial_days: 0\n";  // each business has its own plan
    for (const auto& [slug, plan] : {std::pair{"salon", "STARTER"}, {"rival", "STARTER"}, {"tiny", "FREE"}}) {
      auto spec = omni::business::ParseBusinessSpec(
          std::string("slug: ") + slug + "\nname: N\ntimezone: UTC\nplan: " + plan + "\n", "t.yaml");
      omni::business::Apply(db.pool(), spec);
    }
  }
  ~Cli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  omni::test::RunResult Omni(std::vector<std::string> args, const std::string& stdin_data = "") const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG", "NO_COLOR"};
    options.stdin_data = stdin_data;
    return omni::test::Run(OMNI_CLI_PATH, options);
  }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni users add prints a set-password link, or takes the password from stdin", "[cli][operators]") {
  Cli cli;
  const json invited = Parse(cli.Omni({"users", "add", "maria@example.com", "-b", "salon", "--role", "owner",
                                       "--name", "Maria", "-o", "json"}));
  CHECK(invited["role"] == "OWNER");
  CHECK(invited["status"] == "invited");
  const std::string link = invited["set_password_link"];
  CHECK(link.rfind("https://desk.example.com/console/set-password#token=omp_", 0) == 0);
  CHECK_FALSE(invited["link_expires_at"].get<std::string>().empty());

  const json active =
      Parse(cli.Omni({"users", "add", "sam@example.com", "-b", "salon", "--password-stdin", "-o", "json"},
                     "correct horse battery\n"));
  CHECK(active["status"] == "active");
  CHECK(active["role"] == "AGENT");
  CHECK_FALSE(active.contains("set_password_link"));
  const auto login = omni::operators::Login(cli.db.pool(), {"salon", "sam@example.com", "correct horse battery", "1"},
                                            {}, omni::DefaultClock().Now());
  CHECK(login.outcome == omni::operators::LoginResult::Outcome::kSignedIn);

  const auto short_password =
      cli.Omni({"users", "add", "lee@example.com", "-b", "salon", "--password-stdin"}, "short\n");
  CHECK(short_password.exit_code == 2);
  CHECK(short_password.err.find("password is too short") != std::string::npos);
  CHECK(short_password.err.find("short\n") == std::string::npos);
  CHECK(cli.Omni({"users", "add", "sam@EXAMPLE.com", "-b", "salon"}).exit_code == 6);
  CHECK(cli.Omni({"users", "add", "x@example.com", "-b", "salon", "--role", "root"}).exit_code == 2);

  const auto csv = cli.Omni({"users", "list", "-b", "salon", "-o", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.rfind("id,email,name,role,status,handoff_alerts,last_login_at,created_at\r\n", 0) == 0);
  const json listed = Parse(cli.Omni({"users", "list", "-b", "salon", "-o", "json"}));
  REQUIRE(listed.size() == 2);
  CHECK(listed[0]["email"] == "maria@example.com");  // owners first
  CHECK(listed[1]["last_login_at"].is_string());
}

TEST_CASE("omni users enforces the plan's operator limit and keeps an owner", "[cli][operators]") {
  Cli cli;
  Parse(cli.Omni({"users", "add", "owner@example.com", "-b", "tiny", "--role", "owner", "-o", "json"}));
  const auto over = cli.Omni({"users", "add", "agent@example.com", "-b", "tiny"});
  CHECK(over.exit_code == 7);
  CHECK(over.err.find("plan FREE allows 1 operator") != std::string::npos);
  const auto last = cli.Omni({"users", "rm", "owner@example.com", "-b", "tiny"});
  CHECK(last.exit_code == 6);
  CHECK(last.err.find("only owner") != std::string::npos);
  CHECK(cli.Omni({"users", "role", "owner@example.com", "agent", "-b", "tiny"}).exit_code == 6);
}

TEST_CASE("omni users role, passwd and rm, and another business's users are not found", "[cli][operators]") {
  Cli cli;
  Parse(cli.Omni({"users", "add", "owner@example.com", "-b", "salon", "--role", "owner", "-o", "json"}));
  const json ann = Parse(cli.Omni({"users", "add", "ann@example.com", "-b", "salon", "-o", "json"}));
  const json theirs = Parse(cli.Omni({"users", "add", "them@example.com", "-b", "rival", "--role", "owner", "-o", "json"}));

  CHECK(Parse(cli.Omni({"users", "role", "ANN@example.com", "admin", "-b", "salon", "-o", "json"}))["role"] == "ADMIN");
  const json reset = Parse(cli.Omni({"users", "passwd", ann["id"], "-b", "salon", "-o", "json"}));
  CHECK(reset["email"] == "ann@example.com");
  CHECK(reset["set_password_link"].get<std::string>().find("#token=omp_") != std::string::npos);
  CHECK(reset["set_password_link"] != ann["set_password_link"]);
  CHECK(Parse(cli.Omni({"users", "passwd", "ann@example.com", "-b", "salon", "--password-stdin", "-o", "json"},
                       "a long new password\r\n"))["status"] == "active");

  for (const std::string& key : {theirs["id"].get<std::string>(), std::string("them@example.com")}) {
    INFO(key);
    CHECK(cli.Omni({"users", "rm", key, "-b", "salon"}).exit_code == 5);
    CHECK(cli.Omni({"users", "role", key, "agent", "-b", "salon"}).exit_code == 5);
    CHECK(cli.Omni({"users", "passwd", key, "-b", "salon"}).exit_code == 5);
  }
  CHECK(Parse(cli.Omni({"users", "rm", "ann@example.com", "-b", "salon", "-o", "json"}))["id"] == ann["id"]);
  CHECK(Parse(cli.Omni({"users", "list", "-b", "salon", "-o", "json"})).size() == 1);
  CHECK(Parse(cli.Omni({"users", "list", "-b", "rival", "-o", "json"})).size() == 1);
  CHECK(cli.Omni({"users", "list"}).exit_code == 2);  // no -b
}

TEST_CASE("omni users alerts opts a user in to handoff e-mails and out again, in their business only",
          "[cli][operators]") {
  Cli cli;
  const json ann = Parse(cli.Omni({"users", "add", "ann@example.com", "-b", "salon", "-o", "json"}));
  const json theirs = Parse(cli.Omni({"users", "add", "them@example.com", "-b", "rival", "-o", "json"}));
  CHECK(ann["handoff_alerts"] == false);

  const auto on = cli.Omni({"users", "alerts", "ANN@example.com", "on", "-b", "salon"});
  CHECK(on.exit_code == 0);
  CHECK(on.err.find("ann@example.com gets an e-mail at each handoff, once they have set their password") !=
        std::string::npos);
  CHECK(Parse(cli.Omni({"users", "list", "-b", "salon", "-o", "json"}))[0]["handoff_alerts"] == true);
  const std::string csv = cli.Omni({"users", "list", "-b", "salon", "-o", "csv"}).out;
  CHECK(csv.rfind("id,email,name,role,status,handoff_alerts,", 0) == 0);
  CHECK(csv.find(",ann@example.com,,AGENT,invited,true,") != std::string::npos);
  CHECK(Parse(cli.Omni({"users", "alerts", ann["id"], "off", "-b", "salon", "-o", "json"}))["handoff_alerts"] == false);

  const auto bad = cli.Omni({"users", "alerts", "ann@example.com", "maybe", "-b", "salon"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("invalid state \"maybe\": expected on or off") != std::string::npos);
  for (const std::string& key : {theirs["id"].get<std::string>(), std::string("them@example.com")}) {
    INFO(key);
    CHECK(cli.Omni({"users", "alerts", key, "on", "-b", "salon"}).exit_code == 5);
  }
  CHECK(Parse(cli.Omni({"users", "list", "-b", "rival", "-o", "json"}))[0]["handoff_alerts"] == false);
}

TEST_CASE("omni keys prints a key once, lists it by prefix and revokes it", "[cli][operators]") {
  Cli cli;
  const auto created = cli.Omni({"keys", "create", "-b", "salon", "--name", "zapier", "--role", "admin", "-o", "json"});
  const json key = Parse(created);
  const std::string secret = key["key"];
  CHECK(secret.rfind("omk_", 0) == 0);
  CHECK(secret.rfind(key["prefix"].get<std::string>() + "_", 0) == 0);
  CHECK(key["role"] == "ADMIN");
  CHECK(created.err.find("not shown again") != std::string::npos);
  REQUIRE(omni::operators::AuthenticateKey(cli.db.pool(), secret, omni::DefaultClock().Now()));

  const auto list = cli.Omni({"keys", "list", "-b", "salon", "-o", "json"});
  const json listed = Parse(list);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["name"] == "zapier");
  CHECK(listed[0]["prefix"] == key["prefix"]);
  CHECK(listed[0]["last_used_at"].is_string());
  CHECK(list.out.find(secret) == std::string::npos);
  const auto table = cli.Omni({"keys", "list", "-b", "salon", "-o", "csv"});
  CHECK(table.out.rfind("name,role,prefix,created_at,last_used_at,id\r\n", 0) == 0);
  CHECK(table.out.find(secret) == std::string::npos);

  CHECK(cli.Omni({"keys", "create", "-b", "salon", "--name", "zapier"}).exit_code == 6);
  CHECK(cli.Omni({"keys", "create", "-b", "salon", "--name", "x", "--role", "god"}).exit_code == 2);
  CHECK(cli.Omni({"keys", "create", "-b", "salon"}).exit_code == 2);
  const json rival = Parse(cli.Omni({"keys", "create", "-b", "rival", "--name", "theirs", "-o", "json"}));
  CHECK(cli.Omni({"keys", "revoke", rival["id"], "-b", "salon"}).exit_code == 5);
  CHECK(cli.Omni({"keys", "revoke", rival["prefix"], "-b", "salon"}).exit_code == 5);

  CHECK(Parse(cli.Omni({"keys", "revoke", key["prefix"], "-b", "salon", "-o", "json"}))["revoked_at"].is_string());
  CHECK_FALSE(omni::operators::AuthenticateKey(cli.db.pool(), secret, omni::DefaultClock().Now()));
  CHECK(Parse(cli.Omni({"keys", "list", "-b", "salon", "-o", "json"})).empty());
  CHECK(Parse(cli.Omni({"keys", "list", "-b", "salon", "--all", "-o", "json"})).size() == 1);
  CHECK(omni::operators::AuthenticateKey(cli.db.pool(), rival["key"], omni::DefaultClock().Now()));
}
