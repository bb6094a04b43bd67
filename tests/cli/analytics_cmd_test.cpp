// `omni analytics` as a user runs it, against a throwaway database with
// hand-built conversations: the summary with the period before, trends with
// zero rows, the conversations export read back by Python's csv module, and
// exit codes for bad input and another business.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/booking/local_time.hpp"
#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kTz = "America/New_York";

struct AnalyticsCli {
  omni::test::TestDatabase db;
  fs::path dir;
  std::string config_path;
  std::string shop_id;
  std::string other_id;

  AnalyticsCli() {
    std::string pattern = (fs::temp_directory_path() / "omni-analytics-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    config_path = (dir / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\n";
    omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      shop_id = tx.exec_params1("INSERT INTO businesses (slug, name, timezone) VALUES ('acme', 'Acme', $1)"
                                " RETURNING id::text",
                                std::string(kTz))[0]
                    .as<std::string>();
      other_id = tx.exec_params1("INSERT INTO businesses (slug, name, timezone) VALUES ('other', 'Other', $1)"
                                 " RETURNING id::text",
                                 std::string(kTz))[0]
                     .as<std::string>();
    });
  }
  ~AnalyticsCli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // `count` conversations of `business` started `days_ago` local days
  // before today at 10:00, each with a visitor message and a reply 30 s
  // later; a comment with a comma, a quote and a newline on the first.
  void Conversations(const std::string& business, int count, int days_ago) {
    const auto today = omni::booking::LocalDate(omni::DefaultClock().Now(), kTz);
    const auto day = std::chrono::year_month_day{std::chrono::sys_days{today} - std::chrono::days{days_ago}};
    const auto start = omni::booking::FormatUtc(omni::booking::ParseStartTime(omni::booking::FormatDate(day) + " 10:00", kTz));
    omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      tx.exec_params(
          "WITH c AS (INSERT INTO conversations (business_id, created_at, status, resolved_at, resolved_by)"
          " SELECT $1::uuid, $2::timestamptz, 'RESOLVED', $2::timestamptz + interval '5 minutes', 'AI'"
          " FROM generate_series(1, $3) RETURNING id)"
          " INSERT INTO messages (business_id, conversation_id, role, content, created_at)"
          " SELECT $1::uuid, c.id, r.role, 'hello', $2::timestamptz + r.delay FROM c,"
          " (VALUES ('USER', interval '0 s'), ('ASSISTANT', interval '30 s')) r(role, delay)",
          business, start, count);
      // As chat::RateByVisitor stores it: the rating, and its score on the conversation.
      tx.exec_params(
          "WITH r AS (INSERT INTO csat_ratings (business_id, conversation_id, score, comment)"
          " SELECT $1::uuid, id, 5, E'great, \"really\"\\nthanks' FROM conversations WHERE business_id = $1::uuid"
          " ORDER BY created_at DESC LIMIT 1 ON CONFLICT DO NOTHING RETURNING conversation_id, score)"
          " UPDATE conversations c SET csat_score = r.score FROM r WHERE c.id = r.conversation_id",
          business);
    });
  }

  omni::test::RunResult Omni(std::vector<std::string> args, const std::string& slug = "acme") const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path, "-b", slug};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE_NOTHROW(json::parse(result.out));
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni analytics summary shows the range against the period before", "[cli][analytics]") {
  AnalyticsCli cli;
  cli.Conversations(cli.shop_id, 6, 2);
  cli.Conversations(cli.shop_id, 3, 9);   // the week before
  cli.Conversations(cli.other_id, 50, 2);  // another business
  const auto summary = Parse(cli.Omni({"-o", "json", "analytics", "summary", "--since", "7d"}));
  CHECK(summary["time_zone"] == kTz);
  const auto& metrics = summary["metrics"];
  CHECK(metrics["conversations"]["value"] == 6);
  CHECK(metrics["conversations"]["previous"] == 3);
  CHECK(metrics["conversations"]["change"] == 3);
  CHECK(metrics["conversations"]["change_pct"] == 100);
  CHECK(metrics["first_response_mean_s"]["value"] == 30);
  CHECK(metrics["ai_resolution_rate"]["value"] == 1);
  CHECK(metrics["csat_response_rate"]["value"].get<double>() == Approx(1.0 / 6));
  CHECK(metrics["handoffs_plan_limit"]["value"] == 0);

  const auto table = cli.Omni({"analytics", "summary", "--from",
                               summary["range"]["from"].get<std::string>(), "--to",
                               summary["range"]["to"].get<std::string>()});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("conversations\t6\t3\t+3 (100.0%)") != std::string::npos);

  CHECK(cli.Omni({"analytics", "summary", "--since", "soon"}).exit_code == 2);
  CHECK(cli.Omni({"analytics", "summary", "--since", "7d", "--from", "2026-01-01"}).exit_code == 2);
  CHECK(cli.Omni({"analytics", "summary", "--from", "2026-02-01", "--to", "2026-01-01"}).exit_code == 2);
  CHECK(cli.Omni({"analytics", "summary"}, "nobody").exit_code == 5);
}

