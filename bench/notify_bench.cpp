// Notifications benchmark (scripts/bench_notifications.sh runs it), on a
// throwaway PostgreSQL database:
//  1. booking latency as shipped (each booking enqueues its confirmation and
//     reminders in its transaction), and the enqueue step alone in a
//     transaction of its own, which bounds what the enqueue adds;
//  2. notifications per second through the queue: N bookings' confirmations
//     drained by W notifiers, recorded only (no e-mail), then sent over SMTP
//     to a local aiosmtpd sink;
//  3. webhook deliveries per second through the queue: N bookings'
//     appointment.created events POSTed, signed, by W deliverers to a
//     receiver on 127.0.0.1 that answers 204, and the booking latency with
//     that endpoint subscribed (one more job in the booking's transaction).
// Usage: omni_notify_bench [--bookings N] [--workers W]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/config/config.hpp"
#include "core/db/pqxx.hpp"
#include "core/notify/notify.hpp"
#include "core/notify/notify_tx.hpp"
#include "core/notify/smtp.hpp"
#include "core/webhooks/webhooks.hpp"
#include "tests/support/loopback_server.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/smtp_sink.hpp"

namespace {

using namespace omni;
using Steady = std::chrono::steady_clock;

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

std::string SeedBusiness(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::string weekly = "{";
    for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
      weekly += std::string(weekly.size() > 1 ? "," : "") + "\"" + day + "\":[[\"00:00\",\"24:00\"]]";
    }
    weekly += "}";
    const std::string id = tx.exec_params(
        "INSERT INTO businesses (slug, name, timezone, email, weekly_hours, min_notice_min, advance_days,"
        " slot_interval_min) VALUES ($1, 'Bench Salon', 'UTC', 'desk@bench.example', $2::jsonb, 0, 365, 15)"
        " RETURNING id::text", slug, weekly)[0][0].as<std::string>();
    tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, 'Cut', 15)", id);
    return id;
  });
}

// Books `count` appointments 15 minutes apart from two days ahead; returns
// each booking's latency in ms.
std::vector<double> Book(booking::BookingService& service, const std::string& business_id, int count) {
  const auto first = std::chrono::floor<std::chrono::hours>(DefaultClock().Now()) + std::chrono::hours{48};
  std::vector<double> latencies;
  for (int i = 0; i < count; ++i) {
    booking::CreateRequest request;
    request.service = "Cut";
    request.start = first + std::chrono::minutes{15 * i};
    request.customer = {"Customer " + std::to_string(i), "c" + std::to_string(i) + "@example.com", ""};
    const auto start = Steady::now();
    service.Create(business_id, request);
    latencies.push_back(Ms(Steady::now() - start));
  }
  return latencies;
}

// Drains the queue's due jobs with `workers` notifiers; returns seconds.
double Drain(db::Pool& pool, notify::MailSender* sender, int workers) {
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      notify::Notifier notifier(pool, DefaultClock(), {"Bench <bench@omni.example>"}, sender);
      while (notifier.RunOnce() > 0) {
      }
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// Drains the due webhook deliveries with `workers` deliverers; returns seconds.
double DrainWebhooks(db::Pool& pool, int workers) {
  webhooks::DeliverySettings settings;
  settings.allow_private_targets = true;
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      webhooks::Deliverer deliverer(pool, DefaultClock(), settings);
      while (deliverer.RunOnce() > 0) {
      }
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(Steady::now() - start).count();
}

long long Handled(db::Pool& pool, const std::string& status) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params("SELECT count(*) FROM notifications WHERE status = $1", status)[0][0].as<long long>();
  });
}

}  // namespace

int main(int argc, char** argv) {
  int bookings = 500;
  int workers = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--bookings") bookings = std::stoi(argv[i + 1]);
    if (flag == "--workers") workers = std::stoi(argv[i + 1]);
  }
  test::TestDatabase db;
  db::Pool& pool = db.pool();
  booking::BookingService service(pool, DefaultClock());

  const std::string quiet = SeedBusiness(pool, "bench-quiet");
  const auto booked = Book(service, quiet, bookings);
  std::vector<double> enqueue;
  for (int i = 0; i < bookings; ++i) {
    const auto start = Steady::now();
    db::WithTransaction(pool, [&](pqxx::work& tx) {
      notify::EnqueueAppointmentNotices(tx, quiet, "00000000-0000-4000-8000-" + std::to_string(100000000000LL + i),
                                        0, DefaultClock().Now() + std::chrono::hours{72},
                                        notify::AppointmentChange::kCreated, DefaultClock().Now());
    });
    enqueue.push_back(Ms(Steady::now() - start));
  }
  std::printf("booking create (with its notification jobs): p50 %.2f ms, p95 %.2f ms over %d bookings\n",
              Percentile(booked, 0.5), Percentile(booked, 0.95), bookings);
  std::printf("enqueue alone (confirmation + 2 reminders, own transaction): p50 %.2f ms, p95 %.2f ms\n",
              Percentile(enqueue, 0.5), Percentile(enqueue, 0.95));
  db::WithTransaction(pool, [&](pqxx::work& tx) { tx.exec("DELETE FROM jobs"); });

  const std::string recorded = SeedBusiness(pool, "bench-record");
  Book(service, recorded, bookings);
  const double record_s = Drain(pool, nullptr, workers);
  std::printf("queue, recorded only (no e-mail): %lld notifications in %.2f s = %.0f/s with %d workers\n",
              Handled(pool, "NOT_SENT"), record_s, static_cast<double>(Handled(pool, "NOT_SENT")) / record_s, workers);

  test::SmtpSink sink;
  config::EmailSettings email;
  email.smtp_url = sink.url();
  email.from = "bench@omni.example";
  email.starttls = "off";
  auto smtp = notify::MakeSmtpSender(email);
  const std::string sent = SeedBusiness(pool, "bench-smtp");
  Book(service, sent, bookings);
  const double smtp_s = Drain(pool, smtp.get(), workers);
  std::printf("queue over SMTP (aiosmtpd on 127.0.0.1): %lld notifications in %.2f s = %.0f/s with %d workers\n",
              Handled(pool, "SENT"), smtp_s, static_cast<double>(Handled(pool, "SENT")) / smtp_s, workers);

  test::LoopbackServer receiver([](const test::LoopbackRequest&) { return test::LoopbackResponse{204, {}, ""}; });
  const std::string hooked = SeedBusiness(pool, "bench-webhooks");
  webhooks::AddEndpoint(pool, hooked, {receiver.Url("/hooks"), "", {"appointment.created"}, ""}, true);
  const auto hooked_booked = Book(service, hooked, bookings);
  std::printf("booking create with a subscribed webhook endpoint: p50 %.2f ms, p95 %.2f ms over %d bookings\n",
              Percentile(hooked_booked, 0.5), Percentile(hooked_booked, 0.95), bookings);
  const double hooks_s = DrainWebhooks(pool, workers);
  const long long delivered = db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec("SELECT count(*) FROM webhook_deliveries WHERE status_code = 204")[0][0].as<long long>();
  });
  std::printf("queue, webhooks (signed POST to 127.0.0.1): %lld deliveries in %.2f s = %.0f/s with %d workers\n",
              delivered, hooks_s, static_cast<double>(delivered) / hooks_s, workers);
  return 0;
}
