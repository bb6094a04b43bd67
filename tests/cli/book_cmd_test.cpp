// `omni book` as a user runs it, against a throwaway database: slots in
// local time with UTC in JSON, create (local or ISO-8601 start), a taken
// slot (exit 6 with alternatives), bad input exit codes, the life cycle,
// and the .ics read back by python3-icalendar.
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

struct BookCli {
  omni::test::TestDatabase db;
  fs::path dir;
  std::string config_path;
  std::string day;  // a local date a week ahead, open 09:00-17:00

  BookCli() {
    std::string pattern = (fs::temp_directory_path() / "omni-book-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    config_path = (dir / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\n";
    auto today = omni::booking::LocalDate(omni::DefaultClock().Now(), kTz);
    day = omni::booking::FormatDate(std::chrono::year_month_day{std::chrono::sys_days{today} + std::chrono::days{7}});
    omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      std::string open = R"([["09:00","17:00"]])";
      std::string weekly = "{";
      for (const char* name : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
        weekly += std::string(weekly.size() > 1 ? "," : "") + "\"" + name + "\":" + open;
      }
      weekly += "}";
      std::string id = tx.exec_params(
                             "INSERT INTO businesses (slug, name, timezone, email, weekly_hours, min_notice_min, "
                             "phone_region) VALUES ('acme', 'Acme Salon', $1, 'desk@acme.example', $2::jsonb, 0, 'US') "
                             "RETURNING id::text",
                             std::string(kTz), weekly)[0][0]
                           .as<std::string>();
      tx.exec_params(
          "INSERT INTO services (business_id, name, duration_min, buffer_after_min)"
          " VALUES ($1::uuid, 'Women''s haircut', 60, 10)",
          id);
    });
  }
  ~BookCli() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  omni::test::RunResult Omni(std::vector<std::string> args) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path, "-b", "acme"};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }

  std::string Utc(const std::string& local_time) const {
    return omni::booking::FormatUtc(omni::booking::ParseStartTime(day + " " + local_time, kTz));
  }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_NOTHROW(json::parse(result.out));
  return json::parse(result.out);
}

