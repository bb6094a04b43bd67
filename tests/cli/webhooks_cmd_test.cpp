// `omni webhooks` as a user runs it, with omnid delivering to a receiver
// on 127.0.0.1 (tests/http/webhook_receiver) that verifies each delivery
// with the standardwebhooks npm package: add prints the secret once and
// list only its prefix, a booking's events arrive signed, deliveries and
// replay, disable and enable keeping the secret, test with
// webhooks.timeout_ms against a hanging receiver, rm,
// private targets refused without webhooks.allow_private_targets,
// rotate-secret with deliveries verifying under both secrets during the
// overlap, and another business's endpoint and delivery ids refused
// everywhere.
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
#include "tests/support/http_test_client.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTz = "America/New_York";
const std::string kReceiverDir = std::string(OMNI_SOURCE_DIR) + "/tests/http/webhook_receiver";
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/cPQHQ9ruY8=";
const std::string kNewSecret = "whsec_3Xk1v5u8yC0o9bHq2m7RZt4aWfLJpNdE6sKiGcVxTQo=";

struct WebhooksCli {
  omni::test::TestDatabase db;
  omni::test::TempDir dir;
  std::string config_path;
  std::string strict_config_path;
  std::string day;

  WebhooksCli() {
    config_path = (dir.path() / "omni.yaml").string();
    strict_config_path = (dir.path() / "strict.yaml").string();
    const std::string common = "database:\n  url: \"" + db.url() + "\"\nserver:\n  listen: 127.0.0.1:0\n";
    std::ofstream(config_path) << common << "webhooks:\n  timeout_ms: 500\n  allow_private_targets: true\n";
    std::ofstream(strict_config_path) << common;
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

  omni::test::RunResult Omni(const std::string& business, std::vector<std::string> args, bool strict = false) const {
    omni::test::ProcessOptions options;
    options.args = {"--config", strict ? strict_config_path : config_path, "-b", business};
    options.args.insert(options.args.end(), args.begin(), args.end());
    options.unset_env = {"OMNI_CONFIG"};
    return omni::test::Run(OMNI_CLI_PATH, options);
  }

  json Json(const std::string& business, std::vector<std::string> args) const {
    args.insert(args.begin(), {"-o", "json"});
    auto result = Omni(business, args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return json::parse(result.out);
  }
};

struct Receiver {
  // `more_secrets`: also verified under these, in each delivery's verified_by.
  explicit Receiver(const std::string& more_secrets = "") {
    INFO("node or tests/http/webhook_receiver/node_modules is missing: scripts/test.sh installs them with npm ci");
    REQUIRE(std::filesystem::exists(kReceiverDir + "/node_modules/standardwebhooks/package.json"));
    process = std::make_unique<omni::test::Process>(
        "/usr/bin/env", omni::test::ProcessOptions{.args = {"node", "receiver.mjs"},
                                                   .env = {{"WEBHOOK_SECRET", kSecret},
                                                           {"WEBHOOK_MORE_SECRETS", more_secrets}},
                                                   .cwd = kReceiverDir});
    REQUIRE(process->WaitForStdout("}", 20s));
    port = static_cast<std::uint16_t>(json::parse(process->Stdout())["port"].get<int>());
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
  json Log() const { return json::parse(omni::test::HttpGet(port, "/log").body); }
  // Waits until `count` deliveries have arrived.
  json WaitFor(std::size_t count) const {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      json log = Log();
      if (log.size() >= count || std::chrono::steady_clock::now() > deadline) return log;
      std::this_thread::sleep_for(50ms);
    }
  }

  std::unique_ptr<omni::test::Process> process;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("omni webhooks: add, list, a booking delivered by omnid and verified, deliveries, replay, test, rm",
          "[cli][webhooks]") {
  WebhooksCli cli;
  Receiver receiver;
  json added = cli.Json("acme", {"webhooks", "add", receiver.Url("/ok/acme"), "--secret", kSecret, "--events",
                                 "appointment.created,customer.created"});
  const std::string endpoint = added["id"];
  CHECK(added["secret"] == kSecret);
  CHECK(added["events"] == json::array({"appointment.created", "customer.created"}));
  json generated = cli.Json("other", {"webhooks", "add", receiver.Url("/ok/other")});
  CHECK(generated["secret"].get<std::string>().rfind("whsec_", 0) == 0);
  CHECK(generated["events"].size() == 9);

  // The secret is never listed again, only its prefix.
  auto table = cli.Omni("acme", {"webhooks", "list"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find(kSecret) == std::string::npos);
  CHECK(table.out.find(kSecret.substr(0, 10) + "...") != std::string::npos);
  json listed = cli.Json("acme", {"webhooks", "list"});
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["state"] == "enabled");
  CHECK(listed[0].dump().find(kSecret) == std::string::npos);

  // History past webhooks.delivery_retention_days (30 by default) that omnid prunes when it starts.
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO webhook_deliveries (business_id, endpoint_id, event_id, event_type, attempt,"
                   " duration_ms, created_at) SELECT business_id, id, 'evt_old', 'customer.created', 1, 5,"
                   " now() - interval '31 days' FROM webhook_endpoints WHERE id = $1::uuid",
                   endpoint);
    tx.exec("INSERT INTO jobs (queue, state, run_at, finished_at) VALUES ('webhooks.delivery', 'DONE',"
            " now() - interval '31 days', now() - interval '31 days')");
  });
  omni::test::Process omnid(OMNID_PATH, {.args = {"--config", cli.config_path}});
  REQUIRE(omnid.WaitForStdout("omnid listening on", 60s));
  REQUIRE(cli.Omni("acme", {"book", "create", "--service", "Cut", "--start", cli.day + " 10:00", "--name", "Ann Lee",
                            "--email", "ann@example.com"})
              .exit_code == 0);
  json log = receiver.WaitFor(2);
  INFO(log.dump() << "\n" << omnid.Stderr());
  REQUIRE(log.size() == 2);
  std::set<std::string> types;
  for (const auto& entry : log) {
    CHECK(entry["verified"] == true);
    CHECK(entry["path"] == "/ok/acme");
    types.insert(json::parse(entry["body"].get<std::string>())["type"].get<std::string>());
  }
  CHECK(types == std::set<std::string>{"appointment.created", "customer.created"});

  json deliveries = cli.Json("acme", {"webhooks", "deliveries"});
  REQUIRE(deliveries.size() == 2);
  for (const auto& d : deliveries) CHECK(d["event_id"] != "evt_old");
  const auto old_rows = [&] {
    return omni::db::WithTransaction(cli.db.pool(), [](pqxx::work& tx) {
      return tx.exec("SELECT (SELECT count(*) FROM jobs WHERE finished_at < now() - interval '30 days')"
                     " + (SELECT count(*) FROM webhook_deliveries WHERE event_id = 'evt_old')")[0][0]
          .as<int>();
    });
  };
  const auto prune_deadline = std::chrono::steady_clock::now() + 20s;
  while (old_rows() > 0 && std::chrono::steady_clock::now() < prune_deadline) std::this_thread::sleep_for(50ms);
  CHECK(old_rows() == 0);
  CHECK(deliveries[0]["status"] == 204);
  CHECK(deliveries[0]["endpoint_id"] == endpoint);
  CHECK(cli.Json("other", {"webhooks", "deliveries"}).empty());
  const std::string delivery = std::to_string(deliveries[0]["id"].get<long long>());
  const std::string event_id = deliveries[0]["event_id"];

  // Another business's endpoint and delivery ids are not found.
  const std::string other_endpoint = generated["id"];
  CHECK(cli.Omni("other", {"webhooks", "replay", delivery}).exit_code == 5);
  CHECK(cli.Omni("other", {"webhooks", "rm", endpoint}).exit_code == 5);
  CHECK(cli.Omni("other", {"webhooks", "test", endpoint}).exit_code == 5);
  CHECK(cli.Omni("other", {"webhooks", "deliveries", "--endpoint", endpoint}).exit_code == 5);
  CHECK(cli.Omni("acme", {"webhooks", "rm", other_endpoint}).exit_code == 5);
  CHECK(cli.Omni("acme", {"webhooks", "replay", "abc"}).exit_code == 2);

  CHECK(cli.Omni("other", {"webhooks", "disable", endpoint}).exit_code == 5);
  CHECK(cli.Omni("other", {"webhooks", "enable", endpoint}).exit_code == 5);
  CHECK(cli.Omni("acme", {"webhooks", "disable", other_endpoint}).exit_code == 5);

  // Disabled for maintenance: listed with the reason, and replay is refused until it is enabled again.
  json disabled = cli.Json("acme", {"webhooks", "disable", endpoint, "--reason", "moving the CRM"});
  CHECK(disabled["state"] == "disabled");
  CHECK(disabled["disabled_reason"] == "moving the CRM");
  CHECK(cli.Json("acme", {"webhooks", "list"})[0]["state"] == "disabled");
  CHECK(cli.Json("other", {"webhooks", "list"})[0]["state"] == "enabled");
  auto refused_replay = cli.Omni("acme", {"webhooks", "replay", delivery});
  CHECK(refused_replay.exit_code == 6);
  CHECK(refused_replay.err.find("omni webhooks enable") != std::string::npos);
  auto enabled = cli.Omni("acme", {"webhooks", "enable", endpoint.substr(0, 8)});
  INFO(enabled.err);
  REQUIRE(enabled.exit_code == 0);
  CHECK(enabled.out.find("enabled") != std::string::npos);
  json relisted = cli.Json("acme", {"webhooks", "list"});
  CHECK(relisted[0]["id"] == endpoint);
  CHECK(relisted[0]["state"] == "enabled");
  CHECK(relisted[0]["disabled_reason"] == "");

  auto replayed = cli.Omni("acme", {"webhooks", "replay", delivery});
  INFO(replayed.err);
  REQUIRE(replayed.exit_code == 0);
  log = receiver.WaitFor(3);
  REQUIRE(log.size() == 3);
  CHECK(log[2]["id"] == event_id);
  CHECK(log[2]["verified"] == true);

  json tested = cli.Json("acme", {"webhooks", "test", endpoint.substr(0, 8)});
  CHECK(tested["status"] == 204);
  CHECK(tested["event_type"] == "webhook.test");
  CHECK(tested["duration_ms"].is_number_integer());
  CHECK(receiver.Log().back()["verified"] == true);
  auto tested_again = cli.Omni("acme", {"webhooks", "test", endpoint});
  CHECK(tested_again.exit_code == 0);
  const json answer = cli.Json("acme", {"webhooks", "deliveries", "--limit", "1"})[0];
  CHECK(answer["event_type"] == "webhook.test");
  CHECK(tested_again.err.find("test delivery answered 204 in " + std::to_string(answer["duration_ms"].get<int>()) +
                              " ms") != std::string::npos);

  REQUIRE(cli.Omni("acme", {"webhooks", "rm", endpoint}).exit_code == 0);
  CHECK(cli.Json("acme", {"webhooks", "list"}).empty());
  CHECK(cli.Omni("acme", {"webhooks", "rm", endpoint}).exit_code == 5);
}

TEST_CASE("omni webhooks test times out a hanging receiver at webhooks.timeout_ms; private targets need the key",
          "[cli][webhooks]") {
  WebhooksCli cli;
  Receiver receiver;
  json added = cli.Json("acme", {"webhooks", "add", receiver.Url("/hang/"), "--secret", kSecret});
  const auto started = std::chrono::steady_clock::now();
  auto hung = cli.Omni("acme", {"webhooks", "test", added["id"]});
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(hung.exit_code == 1);
  CHECK(hung.err.find("timed out after 500 ms") != std::string::npos);
  json deliveries = cli.Json("acme", {"webhooks", "deliveries"});
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0]["status"].is_null());

  auto refused = cli.Omni("acme", {"webhooks", "add", receiver.Url("/ok/")}, true);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("127.0.0.1 is not a public address") != std::string::npos);
  CHECK(refused.err.find("webhooks.allow_private_targets") != std::string::npos);
  // An endpoint added while allowed is refused on connection once it is not.
  auto strict_test = cli.Omni("acme", {"webhooks", "test", added["id"]}, true);
  CHECK(strict_test.exit_code == 1);
  CHECK(strict_test.err.find("is not public") != std::string::npos);
  CHECK(cli.Omni("acme", {"webhooks", "add", "ftp://example.com/"}).exit_code == 2);
  CHECK(cli.Omni("acme", {"webhooks", "add", "https://example.com/", "--events", "message.deleted"}).exit_code == 2);
}

