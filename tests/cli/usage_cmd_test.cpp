// `omni usage` as an operator runs it, against a throwaway database: every
// business or one, the plan and why, limits with used/limit/percent,
// warnings, meter events, --period, -o json/csv, and its exit codes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;

namespace {

struct UsageCli {
  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  std::string config_path;

  UsageCli() {
    config_path = (dir.path() / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\n"
                               << "plans:\n  starter:\n    interactions_per_month: 5\n";
    Sql("INSERT INTO businesses (slug, name, timezone) VALUES ('acme', 'Acme Salon', 'America/New_York'),"
        " ('beta', 'Beta Spa', 'UTC')");
  }

  void Sql(const std::string& sql) const {
    omni::db::WithTransaction(const_cast<omni::test::TestDatabase&>(db).pool(), [&](pqxx::work& tx) { tx.exec(sql); });
  }

  omni::test::RunResult Omni(std::vector<std::string> args) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }

  json Json(std::vector<std::string> args) const {
    const auto result = Omni(std::move(args));
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.out);
  }
};

}  // namespace

TEST_CASE("omni usage shows each business's plan, limits, warnings and meter events", "[usage]") {
  UsageCli cli;
  // acme used 4 of its trial's 5 interactions this month (80%: warned), and
  // has one meter event of each outcome; beta used nothing.
  cli.Sql(
      "INSERT INTO usage_periods (business_id, period_start, metric, quantity)"
      " SELECT id, date_trunc('month', now() AT TIME ZONE 'America/New_York')::date, 'interactions', 4"
      " FROM businesses WHERE slug = 'acme'");
  cli.Sql(
      "INSERT INTO usage_warnings (business_id, period_start, metric, threshold_percent, plan_tier, used, limit_value)"
      " SELECT id, date_trunc('month', now() AT TIME ZONE 'America/New_York')::date, 'interactions', 80, 'STARTER',"
      " 4, 5 FROM businesses WHERE slug = 'acme'");
  cli.Sql(
      "INSERT INTO jobs (queue, business_id, state, run_at) SELECT 'stripe.meter_events', id, s, now()"
      " FROM businesses, unnest(ARRAY['PENDING', 'DONE', 'DONE', 'DEAD']) s WHERE slug = 'acme'");

  const json all = cli.Json({"usage", "-o", "json"});
  REQUIRE(all.size() == 2);
  const json& acme = all[0];
  CHECK(acme["business"] == "acme");
  CHECK(acme["plan"] == "STARTER");
  CHECK(acme["plan_source"] == "trial");
  CHECK(acme["subscription_status"] == "NONE");
  CHECK(acme["trial_ends_at"].is_string());
  CHECK(acme["period"]["kind"] == "calendar_month");
  CHECK(acme["limits"][0] == json::parse(R"({"metric": "interactions", "used": 4, "limit": 5, "percent": 80})"));
  CHECK(acme["limits"][2]["metric"] == "documents");
  CHECK(acme["limits"][2]["limit"] == 50);
  REQUIRE(acme["warnings"].size() == 1);
  CHECK(acme["warnings"][0]["threshold_percent"] == 80);
  CHECK(acme["meter_events"] == json::parse(R"({"pending": 1, "sent": 2, "failed": 1})"));
  CHECK(all[1]["business"] == "beta");
  CHECK(all[1]["limits"][0]["used"] == 0);
  CHECK(all[1]["warnings"].empty());
  CHECK(all[1]["meter_events"]["sent"] == 0);

  // One business with -b; the previous period has none of this month's use.
  const json beta = cli.Json({"-b", "beta", "usage", "-o", "json"});
  REQUIRE(beta.size() == 1);
  CHECK(beta[0]["business"] == "beta");
  const json previous = cli.Json({"-b", "acme", "usage", "--period", "previous", "-o", "json"});
  CHECK(previous[0]["limits"][0]["used"] == 0);
  CHECK(previous[0]["warnings"].empty());

  // A subscription past its grace is FREE.
  cli.Sql("UPDATE businesses SET subscription_status = 'PAST_DUE', plan_tier = 'PROFESSIONAL',"
          " past_due_since = now() - interval '8 days' WHERE slug = 'beta'");
  CHECK(cli.Json({"-b", "beta", "usage", "-o", "json"})[0]["plan"] == "FREE");

  const auto table = cli.Omni({"usage"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("acme\tSTARTER (trial)\tNONE\t") == 0);
  CHECK(table.out.find("\t4/5 80%\t") != std::string::npos);
  CHECK(table.out.find("interactions 80%") != std::string::npos);
  const auto csv = cli.Omni({"usage", "-o", "csv"});
  CHECK(csv.out.find("interactions_used,interactions_limit,interactions_percent") != std::string::npos);
  CHECK(csv.out.find(",4,5,80,") != std::string::npos);
}

TEST_CASE("omni usage exit codes: unknown business 5, bad period 2 or invalid input", "[usage]") {
  UsageCli cli;
  CHECK(cli.Omni({"-b", "nobody", "usage"}).exit_code == 5);
  const auto bad = cli.Omni({"-b", "acme", "usage", "--period", "last-week"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("period: \"last-week\" is not current, previous or a month YYYY-MM") != std::string::npos);
  CHECK(cli.Omni({"-b", "acme", "usage", "--period", "2999-01"}).exit_code == 2);
  CHECK(cli.Omni({"-b", "acme", "usage", "--period", "2026-01", "-o", "json"}).exit_code == 0);
}
