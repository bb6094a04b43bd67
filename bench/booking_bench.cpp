// Booking benchmark (scripts/bench_booking.sh runs it): a business with
// 1,000 live appointments over the next 30 days; times 30-day availability
// queries through BookingService (database included) and the pure slot
// computation alone, then has concurrent clients, each on its own
// connection, book overlapping slots: "hot" (two days of starts, nearly
// every attempt collides) and "spread" (forty days, occasional collisions),
// and checks that the database holds no overlap afterwards. It runs all of
// that twice: for a business without resources, and for one with two chairs
// sharing the same 1,000 appointments (slots on either chair count).
//
// Usage: omni_booking_bench [--url CONNINFO] [--queries N] [--clients N]
//                           [--attempts N] [--fast]
// Without --url it runs a private PostgreSQL cluster in a temp dir (durable
// settings unless --fast) and removes it at exit.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <latch>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/booking/availability.hpp"
#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/error.hpp"
#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"

namespace {

using omni::TimePoint;
using Micros = std::chrono::microseconds;

constexpr const char* kTz = "America/New_York";
constexpr int kAppointments = 1000;
constexpr int kDays = 30;
constexpr int kOpenMin = 7 * 60;     // 07:00
constexpr int kCloseMin = 22 * 60;   // 22:00
constexpr int kGridMin = 15;

struct Args {
  std::string url;
  int queries = 300;
  int clients = 16;
  int attempts = 50;  // per client
  bool fast = false;
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw omni::InvalidInput("missing value after " + arg);
      return argv[++i];
    };
    if (arg == "--url") args.url = value();
    else if (arg == "--queries") args.queries = std::stoi(value());
    else if (arg == "--clients") args.clients = std::stoi(value());
    else if (arg == "--attempts") args.attempts = std::stoi(value());
    else if (arg == "--fast") args.fast = true;
    else throw omni::InvalidInput("unknown argument \"" + arg + "\"");
  }
  return args;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  std::size_t index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[index];
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::chrono::year_month_day AddDays(std::chrono::year_month_day day, int days) {
  return std::chrono::year_month_day{std::chrono::sys_days{day} + std::chrono::days{days}};
}

TimePoint LocalAt(std::chrono::year_month_day day, int minute_of_day) {
  return omni::booking::LocalMidnight(day, kTz) + std::chrono::minutes{minute_of_day};
}

struct Fixture {
  std::string business_id;
  std::string label;
  std::chrono::year_month_day first_day;
  omni::booking::AvailabilityRules rules;
  omni::booking::BusyByResource busy;
};

