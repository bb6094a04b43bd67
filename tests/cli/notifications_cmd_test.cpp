// `omni notifications list` as a user runs it, with omnid running the
// notifications worker: without e-mail a booking's confirmation is recorded
// as NOT_SENT and listed; with email.smtp_url pointing at a local aiosmtpd
// sink omnid sends it; another business sees none of it.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/booking/local_time.hpp"
#include "core/common/clock.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTz = "America/New_York";

struct NotifyCli {
  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  std::string config_path;
  std::string day;

  explicit NotifyCli(const std::string& email_section = "") {
    config_path = (dir.path() / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\nserver:\n  listen: 127.0.0.1:0\n"
                               << email_section;
    auto today = omni::booking::LocalDate(omni::DefaultClock().Now(), kTz);
    day = omni::booking::FormatDate(std::chrono::year_month_day{std::chrono::sys_days{today} + std::chrono::days{7}});
    omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      std::string weekly = "{";
      for (const char* name : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
        weekly += std::string(weekly.size() > 1 ? "," : "") + "\"" + name + "\":[[\"09:00\",\"17:00\"]]";
      }
      weekly += "}";
      for (const std::string slug : {"acme", "other"}) {
        std::string id = tx.exec_params(
                               "INSERT INTO businesses (slug, name, timezone, email, weekly_hours, min_notice_min)"
                               " VALUES ($1, 'Acme Salon', $2, 'desk@acme.example', $3::jsonb, 0) RETURNING id::text",
                               slug, std::string(kTz), weekly)[0][0]
                             .as<std::string>();
        tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, 'Cut', 60)", id);
      }
    });
  }

  omni::test::RunResult Omni(const std::string& business, std::vector<std::string> args) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", config_path, "-b", business};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }

  json List(const std::string& business) const {
    auto result = Omni(business, {"-o", "json", "notifications", "list"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.out);
  }

  // Waits until the confirmation is no longer pending.
  json WaitHandled() const {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      json list = List("acme");
      for (const auto& n : list) {
        if (n["kind"] == "confirmation" && n["status"] != "PENDING") return n;
      }
      if (std::chrono::steady_clock::now() > deadline) return list;
      std::this_thread::sleep_for(100ms);
    }
  }
};

omni::test::Process StartOmnid(const std::string& config_path) {
  omni::test::Process omnid(OMNID_PATH, {.args = {"--config", config_path}});
  const bool started = omnid.WaitForStdout("omnid listening on", 60s);
  INFO(omnid.Stderr());
  REQUIRE(started);
  return omnid;
}

}  // namespace

TEST_CASE("omni notifications list: queued, then recorded by omnid without e-mail", "[cli][notify]") {
  NotifyCli cli;
  auto created = cli.Omni("acme", {"-o", "json", "book", "create", "--service", "Cut", "--start", cli.day + " 10:00",
                                   "--name", "Ann Lee", "--email", "ann@example.com"});
  REQUIRE(created.exit_code == 0);
  json queued = cli.List("acme");
  REQUIRE(queued.size() == 3);
  for (const auto& n : queued) CHECK(n["status"] == "PENDING");
  CHECK(queued[0]["kind"] == "confirmation");
  auto table = cli.Omni("acme", {"notifications", "list"});
  CHECK(table.out.find("confirmation\tPENDING") != std::string::npos);

  auto omnid = StartOmnid(cli.config_path);
  json handled = cli.WaitHandled();
  INFO(handled.dump() << "\n" << omnid.Stderr());
  CHECK(handled["status"] == "NOT_SENT");
  CHECK(handled["recipient"] == "ann@example.com");
  CHECK(handled["subject"] == "Confirmed: Cut at Acme Salon");

  CHECK(cli.List("other").empty());
  CHECK(cli.Omni("other", {"notifications", "list"}).err.find("no notifications yet") != std::string::npos);
  CHECK(cli.Omni("nobody", {"notifications", "list"}).exit_code == 5);
}