TEST_CASE("omni analytics trends gives a row per local day, zeros included", "[cli][analytics]") {
  AnalyticsCli cli;
  cli.Conversations(cli.shop_id, 4, 1);
  const auto rows = Parse(cli.Omni({"-o", "json", "analytics", "trends", "--metric", "conversations", "--since", "5d"}));
  REQUIRE(rows.size() == 5);
  CHECK(rows[3]["value"] == 4);
  CHECK(rows[0]["value"] == 0);
  CHECK(rows[4]["value"] == 0);
  CHECK(rows[4]["bucket"] == omni::booking::FormatDate(omni::booking::LocalDate(omni::DefaultClock().Now(), kTz)));
  // A business-hours duration rests on the day's conversations that have one.
  const auto resolution =
      Parse(cli.Omni({"-o", "json", "analytics", "trends", "--metric", "resolution_business_time", "--since", "5d"}));
  REQUIRE(resolution.size() == 5);
  CHECK(resolution[3]["count"] == 4);
  CHECK(resolution[0]["count"] == 0);
  CHECK(cli.Omni({"analytics", "trends", "--metric", "vibes"}).exit_code == 2);
  CHECK(cli.Omni({"analytics", "trends", "--metric", "conversations", "--by", "year"}).exit_code == 2);
}

TEST_CASE("omni analytics conversations streams CSV that Python's csv module reads row for row", "[cli][analytics]") {
  AnalyticsCli cli;
  cli.Conversations(cli.shop_id, 1203, 3);
  cli.Conversations(cli.shop_id, 2, 40);  // outside the range
  cli.Conversations(cli.other_id, 7, 3);
  const auto csv = cli.Omni({"-o", "csv", "analytics", "conversations", "--since", "30d"});
  REQUIRE(csv.exit_code == 0);
  omni::test::ProcessOptions python;
  python.args = {"-c",
                 "import sys, csv, json\n"
                 "rows = list(csv.DictReader(sys.stdin))\n"
                 "rated = [r for r in rows if r['csat_score']]\n"
                 "print(json.dumps({'rows': len(rows), 'columns': list(rows[0].keys()),\n"
                 "  'comment': rated[0]['csat_comment'], 'first_response': rows[0]['first_response_s'],\n"
                 "  'ids': len(set(r['id'] for r in rows))}))\n"};
  python.stdin_data = csv.out;
  const auto read = omni::test::Run("/usr/bin/python3", python);
  INFO(read.err);
  REQUIRE(read.exit_code == 0);
  const auto parsed = json::parse(read.out);
  CHECK(parsed["rows"] == 1203);
  CHECK(parsed["ids"] == 1203);
  CHECK(parsed["comment"] == "great, \"really\"\nthanks");
  CHECK(parsed["first_response"] == "30.0");
  const std::vector<std::string> columns = parsed["columns"];
  for (const char* column : {"id", "channel", "customer_id", "started_at", "ended_at", "messages_in", "messages_out",
                             "first_response_s", "handoff_reason", "handoff_at", "first_human_reply_at",
                             "resolved_by", "resolution_s", "appointment_ids", "prompt_tokens", "cost_usd",
                             "csat_score", "tags"}) {
    CHECK(std::find(columns.begin(), columns.end(), column) != columns.end());
  }
  CHECK(csv.err.find("1203 conversations") != std::string::npos);

  const auto as_json = Parse(cli.Omni({"-o", "json", "analytics", "conversations", "--since", "30d"}));
  CHECK(as_json.size() == 1203);
  CHECK(as_json[0]["resolved_by"] == "AI");
}