// The business, its services, `chairs` resources (0: none), 100 customers
// and 1,000 appointments of 15 minutes on a 15-minute grid, about 34 a day
// at random positions, dealt to the chairs in turn.
Fixture Seed(omni::db::Pool& pool, TimePoint now, int chairs) {
  Fixture f;
  f.label = chairs == 0 ? "no resources" : std::to_string(chairs) + " chairs";
  f.busy.resources.resize(static_cast<std::size_t>(chairs));
  f.first_day = AddDays(omni::booking::LocalDate(now, kTz), 1);
  f.rules.time_zone = kTz;
  for (auto& day : f.rules.weekly) day = {{kOpenMin, kCloseMin}};
  f.rules.interval_min = kGridMin;
  f.rules.min_notice_min = 0;
  f.rules.horizon_days = 90;
  std::mt19937 random(42);
  omni::db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::string hours = R"(["07:00", "22:00"])";
    std::string weekly = "{";
    for (const char* day : {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}) {
      weekly += std::string(weekly.size() > 1 ? ", " : "") + "\"" + day + "\": [" + hours + "]";
    }
    weekly += "}";
    f.business_id = tx.exec_params(
                          "INSERT INTO businesses (slug, name, timezone, weekly_hours, min_notice_min, advance_days,"
                          " slot_interval_min) VALUES ('bench-' || substr(md5(random()::text), 1, 8), 'Bench Salon',"
                          " $1, $2::jsonb, 0, 90, $3) RETURNING id::text",
                          std::string(kTz), weekly, kGridMin)[0][0]
                        .as<std::string>();
    std::string checkin = tx.exec_params(
                               "INSERT INTO services (business_id, name, duration_min) VALUES ($1::uuid, 'Check-in', 15)"
                               " RETURNING id::text",
                               f.business_id)[0][0]
                              .as<std::string>();
    tx.exec_params(
        "INSERT INTO services (business_id, name, duration_min, buffer_after_min)"
        " VALUES ($1::uuid, 'Consultation', 30, 5)",
        f.business_id);
    std::vector<std::string> chair_ids;
    for (int c = 0; c < chairs; ++c) {
      chair_ids.push_back(tx.exec_params("INSERT INTO resources (business_id, name) VALUES ($1::uuid, $2)"
                                         " RETURNING id::text",
                                         f.business_id, "Chair " + std::to_string(c + 1))[0][0]
                              .as<std::string>());
    }
    std::vector<std::string> customers;
    for (int i = 0; i < 100; ++i) {
      customers.push_back(tx.exec_params("INSERT INTO customers (business_id, name, email) VALUES ($1::uuid, $2, $3)"
                                         " RETURNING id::text",
                                         f.business_id, "Customer " + std::to_string(i),
                                         "c" + std::to_string(i) + "@bench.example")[0][0]
                              .as<std::string>());
    }
    const int positions = (kCloseMin - kOpenMin) / kGridMin;
    int made = 0;
    for (int d = 0; d < kDays; ++d) {
      int today = kAppointments / kDays + (d < kAppointments % kDays ? 1 : 0);
      const int lanes = std::max(chairs, 1);
      std::vector<std::vector<int>> grids(lanes, std::vector<int>(positions));
      for (auto& grid : grids) {
        for (int i = 0; i < positions; ++i) grid[i] = i;
        std::shuffle(grid.begin(), grid.end(), random);
      }
      for (int k = 0; k < today; ++k, ++made) {
        const int lane = k % lanes;
        TimePoint start = LocalAt(AddDays(f.first_day, d), kOpenMin + grids[lane][k / lanes] * kGridMin);
        TimePoint end = start + std::chrono::minutes{kGridMin};
        std::string s = omni::booking::FormatUtc(start);
        std::string e = omni::booking::FormatUtc(end);
        tx.exec_params(
            "INSERT INTO appointments (business_id, service_id, customer_id, resource_id, starts_at, ends_at,"
            " blocked_from, blocked_to, status)"
            " VALUES ($1::uuid, $2::uuid, $3::uuid, nullif($4, '')::uuid, $5, $6, $5, $6, $7)",
            f.business_id, checkin, customers[made % customers.size()], chairs == 0 ? "" : chair_ids[lane], s, e,
            std::string(made % 3 ? "SCHEDULED" : "CONFIRMED"));
        (chairs == 0 ? f.busy.whole_business : f.busy.resources[lane]).push_back({start, end});
      }
    }
  });
  return f;
}

void BenchAvailability(omni::db::Pool& pool, const Fixture& f, int queries) {
  omni::booking::BookingService service(pool, omni::DefaultClock());
  TimePoint from = omni::booking::LocalMidnight(f.first_day, kTz);
  TimePoint to = omni::booking::LocalMidnight(AddDays(f.first_day, kDays), kTz);
  std::vector<double> with_db;
  std::size_t slots = 0;
  for (int i = 0; i < queries + 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto list = service.SlotsBetween(f.business_id, "Consultation", from, to);
    if (i >= 20) with_db.push_back(MsSince(start));
    slots = list.starts.size();
  }
  std::vector<double> pure;
  omni::booking::ServiceTiming timing{30, 0, 5};
  omni::booking::SlotQuery query{omni::DefaultClock().Now(), from, to};
  for (int i = 0; i < queries + 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto computed = omni::booking::ComputeSlotsAnyResource(f.rules, timing, f.busy, query);
    if (i >= 20) pure.push_back(MsSince(start));
    if (computed.size() != slots) throw omni::Error("pure and database slot counts differ");
  }
  std::printf("availability, %s, 30 days, %d appointments, %zu free slots, %d queries:\n", f.label.c_str(),
              kAppointments, slots, queries);
  std::printf("  BookingService::SlotsBetween (database included): p50 %.2f ms, p95 %.2f ms\n",
              Percentile(with_db, 0.50), Percentile(with_db, 0.95));
  std::printf("  ComputeSlotsAnyResource alone (pure):             p50 %.2f ms, p95 %.2f ms\n",
              Percentile(pure, 0.50), Percentile(pure, 0.95));
}

// Grid starts of a 30-minute service on local days [first, last] after
// the first seeded day; neighbouring starts overlap (with the 5-minute
// buffer), so clients picking nearby starts collide.
std::vector<TimePoint> Candidates(const Fixture& f, int first, int last) {
  std::vector<TimePoint> candidates;
  for (int d = first; d <= last; ++d) {
    for (int m = kOpenMin; m + 30 <= kCloseMin; m += kGridMin) candidates.push_back(LocalAt(AddDays(f.first_day, d), m));
  }
  return candidates;
}