TEST_CASE("omnid sends the confirmation through the configured SMTP server", "[cli][notify][smtp]") {
  omni::test::SmtpSink sink;
  NotifyCli cli("email:\n  smtp_url: " + sink.url() + "\n  from: \"Omni <notify@omni.example>\"\n  starttls: off\n");
  auto omnid = StartOmnid(cli.config_path);
  auto created = cli.Omni("acme", {"-o", "json", "book", "create", "--service", "Cut", "--start", cli.day + " 11:00",
                                   "--name", "Zoë", "--email", "zoe@example.com"});
  REQUIRE(created.exit_code == 0);
  const std::string id = json::parse(created.out)["id"];
  REQUIRE(sink.WaitForMessages(1, 20000));
  const std::string message = sink.Messages()[0];
  CHECK(message.find("Content-Type: multipart/alternative;") != std::string::npos);
  CHECK(message.find("method=REQUEST") != std::string::npos);
  json handled = cli.WaitHandled();
  CHECK(handled["status"] == "SENT");
  CHECK(handled["appointment_id"] == id);
}

TEST_CASE("omni jobs list, cancel and retry, scoped by -b", "[cli][jobs]") {
  NotifyCli cli;
  REQUIRE(cli.Omni("acme", {"book", "create", "--service", "Cut", "--start", cli.day + " 10:00", "--email",
                            "ann@example.com"})
              .exit_code == 0);
  auto listed = cli.Omni("acme", {"-o", "json", "jobs", "list", "--queue", "notify.mail"});
  REQUIRE(listed.exit_code == 0);
  json jobs = json::parse(listed.out);
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0]["state"] == "PENDING");
  CHECK(jobs[0]["payload"].contains("appointment_id"));
  const std::string id = std::to_string(jobs[0]["id"].get<long long>());
  CHECK(json::parse(cli.Omni("other", {"-o", "json", "jobs", "list"}).out).empty());
  CHECK(cli.Omni("other", {"jobs", "cancel", id}).exit_code == 5);
  CHECK(cli.Omni("acme", {"jobs", "retry", id}).exit_code == 6);
  auto canceled = cli.Omni("acme", {"-o", "json", "jobs", "cancel", id});
  REQUIRE(canceled.exit_code == 0);
  CHECK(json::parse(canceled.out)["state"] == "CANCELED");
  CHECK(cli.Omni("acme", {"jobs", "cancel", id}).exit_code == 6);
  CHECK(json::parse(cli.Omni("acme", {"-o", "json", "jobs", "list", "--state", "canceled"}).out).size() == 1);
  auto retried = cli.Omni("acme", {"-o", "json", "jobs", "retry", id});
  REQUIRE(retried.exit_code == 0);
  CHECK(json::parse(retried.out)["state"] == "PENDING");
  CHECK(cli.Omni("acme", {"jobs", "retry", "x1"}).exit_code == 2);
  CHECK(cli.Omni("acme", {"jobs", "list", "--state", "stuck"}).exit_code == 2);
}

TEST_CASE("two omnid on one database send each confirmation once", "[cli][notify][smtp]") {
  omni::test::SmtpSink sink;
  NotifyCli cli("email:\n  smtp_url: " + sink.url() + "\n  from: \"Omni <notify@omni.example>\"\n  starttls: off\n");
  constexpr int kBookings = 8;
  for (int i = 0; i < kBookings; ++i) {
    const std::string hour = (i < 1 ? "0" : "") + std::to_string(9 + i) + ":00";
    REQUIRE(cli.Omni("acme", {"book", "create", "--service", "Cut", "--start", cli.day + " " + hour, "--email",
                              "c" + std::to_string(i) + "@example.com"})
                .exit_code == 0);
  }
  auto first = StartOmnid(cli.config_path);
  auto second = StartOmnid(cli.config_path);
  REQUIRE(sink.WaitForMessages(kBookings, 30000));
  std::this_thread::sleep_for(2s);
  const auto messages = sink.Messages();
  CHECK(messages.size() == kBookings);
  std::set<std::string> recipients;
  for (const auto& message : messages) {
    const auto at = message.find("\nTo: ");
    recipients.insert(message.substr(at, message.find('\n', at + 1) - at));
  }
  CHECK(recipients.size() == kBookings);
}
