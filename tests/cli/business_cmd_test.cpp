// `omni business` and `omni customers` as a user runs them, against a
// throwaway database: apply created/unchanged/updated with -o json, dry
// runs, list and show, the secret only on request, exit codes for a bad
// file (3), an unknown slug (5), a taken email (6) and a missing -b (2).
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string kDemo = OMNI_SOURCE_DIR "/config/demo-salon.yaml";

struct Cli {
  omni::test::TestDatabase db;
  fs::path dir;
  std::string config_path;

  Cli() {
    std::string pattern = (fs::temp_directory_path() / "omni-business-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    config_path = (dir / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\n";
  }
  ~Cli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  omni::test::RunResult Omni(std::vector<std::string> args) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG", "NO_COLOR"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }

  // The demo file with `from` replaced by `to`, written next to the config.
  std::string EditedDemo(const std::string& from, const std::string& to) const {
    std::ifstream in(kDemo);
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const auto at = yaml.find(from);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, from.size(), to);
    const std::string path = (dir / "edited.yaml").string();
    std::ofstream(path) << yaml;
    return path;
  }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE_NOTHROW(json::parse(result.out));
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni business apply creates, then reports unchanged, then the edited fields", "[business]") {
  Cli cli;
  const json created = Parse(cli.Omni({"business", "apply", "-f", kDemo, "-o", "json"}));
  CHECK(created["action"] == "created");
  CHECK(created["slug"] == "demo-salon");
  CHECK(created["dry_run"] == false);
  CHECK(created["changes"].size() == 10);  // one per service

  const auto again = cli.Omni({"business", "apply", "-f", kDemo});
  CHECK(again.exit_code == 0);
  CHECK(again.out.empty());
  CHECK_THAT(again.err, Catch::Contains("business demo-salon unchanged"));
  CHECK(Parse(cli.Omni({"business", "apply", "-f", kDemo, "-o", "json"}))["changes"].empty());

