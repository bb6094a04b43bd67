// `omni config show|check` as a user runs them: the example config passes,
// secrets from the environment never print, errors exit 3 with a location.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace fs = std::filesystem;

namespace {

struct ConfigDir {
  fs::path path;
  ConfigDir() {
    std::string pattern = (fs::temp_directory_path() / "omni-config-cmd-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~ConfigDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

omni::test::RunResult OmniConfig(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                                 const std::string& cwd = "") {
  omni::test::ProcessOptions options;
  options.args = std::move(args);
  options.env = std::move(env);
  options.unset_env = {"OMNI_CONFIG",       "OPENROUTER_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                       "OMNI_TOKEN_SECRET", "DATABASE_URL",       "OMNI_DATA_DIR"};
  options.cwd = cwd;
  return omni::test::Run(OMNI_CLI_PATH, options);
}

}  // namespace

TEST_CASE("the example config/omni.yaml passes omni config check", "[cli][config]") {
  std::string example = std::string(OMNI_SOURCE_DIR) + "/config/omni.yaml";
  auto checked = OmniConfig({"config", "check", example});
  CHECK(checked.exit_code == 0);
  CHECK(checked.out == "ok: " + example + "\n");
}

TEST_CASE("omni config check finds the file omni would use", "[cli][config]") {
  ConfigDir dir;
  auto none = OmniConfig({"config", "check"}, {}, dir.path.string());
  CHECK(none.exit_code == 0);
  CHECK(none.out == "ok: no config file found; built-in defaults apply\n");

  std::string file = dir.Write("elsewhere.yaml", "logging:\n  level: warn\n");
  auto from_env = OmniConfig({"config", "check"}, {{"OMNI_CONFIG", file}}, dir.path.string());
  CHECK(from_env.exit_code == 0);
  CHECK(from_env.out == "ok: " + file + "\n");

  auto json = OmniConfig({"-o", "json", "config", "check", file});
  REQUIRE(json.exit_code == 0);
  CHECK(nlohmann::json::parse(json.out) == nlohmann::json{{"ok", true}, {"file", file}});

  auto missing = OmniConfig({"config", "check", (dir.path / "nope.yaml").string()});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("nope.yaml") != std::string::npos);
}

TEST_CASE("omni config check reports env and value errors with exit 3", "[cli][config]") {
  ConfigDir dir;
  std::string file = dir.Write("omni.yaml", "llm:\n  api_key: ${OPENROUTER_API_KEY}\n");
  auto unset = OmniConfig({"config", "check", file});
  CHECK(unset.exit_code == 3);
  CHECK(unset.err.find(file + ":2:12: llm.api_key: environment variable OPENROUTER_API_KEY is not set") !=
        std::string::npos);
  CHECK(unset.err.find("hint: ") != std::string::npos);
  CHECK(OmniConfig({"config", "check", file}, {{"OPENROUTER_API_KEY", "sk-or-1"}}).exit_code == 0);

  std::string bad = dir.Write("bad.yaml", "kb:\n  bm25_b: 2\n");
  auto out_of_range = OmniConfig({"config", "check", bad});
  CHECK(out_of_range.exit_code == 3);
  CHECK(out_of_range.err.find(bad + ":2:11: kb.bm25_b: expected a number from 0 to 1, got 2") != std::string::npos);
}

TEST_CASE("omni config check reads no further than 1 MiB and wants UTF-8", "[cli][config]") {
  auto endless = OmniConfig({"config", "check", "/dev/zero"});
  CHECK(endless.exit_code == 3);
  CHECK(endless.err.find("config file /dev/zero is larger than the limit of 1 MiB") != std::string::npos);

  ConfigDir dir;
  std::string latin1 = dir.Write("omni.yaml", "llm:\n  app_name: Caf\xE9\n");
  auto invalid = OmniConfig({"config", "check", latin1});
  CHECK(invalid.exit_code == 3);
  CHECK(invalid.err.find(latin1 + ":2:16: byte 0xE9 is not valid UTF-8") != std::string::npos);
}

TEST_CASE("omni config show prints the effective config with secrets redacted", "[cli][config]") {
  ConfigDir dir;
  std::string file = dir.Write("omni.yaml",
                               "database:\n  url: postgresql://omni:${DB_PASSWORD}@db.example.com/omni\n"
                               "llm:\n  api_key: ${OPENROUTER_API_KEY}\nserver:\n  listen: 0.0.0.0:9090\n");
  std::map<std::string, std::string> env = {{"DB_PASSWORD", "hunter2-db"}, {"OPENROUTER_API_KEY", "sk-or-live"}};

  auto shown = OmniConfig({"--config", file, "config", "show"}, env);
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("hunter2-db") == std::string::npos);
  CHECK(shown.out.find("sk-or-live") == std::string::npos);
  CHECK(shown.out.find("url: host=db.example.com dbname=omni user=omni password=<redacted>") != std::string::npos);
  CHECK(shown.out.find("api_key: <redacted>") != std::string::npos);
  CHECK(shown.out.find("listen: 0.0.0.0:9090") != std::string::npos);
  CHECK(shown.err.find(file) != std::string::npos);

  auto json = OmniConfig({"--config", file, "-o", "json", "config", "show"}, env);
  REQUIRE(json.exit_code == 0);
  auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["llm"]["api_key"] == "<redacted>");
  CHECK(parsed["server"]["listen"] == "0.0.0.0:9090");
  CHECK(parsed["plans"]["free"]["interactions_per_month"] == 100);

  auto quiet = OmniConfig({"-q", "--config", file, "config", "show"}, env);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
}

TEST_CASE("a plan tier that does not exist stops omni at its place in the file", "[cli][config]") {
  ConfigDir dir;
  std::string file = dir.Write("omni.yaml", "plans:\n  gold:\n    documents: 5\n");
  auto checked = OmniConfig({"config", "check", file});
  CHECK(checked.exit_code == 3);
  CHECK(checked.err.find(file + ":2:3: plans.gold: unknown key") != std::string::npos);
  CHECK(checked.err.find("free, starter, professional, enterprise") != std::string::npos);

  std::string prices = dir.Write("prices.yaml", "stripe:\n  price_ids:\n    GOLD: price_x\n");
  auto shown = OmniConfig({"--config", prices, "config", "show"});
  CHECK(shown.exit_code == 3);
  CHECK(shown.err.find(prices + ":3:5: stripe.price_ids.GOLD: unknown key") != std::string::npos);
}
