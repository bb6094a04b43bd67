// `omni billing status|checkout|portal|sync` as an operator runs them,
// against a throwaway database and the fake Stripe: what each prints, what
// each sends to Stripe, that one business's command never reaches
// another's customer or subscription, sync's differences and its second
// run, and the exit codes.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/billing/usage.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/fake_stripe.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/stripe_fixtures.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
namespace fx = omni::test::stripe_fixtures;

namespace {

struct Cli {
  omni::test::TestDatabase db;
  omni::test::FakeStripe stripe;
  fs::path dir;
  std::string config_path;

  Cli() {
    std::string pattern = (fs::temp_directory_path() / "omni-billing-cmd-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    config_path = (dir / "omni.yaml").string();
    std::ofstream(config_path) << "database:\n  url: \"" << db.url() << "\"\n"
                               << "server:\n  public_url: https://desk.example.com\n"
                               << "stripe:\n  api_key: sk_test_cli_secret_42\n  api_base: " << stripe.base_url()
                               << "\n  webhook_secrets:\n    - whsec_cli_secret_43\n"
                               << "  price_ids:\n    STARTER: price_starter\n    PROFESSIONAL: price_pro\n";
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

  std::string Business(const std::string& slug, const std::string& customer = "", const std::string& sub = "") {
    return omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("INSERT INTO businesses (slug, name, stripe_customer_id, stripe_subscription_id)"
                             " VALUES ($1, 'Biz', nullif($2, ''), nullif($3, '')) RETURNING id",
                             slug, customer, sub)[0]
          .as<std::string>();
    });
  }

  std::string State(const std::string& slug) {
    return omni::db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
      return tx.exec_params1("SELECT subscription_status || ' ' || plan_tier || ' ' || cancel_at_period_end::text"
                             " FROM businesses WHERE slug = $1",
                             slug)[0]
          .as<std::string>();
    });
  }
};

json Parse(const omni::test::RunResult& result) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out);
}

}  // namespace

TEST_CASE("omni billing checkout creates a subscription session for the business and prints its URL",
          "[billing]") {
  Cli cli;
  const std::string acme = cli.Business("acme");
  cli.Business("other", "cus_other", "sub_other");
  const auto result = cli.Omni({"billing", "checkout", "-b", "acme", "--plan", "starter"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.starts_with("https://checkout.stripe.com/c/pay/cs_test_"));
  const auto requests = cli.stripe.requests();
  REQUIRE(requests.size() == 1);
  const auto& form = requests[0].form;
  CHECK(requests[0].path == "/v1/checkout/sessions");
  CHECK(form.at("mode") == "subscription");
  CHECK(form.at("client_reference_id") == acme);
  CHECK(form.at("subscription_data[metadata][business_id]") == acme);
  CHECK(form.at("line_items[0][price]") == "price_starter");
  CHECK(form.at("success_url") == "https://desk.example.com/billing/success");
  CHECK(form.count("customer") == 0);
  CHECK_FALSE(requests[0].headers.at("idempotency-key").empty());

  CHECK(cli.Omni({"billing", "checkout", "-b", "acme", "--plan", "FREE"}).exit_code == 2);
  CHECK(cli.Omni({"billing", "checkout", "-b", "acme", "--plan", "ENTERPRISE"}).exit_code == 2);
  CHECK(cli.Omni({"billing", "checkout", "-b", "nope", "--plan", "STARTER"}).exit_code == 5);
  CHECK(cli.Omni({"billing", "checkout", "--plan", "STARTER"}).exit_code == 2);
  // The other business's customer is never sent for acme.
  for (const auto& request : cli.stripe.requests()) CHECK(request.form.count("customer") == 0);
}

TEST_CASE("omni billing portal uses only the business's own customer", "[billing]") {
  Cli cli;
  cli.Business("acme");
  cli.Business("other", "cus_other", "sub_other");
  const auto refused = cli.Omni({"billing", "portal", "-b", "acme"});
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.err, Catch::Contains("has no Stripe customer yet"));
  CHECK(cli.stripe.requests().empty());
  const json portal = Parse(cli.Omni({"billing", "portal", "-b", "other", "-o", "json"}));
  CHECK(portal["url"].get<std::string>().starts_with("https://billing.stripe.com/p/session/"));
  REQUIRE(cli.stripe.requests().size() == 1);
  CHECK(cli.stripe.requests()[0].form.at("customer") == "cus_other");
  CHECK(cli.stripe.requests()[0].form.at("return_url") == "https://desk.example.com/");
}