void BenchContention(const std::string& label, const std::string& url, omni::db::Pool& pool, const Fixture& f,
                     const std::vector<TimePoint>& candidates, int clients, int attempts) {
  std::latch ready(clients + 1);
  std::atomic<int> booked = 0;
  std::atomic<int> taken = 0;
  std::atomic<int> errors = 0;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      omni::config::DatabaseSettings settings;
      settings.pool_size = 1;
      omni::db::Pool own(url, settings);
      omni::booking::BookingService service(own, omni::DefaultClock());
      own.Acquire();
      std::mt19937 random(1000 + c);
      std::uniform_int_distribution<std::size_t> pick(0, candidates.size() - 1);
      ready.arrive_and_wait();
      for (int i = 0; i < attempts; ++i) {
        omni::booking::CreateRequest request;
        request.service = "Consultation";
        request.start = candidates[pick(random)];
        request.customer = {"Client", label + std::to_string(c * attempts + i) + "@bench.example", ""};
        try {
          auto result = service.Create(f.business_id, request);
          (result.outcome == omni::booking::BookingResult::kBooked ? booked : taken)++;
        } catch (const std::exception& e) {
          if (errors++ == 0) std::fprintf(stderr, "bench: client %d: %s\n", c, e.what());
        }
      }
    });
  }
  ready.arrive_and_wait();
  auto start = std::chrono::steady_clock::now();
  for (auto& t : threads) t.join();
  double seconds = MsSince(start) / 1000.0;
  long long overlaps = omni::db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params(
                 "SELECT count(*) FROM appointments a JOIN appointments b ON a.business_id = b.business_id"
                 " AND a.id < b.id AND a.blocked && b.blocked AND a.lane && b.lane"
                 " WHERE a.business_id = $1::uuid AND a.status IN ('SCHEDULED', 'CONFIRMED')"
                 " AND b.status IN ('SCHEDULED', 'CONFIRMED')",
                 f.business_id)[0][0]
        .as<long long>();
  });
  int total = clients * attempts;
  std::printf("booking, %s, %s: %d clients on separate connections, %d attempts on %zu starts:\n",
              f.label.c_str(), label.c_str(), clients, total, candidates.size());
  std::printf("  %.2f s: %.0f attempts/s, %.0f bookings/s (%d booked, %d slot taken, %d errors)\n", seconds,
              total / seconds, booked / seconds, booked.load(), taken.load(), errors.load());
  std::printf("  overlapping live bookings in the database: %lld\n", overlaps);
  if (overlaps != 0 || errors != 0) throw omni::Error("contention run failed: overlaps or errors");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = ParseArgs(argc, argv);
    std::unique_ptr<omni::db::EmbeddedCluster> cluster;
    std::string temp_dir;
    if (args.url.empty()) {
      char pattern[] = "/tmp/omni-bench-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) throw omni::Unavailable("cannot create a temp dir under /tmp");
      temp_dir = pattern;
      omni::db::EmbeddedSettings settings;
      settings.data_dir = temp_dir;
      settings.fast_unsafe = args.fast;
      cluster = std::make_unique<omni::db::EmbeddedCluster>(settings);
      cluster->EnsureInitialized();
      cluster->Start(/*detached=*/false);
      args.url = cluster->ConnInfo(omni::db::kEmbeddedDatabase);
      std::printf("database: private cluster in %s (%s)\n", temp_dir.c_str(),
                  args.fast ? "fsync off" : "durable: fsync on");
    }
    omni::config::DatabaseSettings settings;
    settings.pool_size = 4;
    int status = 0;
    try {
      omni::db::Pool pool(args.url, settings);
      omni::db::Migrate(pool);
      for (int chairs : {0, 2}) {
        auto start = std::chrono::steady_clock::now();
        Fixture fixture = Seed(pool, omni::DefaultClock().Now(), chairs);
        std::printf("seeded 1 business (%s), 100 customers, %d appointments in %.0f ms\n", fixture.label.c_str(),
                    kAppointments, MsSince(start));
        BenchAvailability(pool, fixture, args.queries);
        // Hot: every client on two days' starts, so nearly all collide.
        BenchContention("hot", args.url, pool, fixture, Candidates(fixture, kDays + 1, kDays + 2), args.clients,
                        args.attempts);
        // Spread: forty days' starts, so collisions are occasional.
        BenchContention("spread", args.url, pool, fixture, Candidates(fixture, kDays + 3, kDays + 42),
                        args.clients, args.attempts);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench: %s\n", e.what());
      status = 1;
    }
    if (cluster) {
      cluster->Stop();
      cluster.reset();
      std::error_code ignored;
      std::filesystem::remove_all(temp_dir, ignored);
    }
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
}