  const std::string edited = cli.EditedDemo("price: 65.00", "price: 70.00");
  const json dry = Parse(cli.Omni({"business", "apply", "-f", edited, "--dry-run", "-o", "json"}));
  CHECK(dry["action"] == "updated");
  CHECK(dry["dry_run"] == true);
  CHECK(dry["changes"] ==
        json::parse(R"([{"field": "services[Women's haircut].price_cents", "before": "6500", "after": "7000"}])"));
  const auto price_of_haircut = [&] {
    const json shown = Parse(cli.Omni({"business", "show", "demo-salon", "-o", "json"}));
    for (const auto& s : shown["services"]) {
      if (s["name"] == "Women's haircut") return s["price_cents"].get<int>();
    }
    return -1;
  };
  CHECK(price_of_haircut() == 6500);

  const auto applied = cli.Omni({"business", "apply", "-f", edited});
  CHECK(applied.exit_code == 0);
  CHECK(applied.out == "services[Women's haircut].price_cents\t6500\t7000\n");
  CHECK_THAT(applied.err, Catch::Contains("business demo-salon updated (1 change)"));
  CHECK(price_of_haircut() == 7000);
}

TEST_CASE("omni business apply refuses services past the plan's limit whole, with exit 7", "[business]") {
  Cli cli;
  // The trial's STARTER allows the demo's 10 services; one more is refused.
  std::ofstream(cli.config_path, std::ios::app) << "plans:\n  starter:\n    services: 10\n";
  CHECK(cli.Omni({"business", "apply", "-f", kDemo}).exit_code == 0);
  std::string edited = cli.EditedDemo("name: Bella Hair Studio\n", "name: Bella Hair Salon\n");
  // The demo file ends with its services list.
  std::ofstream(edited, std::ios::app) << "  - name: Beard trim\n    duration_min: 15\n";
  for (const bool dry_run : {true, false}) {
    std::vector<std::string> args = {"business", "apply", "-f", edited};
    if (dry_run) args.push_back("--dry-run");
    const auto refused = cli.Omni(args);
    CHECK(refused.exit_code == 7);
    CHECK_THAT(refused.err, Catch::Contains("plan STARTER allows 10 active services, and this would make 11"));
  }
  const json shown = Parse(cli.Omni({"business", "show", "demo-salon", "-o", "json"}));
  CHECK(shown["name"] == "Bella Hair Studio");  // nothing half-applied
  CHECK(shown["services"].size() == 10);

  // A new business past the limit is not created at all.
  std::ofstream(cli.config_path, std::ios::app) << "billing:\n  trial_days: 0\n";
  const std::string other = cli.EditedDemo("slug: demo-salon", "slug: other-salon");
  CHECK(cli.Omni({"business", "apply", "-f", other}).exit_code == 7);
  CHECK(cli.Omni({"business", "show", "other-salon"}).exit_code == 5);
}

TEST_CASE("omni business list and show print the stored business", "[business]") {
  Cli cli;
  REQUIRE(cli.Omni({"business", "apply", "-f", kDemo}).exit_code == 0);
  const json list = Parse(cli.Omni({"business", "list", "-o", "json"}));
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 1);
  CHECK(list[0]["slug"] == "demo-salon");
  CHECK(list[0]["industry"] == "SALON");
  CHECK(list[0]["services"] == 10);

  const auto csv = cli.Omni({"business", "list", "-o", "csv"});
  CHECK(csv.out.rfind("slug,name,industry,timezone,plan,services\r\n", 0) == 0);

  const json shown = Parse(cli.Omni({"-b", "demo-salon", "business", "show", "-o", "json"}));
  CHECK(shown["timezone"] == "America/New_York");
  CHECK(shown["hours"]["mon"].empty());
  CHECK(shown["hours"]["tue"] == json::parse(R"([["09:00", "19:00"]])"));
  CHECK(shown["overrides"]["2026-12-25"].empty());
  CHECK(shown["widget"]["position"] == "bottom-right");
  CHECK(shown["services"][3]["name"] == "Blowout");
  CHECK(shown["services"][3]["aliases"] == json::parse(R"(["blow dry", "blow-dry"])"));
  CHECK_FALSE(shown.contains("widget_secret"));
  const json secret = Parse(cli.Omni({"business", "show", "demo-salon", "--show-secret", "-o", "json"}));
  CHECK(secret["widget_secret"].get<std::string>().size() == 64);
  CHECK(cli.Omni({"business", "show", "demo-salon"}).out.find(secret["widget_secret"].get<std::string>()) ==
        std::string::npos);
}

TEST_CASE("omni business exit codes: bad file 3, unknown slug 5, no slug 2", "[business]") {
  Cli cli;
  const std::string bad = (cli.dir / "bad.yaml").string();
  std::ofstream(bad) << "slug: acme\nname: Acme\ntimezone: America/New_Yrok\n";
  const auto invalid = cli.Omni({"business", "apply", "-f", bad});
  CHECK(invalid.exit_code == 3);
  CHECK_THAT(invalid.err, Catch::Contains(bad + ":3:11: timezone: unknown time zone \"America/New_Yrok\""));
  CHECK(cli.Omni({"business", "apply", "-f", (cli.dir / "missing.yaml").string()}).exit_code == 3);

  const auto unknown = cli.Omni({"business", "show", "nope"});
  CHECK(unknown.exit_code == 5);
  CHECK_THAT(unknown.err, Catch::Contains("omni business list"));
  CHECK(cli.Omni({"business", "show"}).exit_code == 2);
}

TEST_CASE("omni business apply --dry-run refuses a file that is not UTF-8 or over 1 MiB", "[business]") {
  Cli cli;
  const std::string latin1 = cli.EditedDemo("name: Bella Hair Studio", "name: Bella Caf\xE9");
  std::ifstream demo(kDemo);
  std::string line;
  int name_line = 1;
  while (std::getline(demo, line) && line.rfind("name: Bella", 0) != 0) ++name_line;
  const auto invalid = cli.Omni({"business", "apply", "-f", latin1, "--dry-run"});
  CHECK(invalid.exit_code == 3);
  CHECK_THAT(invalid.err,
             Catch::Contains(latin1 + ":" + std::to_string(name_line) + ":16: byte 0xE9 is not valid UTF-8"));

  const auto endless = cli.Omni({"business", "apply", "-f", "/dev/zero", "--dry-run"});
  CHECK(endless.exit_code == 3);
  CHECK_THAT(endless.err, Catch::Contains("business file \"/dev/zero\" is larger than the limit of 1 MiB"));
  const std::string large =
      cli.EditedDemo("slug: demo-salon", "# " + std::string(1024 * 1024, 'x') + "\nslug: demo-salon");
  const auto too_large = cli.Omni({"business", "apply", "-f", large, "--dry-run"});
  CHECK(too_large.exit_code == 3);
  CHECK_THAT(too_large.err, Catch::Contains("business file \"" + large + "\" is larger than the limit of 1 MiB"));
}

TEST_CASE("omni customers list, show, tag and update", "[customers]") {
  Cli cli;
  REQUIRE(cli.Omni({"business", "apply", "-f", kDemo}).exit_code == 0);
  omni::db::WithTransaction(cli.db.pool(), [](pqxx::work& tx) {
    tx.exec(
        "INSERT INTO customers (business_id, name, email, phone) SELECT id, 'Ann Lee', 'Ann@Example.com', "
        "'5550102030' FROM businesses; "
        "INSERT INTO customers (business_id, name, email) SELECT id, 'Bob Stone', 'bob@example.com' FROM businesses");
  });
  const auto customers = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-b", "demo-salon", "customers"});
    return cli.Omni(args);
  };
  CHECK(Parse(customers({"list", "-o", "json"})).size() == 2);
  const json ann = Parse(customers({"show", "(555) 010-2030", "-o", "json"}));
  CHECK(ann["email"] == "Ann@Example.com");

  const json tagged = Parse(customers({"tag", "ann@example.com", "VIP", "color", "-o", "json"}));
  CHECK(tagged["tags"] == json::parse(R"(["color", "vip"])"));
  const json vips = Parse(customers({"list", "--tag", "vip", "-o", "json"}));
  REQUIRE(vips.size() == 1);
  CHECK(vips[0]["id"] == ann["id"]);
  CHECK(Parse(customers({"tag", ann["id"].get<std::string>(), "color", "--remove", "-o", "json"}))["tags"] == json::parse(R"(["vip"])"));

  const json updated =
      Parse(customers({"update", "ann@example.com", "--notes", "prefers mornings", "--meta", "source=instagram", "-o", "json"}));
  CHECK(updated["notes"] == "prefers mornings");
  CHECK(updated["metadata"]["source"] == "instagram");
  CHECK(Parse(customers({"list", "--search", "stone", "-o", "json"})).size() == 1);

  CHECK(customers({"update", "bob@example.com", "--email", "ANN@example.com"}).exit_code == 6);
  CHECK(customers({"update", "bob@example.com", "--meta", "novalue"}).exit_code == 2);
  CHECK(customers({"show", "nobody@example.com"}).exit_code == 5);
  // Without -b, the only business is the default, and omni says so.
  const auto only = cli.Omni({"customers", "list"});
  CHECK(only.exit_code == 0);
  CHECK(only.err.find("using business demo-salon, the only one") != std::string::npos);
}