TEST_CASE("omni billing status shows the subscription, meter events and last events", "[billing]") {
  Cli cli;
  const std::string acme = cli.Business("acme", "cus_1", "sub_1");
  cli.Business("other", "cus_2", "sub_2");
  omni::db::WithTransaction(cli.db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("INSERT INTO stripe_events (id, type, business_id, payload, outcome, detail)"
                   " VALUES ('evt_1', 'invoice.paid', $1, '{}', 'APPLIED', 'invoice in_1 paid 29.00 usd'),"
                   " ('evt_2', 'invoice.paid', (SELECT id FROM businesses WHERE slug = 'other'), '{}', 'APPLIED', 'x')",
                   acme);
  });
  const json status = Parse(cli.Omni({"billing", "status", "-b", "acme", "-o", "json"}));
  CHECK(status["customer"] == "cus_1");
  CHECK(status["subscription"] == "sub_1");
  CHECK(status["status"] == "NONE");
  CHECK(status["meter_events_pending"] == 0);
  REQUIRE(status["recent_events"].size() == 1);
  CHECK(status["recent_events"][0]["id"] == "evt_1");
  CHECK(status["recent_events"][0]["outcome"] == "APPLIED");
  const auto table = cli.Omni({"billing", "status", "-b", "acme"});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("invoice in_1 paid"));
  CHECK(table.out.find("evt_2") == std::string::npos);
  CHECK(cli.Omni({"billing", "status", "-b", "nope"}).exit_code == 5);
  CHECK(cli.stripe.requests().empty());
}

TEST_CASE("omni billing sync prints every difference, fixes it, sends meter events, and changes nothing twice",
          "[billing]") {
  Cli cli;
  const std::string acme = cli.Business("acme", "cus_1", "sub_1");
  cli.Business("other", "cus_2", "sub_2");
  auto subscription = fx::Subscription("evt", "customer.subscription.updated", fx::kT0, "sub_1", "cus_1", "active",
                                       "price_pro")["data"]["object"];
  subscription["cancel_at_period_end"] = true;
  cli.stripe.SetSubscription(subscription);
  cli.stripe.SetSubscription(fx::Subscription("evt", "customer.subscription.updated", fx::kT0, "sub_2", "cus_2",
                                              "trialing", "price_starter")["data"]["object"]);
  const omni::billing::BillingSettings plans;
  omni::billing::MeterInteraction(cli.db.pool(), acme, plans, "turn-1", "",
                                  std::chrono::time_point_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now()));

  const json dry = Parse(cli.Omni({"billing", "sync", "-b", "acme", "--dry-run", "-o", "json"}));
  CHECK(dry["dry_run"] == true);
  CHECK(dry["changes"].size() == 5);  // status, plan, period start and end, cancel_at_period_end
  CHECK(dry["meter_events"]["pending"] == 1);
  CHECK(dry["meter_events"]["sent"] == 0);
  CHECK(cli.State("acme") == "NONE FREE false");
  CHECK(cli.stripe.meter_events().empty());

  const auto fixed = cli.Omni({"billing", "sync", "-b", "acme"});
  INFO(fixed.err);
  REQUIRE(fixed.exit_code == 0);
  CHECK_THAT(fixed.out, Catch::Contains("subscription_status\tNONE\tACTIVE\tupdated"));
  CHECK_THAT(fixed.out, Catch::Contains("plan_tier\tFREE\tPROFESSIONAL\tupdated"));
  CHECK_THAT(fixed.err, Catch::Contains("1 meter event(s) sent"));
  CHECK(cli.State("acme") == "ACTIVE PROFESSIONAL true");
  CHECK(cli.State("other") == "NONE FREE false");
  CHECK(cli.stripe.meter_events().size() == 1);

  const json again = Parse(cli.Omni({"billing", "sync", "-b", "acme", "-o", "json"}));
  CHECK(again["changes"].empty());
  CHECK(again["meter_events"]["sent"] == 0);

  // Without -b every linked subscription is read; one Stripe cannot return fails the run.
  cli.Business("gone", "cus_3", "sub_missing");
  const auto all = cli.Omni({"billing", "sync"});
  CHECK(all.exit_code == 1);
  CHECK_THAT(all.err, Catch::Contains("No such subscription: 'sub_missing'"));
  CHECK(cli.State("other") == "TRIALING STARTER false");
}

TEST_CASE("omni config show redacts the Stripe key and webhook secrets", "[billing]") {
  Cli cli;
  const auto shown = cli.Omni({"config", "show", "-o", "json"});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out.find("sk_test_cli_secret_42") == std::string::npos);
  CHECK(shown.out.find("whsec_cli_secret_43") == std::string::npos);
  const json config = json::parse(shown.out);
  CHECK(config["stripe"]["meter_event_name"] == "omni_interactions");
  CHECK(config["stripe"]["api_key"] == "<redacted>");
}