// What python3-icalendar reads from `ics`.
json ReadIcs(const std::string& ics) {
  omni::test::ProcessOptions options;
  options.args = {"-c",
                  "import sys, json, icalendar\n"
                  "cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())\n"
                  "ev = list(cal.walk('VEVENT'))[0]\n"
                  "print(json.dumps({'method': str(cal['METHOD']), 'status': str(ev['STATUS']),\n"
                  "  'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),\n"
                  "  'start': ev.decoded('DTSTART').isoformat(), 'summary': str(ev['SUMMARY'])}))\n"};
  options.stdin_data = ics;
  auto result = omni::test::Run("/usr/bin/python3", options);
  INFO("python3-icalendar: " << result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni book: slots, create, taken slot, life cycle and ics", "[cli][booking]") {
  BookCli cli;
  auto slots = Parse(cli.Omni({"-o", "json", "book", "slots", "--service", "women's haircut", "--date", cli.day}));
  REQUIRE(slots.size() == 15);
  CHECK(slots[0]["start_local"] == cli.day + " 09:00");
  CHECK(slots[0]["start_utc"] == cli.Utc("09:00"));
  CHECK(slots[0]["end_utc"] == cli.Utc("10:00"));
  CHECK(slots[0]["time_zone"] == kTz);
  auto table = cli.Omni({"book", "slots", "--service", "Women's haircut", "--date", cli.day, "--days", "2"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find(cli.day + " 16:00\t" + cli.day + " 17:00\n") != std::string::npos);

  auto created = cli.Omni({"-o", "json", "book", "create", "--service", "Women's haircut", "--start",
                           cli.day + " 10:00", "--name", "Ann Lee", "--email", "ann@example.com"});
  REQUIRE(created.exit_code == 0);
  auto appointment = Parse(created);
  CHECK(appointment["outcome"] == "booked");
  CHECK(appointment["status"] == "scheduled");
  CHECK(appointment["start_utc"] == cli.Utc("10:00"));
  CHECK(appointment["start_local"] == cli.day + " 10:00");
  const std::string id = appointment["id"];

  // The same time given as ISO-8601 in UTC is the same slot: taken.
  auto taken = cli.Omni({"-o", "json", "book", "create", "--service", "Women's haircut", "--start",
                         cli.Utc("10:30"), "--email", "bob@example.com"});
  CHECK(taken.exit_code == 6);
  auto outcome = Parse(taken);
  CHECK(outcome["outcome"] == "slot_taken");
  REQUIRE(outcome["alternatives"].size() == 3);
  CHECK(outcome["alternatives"][0]["start_local"] == cli.day + " 11:30");
  CHECK(taken.err.find("slot taken") != std::string::npos);

  auto list = Parse(cli.Omni({"-o", "json", "book", "list", "--from", cli.day, "--customer", "ann@example.com"}));
  REQUIRE(list.size() == 1);
  CHECK(list[0]["id"] == id);
  CHECK(Parse(cli.Omni({"-o", "json", "book", "show", id}))["customer_name"] == "Ann Lee");

  auto moved = cli.Omni({"-o", "json", "book", "reschedule", id, "--start", cli.day + " 14:00"});
  REQUIRE(moved.exit_code == 0);
  CHECK(Parse(moved)["sequence"] == 1);
  CHECK(Parse(cli.Omni({"-o", "json", "book", "confirm", id}))["status"] == "confirmed");

  auto live = ReadIcs(cli.Omni({"book", "ics", id}).out);
  CHECK(live["method"] == "REQUEST");
  CHECK(live["uid"] == id + "@omni");
  CHECK(live["sequence"] == 1);
  CHECK(live["summary"] == "Women's haircut at Acme Salon");

  CHECK(Parse(cli.Omni({"-o", "json", "book", "cancel", id, "--reason", "ill"}))["status"] == "canceled");
  auto cancelled = ReadIcs(cli.Omni({"book", "ics", id}).out);
  CHECK(cancelled["method"] == "CANCEL");
  CHECK(cancelled["status"] == "CANCELLED");
  CHECK(cancelled["sequence"] == 2);
  CHECK(cancelled["uid"] == id + "@omni");

  CHECK(cli.Omni({"book", "complete", id}).exit_code == 6);
  CHECK(cli.Omni({"book", "no-show", id}).exit_code == 6);
}

TEST_CASE("omni book: a customer's phone is booked in E.164, found in any format and shown as the business reads it",
          "[cli][booking][phone]") {
  BookCli cli;
  auto created = cli.Omni({"-o", "json", "book", "create", "--service", "Women's haircut", "--start",
                           cli.day + " 10:00", "--name", "Ann Lee", "--phone", "312.555.0100"});
  REQUIRE(created.exit_code == 0);
  const auto appointment = Parse(created);
  CHECK(appointment["customer_phone"] == "+13125550100");
  const std::string id = appointment["id"];
  const auto shown = cli.Omni({"book", "show", id});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("(312) 555-0100") != std::string::npos);
  CHECK(shown.out.find("+13125550100") == std::string::npos);
  const auto found = Parse(cli.Omni({"-o", "json", "book", "list", "--customer", "+1 (312) 555-0100"}));
  REQUIRE(found.size() == 1);
  CHECK(found[0]["id"] == id);
  const auto bad = cli.Omni({"book", "create", "--service", "Women's haircut", "--start", cli.day + " 12:00",
                             "--phone", "312 555 010"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("invalid phone number \"312 555 010\": too few digits for a US number") != std::string::npos);
}

TEST_CASE("omni book: bad input gets a clear error, the right exit code, and changes nothing", "[cli][booking]") {
  BookCli cli;
  auto create = [&](const std::string& service, const std::string& start) {
    return cli.Omni({"book", "create", "--service", service, "--start", start, "--email", "ann@example.com"});
  };
  auto malformed = create("Women's haircut", cli.day + " 25:00");
  CHECK(malformed.exit_code == 2);
  CHECK(malformed.err.find("invalid start time") != std::string::npos);
  auto unknown = create("Balayage", cli.day + " 10:00");
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.err.find("unknown service \"Balayage\"") != std::string::npos);
  auto outside = create("Women's haircut", cli.day + " 16:30");
  CHECK(outside.exit_code == 2);
  CHECK(outside.err.find("outside the opening hours") != std::string::npos);
  auto past = create("Women's haircut", "2020-01-07 10:00");
  CHECK(past.exit_code == 2);
  CHECK(past.err.find("in the past") != std::string::npos);
  CHECK(cli.Omni({"book", "slots", "--service", "Women's haircut", "--date", "2026-02-30"}).exit_code == 2);
  CHECK(cli.Omni({"book", "list", "--from", cli.day, "--to", "2020-01-01"}).exit_code == 2);
  CHECK(cli.Omni({"book", "show", "not-an-id"}).exit_code == 2);
  CHECK(cli.Omni({"book", "show", "00000000-0000-0000-0000-000000000000"}).exit_code == 5);
  CHECK(Parse(cli.Omni({"-o", "json", "book", "list"})).empty());
}

TEST_CASE("omni book: chairs book in parallel, --resource picks or filters one", "[cli][booking]") {
  BookCli cli;
  omni::db::WithTransaction(cli.db.pool(), [](pqxx::work& tx) {
    tx.exec("INSERT INTO resources (business_id, name) SELECT id, 'Chair 2' FROM businesses WHERE slug = 'acme'");
    tx.exec("INSERT INTO resources (business_id, name) SELECT id, 'Chair 1' FROM businesses WHERE slug = 'acme'");
  });
  auto create = [&](const std::string& email, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-o", "json", "book", "create", "--service", "Women's haircut", "--start",
                                     cli.day + " 10:00", "--email", email};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli.Omni(args);
  };
  auto starts = [&](const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-o", "json", "book", "slots", "--service", "Women's haircut", "--date", cli.day};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<std::string> out;
    for (const json& slot : Parse(cli.Omni(args))) out.push_back(slot["start_local"].get<std::string>().substr(11));
    return out;
  };
  auto has = [](const std::vector<std::string>& list, const std::string& start) {
    return std::find(list.begin(), list.end(), start) != list.end();
  };

  auto on_two = create("ann@example.com", {"--resource", "chair 2"});
  REQUIRE(on_two.exit_code == 0);
  CHECK(Parse(on_two)["resource"] == "Chair 2");
  CHECK(has(starts(), "10:00"));
  CHECK_FALSE(has(starts({"--resource", "Chair 2"}), "10:00"));
  CHECK(has(starts({"--resource", "Chair 1"}), "10:00"));

  auto first_free = create("bob@example.com");
  REQUIRE(first_free.exit_code == 0);
  CHECK(Parse(first_free)["resource"] == "Chair 1");
  CHECK_FALSE(has(starts(), "10:00"));
  CHECK(create("cy@example.com").exit_code == 6);

  auto unknown = cli.Omni({"book", "slots", "--service", "Women's haircut", "--date", cli.day, "--resource", "Sofa"});
  CHECK(unknown.exit_code == 5);
  CHECK(unknown.err.find("unknown resource \"Sofa\"") != std::string::npos);

  // Both chairs are taken at 10:00: Ann's move to chair 1 is refused, her
  // move to chair 1 an hour later is made.
  const std::string ann = Parse(on_two)["id"].get<std::string>();
  auto refused = cli.Omni({"book", "reschedule", ann, "--start", cli.day + " 10:00", "--resource", "Chair 1"});
  CHECK(refused.exit_code == 6);
  auto moved =
      cli.Omni({"-o", "json", "book", "reschedule", ann, "--start", cli.day + " 11:30", "--resource", "chair 1"});
  REQUIRE(moved.exit_code == 0);
  CHECK(Parse(moved)["resource"] == "Chair 1");
}