TEST_CASE("omni webhooks rotate-secret: omnid's deliveries verify under the old and the new secret during the "
          "overlap and under the new one after it; show and list name the old one until then",
          "[cli][webhooks][rotation]") {
  WebhooksCli cli;
  Receiver receiver(kNewSecret);
  const std::string endpoint =
      cli.Json("acme", {"webhooks", "add", receiver.Url("/ok/acme"), "--secret", kSecret, "--events",
                        "customer.created"})["id"];
  const std::string others = cli.Json("other", {"webhooks", "add", receiver.Url("/ok/other")})["id"];
  std::string cli_output;
  const auto run = [&](const std::string& business, std::vector<std::string> args) {
    auto result = cli.Omni(business, std::move(args));
    cli_output += result.err;
    return result;
  };

  // Another business's endpoint is not found; refused inputs change nothing.
  CHECK(run("other", {"webhooks", "rotate-secret", endpoint}).exit_code == 5);
  CHECK(run("other", {"webhooks", "show", endpoint}).exit_code == 5);
  CHECK(run("acme", {"webhooks", "rotate-secret", others.substr(0, 8)}).exit_code == 5);
  CHECK(run("acme", {"webhooks", "rotate-secret", endpoint, "--overlap", "31d"}).exit_code == 2);
  CHECK(run("acme", {"webhooks", "rotate-secret", endpoint, "--overlap", "soon"}).exit_code == 2);
  auto same = run("acme", {"webhooks", "rotate-secret", endpoint, "--secret", kSecret});
  CHECK(same.exit_code == 2);
  CHECK(same.err.find("is the endpoint's current secret") != std::string::npos);
  CHECK(cli.Json("acme", {"webhooks", "show", endpoint})["previous_secret"] == "");

  auto rotated = run("acme", {"webhooks", "rotate-secret", endpoint.substr(0, 8), "--secret", kNewSecret,
                              "--overlap", "1h", "-o", "json"});
  INFO(rotated.err);
  REQUIRE(rotated.exit_code == 0);
  const json record = json::parse(rotated.out);
  CHECK(record["id"] == endpoint);
  CHECK(record["secret"] == kNewSecret);
  CHECK(record["previous_secret"] == kSecret.substr(0, 10) + "...");
  const std::string expires = record["previous_secret_expires_at"];
  CHECK(expires.size() == 20);
  CHECK(rotated.err.find("until " + expires) != std::string::npos);

  const json shown = cli.Json("acme", {"webhooks", "show", endpoint});
  CHECK(shown["secret"] == kNewSecret.substr(0, 10) + "...");
  CHECK(shown["previous_secret"] == kSecret.substr(0, 10) + "...");
  CHECK(shown["previous_secret_expires_at"] == expires);
  CHECK(cli.Json("other", {"webhooks", "show", others})["previous_secret"] == "");
  auto table = run("acme", {"webhooks", "list"});
  CHECK(table.out.find("\t" + expires) != std::string::npos);
  auto csv = run("acme", {"webhooks", "list", "-o", "csv"});
  CHECK(csv.out.find("disabled_reason,previous_secret,previous_secret_expires_at") != std::string::npos);
  CHECK(table.out.find(kSecret.substr(0, 10) + "...") != std::string::npos);
  CHECK(table.out.find(kSecret) == std::string::npos);
  CHECK(table.out.find(kNewSecret) == std::string::npos);

  omni::test::Process omnid(OMNID_PATH, {.args = {"--config", cli.config_path}});
  REQUIRE(omnid.WaitForStdout("omnid listening on", 60s));
  const auto book = [&](const std::string& time, const std::string& email) {
    REQUIRE(run("acme", {"book", "create", "--service", "Cut", "--start", cli.day + " " + time, "--name", "Ann Lee",
                         "--email", email})
                .exit_code == 0);
  };
  book("10:00", "ann@example.com");
  json log = receiver.WaitFor(1);
  REQUIRE(log.size() == 1);
  CHECK(log[0]["verified_by"] == json::array({true, true}));
  CHECK(log[0]["signature"].get<std::string>().find(' ') != std::string::npos);

  // Back to the first secret with a short overlap: omnid erases the pending one once it is over.
  REQUIRE(run("acme", {"webhooks", "rotate-secret", endpoint, "--secret", kSecret, "--overlap", "1s"}).exit_code == 0);
  const auto pending = [&] {
    return omni::db::WithTransaction(cli.db.pool(), [](pqxx::work& tx) {
      return tx.exec("SELECT count(*) FROM webhook_endpoints WHERE previous_secret IS NOT NULL")[0][0].as<int>();
    });
  };
  const auto erase_deadline = std::chrono::steady_clock::now() + 20s;
  while (pending() > 0 && std::chrono::steady_clock::now() < erase_deadline) std::this_thread::sleep_for(50ms);
  CHECK(pending() == 0);
  CHECK(cli.Json("acme", {"webhooks", "show", endpoint})["previous_secret"] == "");
  book("11:00", "bob@example.com");
  log = receiver.WaitFor(2);
  REQUIRE(log.size() == 2);
  CHECK(log[1]["verified_by"] == json::array({true, false}));
  CHECK(log[1]["signature"].get<std::string>().find(' ') == std::string::npos);

  // A zero overlap: only the new secret signs from the next delivery on.
  auto immediate = run("acme", {"webhooks", "rotate-secret", endpoint, "--secret", kNewSecret, "--overlap", "0"});
  REQUIRE(immediate.exit_code == 0);
  CHECK(immediate.err.find("new secret only") != std::string::npos);
  CHECK(cli.Json("acme", {"webhooks", "show", endpoint})["previous_secret"] == "");
  book("12:00", "cy@example.com");
  log = receiver.WaitFor(3);
  REQUIRE(log.size() == 3);
  CHECK(log[2]["verified_by"] == json::array({false, true}));

  // Neither secret reaches omnid's log or the CLI's status lines.
  for (const std::string& secret : {kSecret, kNewSecret}) {
    CHECK(omnid.Stderr().find(secret) == std::string::npos);
    CHECK(omnid.Stdout().find(secret) == std::string::npos);
    CHECK(cli_output.find(secret) == std::string::npos);
  }
}