TEST_CASE("omni book slots: no free start says why", "[cli][booking]") {
  BookCli cli;
  const auto shifted = [&](int days) {
    auto today = omni::booking::LocalDate(omni::DefaultClock().Now(), kTz);
    return omni::booking::FormatDate(
        std::chrono::year_month_day{std::chrono::sys_days{today} + std::chrono::days{days}});
  };
  const std::string closed_day = shifted(8);
  const std::string short_day = shifted(9);
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE businesses SET date_overrides = jsonb_build_object($1::text, '[]'::jsonb, $2::text,"
                   " '[[\"09:00\",\"10:00\"]]'::jsonb) WHERE slug = 'acme'",
                   closed_day, short_day);
  });
  const auto reason = [&](const std::string& date) {
    auto run = cli.Omni({"book", "slots", "--service", "Women's haircut", "--date", date});
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.empty());
    const auto colon = run.err.rfind(": ");
    return colon == std::string::npos ? run.err : run.err.substr(colon + 2);
  };
  CHECK(reason(closed_day) == "closed that day\n");
  CHECK(reason(shifted(-3)) == "in the past\n");
  CHECK(reason(shifted(100)) == "beyond the 60-day booking window\n");
  auto one = cli.Omni({"book", "slots", "--service", "Women's haircut", "--date", short_day});
  CHECK(one.out == short_day + " 09:00\t" + short_day + " 10:00\n");
  CHECK(one.err.find("1 free start for") != std::string::npos);

  REQUIRE(cli.Omni({"book", "create", "--service", "Women's haircut", "--start", short_day + " 09:00", "--email",
                    "ann@example.com"})
              .exit_code == 0);
  CHECK(reason(short_day) == "fully booked\n");
  auto two_days = cli.Omni({"book", "slots", "--service", "Women's haircut", "--date", closed_day, "--days", "2"});
  CHECK(two_days.err.find("0 free starts") != std::string::npos);
  CHECK(two_days.err.find("closed those days") == std::string::npos);
  CHECK(two_days.err.find("fully booked") != std::string::npos);
}
