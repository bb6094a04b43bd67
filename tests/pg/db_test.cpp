// The database layer: pool, error translation, migrations, the embedded
// cluster's lifecycle, and the schema's constraints.
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using db::WithTransaction;
using test::TestDatabase;
using test::TestDatabaseOptions;

std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, $2) RETURNING id", slug, "Biz " + slug)[0]
        .as<std::string>();
  });
}

std::string NewCustomer(db::Pool& pool, const std::string& business, const std::string& email) {
  return WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO customers (business_id, name, email) VALUES ($1, 'Ann', $2) RETURNING id",
                           business, email)[0]
        .as<std::string>();
  });
}

std::string NewService(db::Pool& pool, const std::string& business) {
  return WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1(
                 "INSERT INTO services (business_id, name, duration_min, price_cents) "
                 "VALUES ($1, 'Haircut', 30, 4500) RETURNING id",
                 business)[0]
        .as<std::string>();
  });
}

std::string NewResource(db::Pool& pool, const std::string& business, const std::string& name) {
  return WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO resources (business_id, name) VALUES ($1, $2) RETURNING id", business, name)[0]
        .as<std::string>();
  });
}

struct Booking {
  std::string business, service, customer;
  std::optional<std::string> resource;
  std::string from, to;  // blocked range, ISO 8601
  std::string status = "SCHEDULED";
};

// Inserts an appointment whose blocked range equals its time; returns the
// SQLSTATE of the failure, or "" when it was inserted.
std::string TryBook(db::Pool& pool, const Booking& b) {
  auto lease = pool.Acquire();
  try {
    pqxx::work tx(lease.connection());
    tx.exec_params(
        "INSERT INTO appointments (business_id, service_id, customer_id, resource_id, starts_at, ends_at, "
        "blocked_from, blocked_to, status) VALUES ($1, $2, $3, $4, $5, $6, $5, $6, $7)",
        b.business, b.service, b.customer, b.resource, b.from, b.to, b.status);
    tx.commit();
    return "";
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate();
  }
}

// A short private directory for a cluster of the test's own, removed after.
struct TempDir {
  TempDir() {
    char buffer[] = "/tmp/omni-lc-XXXXXX";
    REQUIRE(::mkdtemp(buffer) != nullptr);
    path = buffer;
    // As root, the cluster runs as `postgres`, which must traverse it.
    std::filesystem::permissions(path, std::filesystem::perms::others_exec, std::filesystem::perm_options::add);
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path, error);
  }
  std::string path;
};

}  // namespace

TEST_CASE("migrations apply to an empty database, and applying again changes nothing", "[db]") {
  TestDatabase db(TestDatabaseOptions{.migrated = false});
  const auto before = db::GetMigrationStatus(db.pool());
  CHECK(before.current_version == 0);
  CHECK(before.pending == static_cast<int>(db::AllMigrations().size()));
  CHECK_FALSE(before.up_to_date());
  CHECK_FALSE(db::SchemaIsCurrent(db.pool()));

  const auto applied = db::Migrate(db.pool());
  REQUIRE(applied.size() == db::AllMigrations().size());
  CHECK(applied.front().version == 1);
  CHECK(applied.front().name == "core_schema");

  const auto after = db::GetMigrationStatus(db.pool());
  CHECK(after.up_to_date());
  CHECK(after.current_version == db::AllMigrations().back().version);
  CHECK(after.latest_version == after.current_version);
  for (const auto& state : after.migrations) {
    CHECK(state.applied);
    CHECK(state.checksum_ok);
    CHECK(state.applied_at.size() == 20);  // 2026-01-01T00:00:00Z
  }
  CHECK(db::SchemaIsCurrent(db.pool()));
  CHECK(db::Migrate(db.pool()).empty());
  CHECK(db::Migrate(db.pool()).empty());
}

TEST_CASE("a later migration applies on top, and a failing one rolls back entirely", "[db]") {
  TestDatabase db;
  auto list = db::AllMigrations();
  const int next = list.back().version + 1;

  auto failing = list;
  failing.push_back({next, "broken", "CREATE TABLE half_done (x int); SELECT no_such_function();"});
  try {
    db::Migrate(db.pool(), failing);
    FAIL("a failing migration must throw");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("migration " + std::to_string(next) + " (broken) failed"));
    CHECK_THAT(e.what(), Catch::Contains("no_such_function"));
  }
  const bool half_done_exists = WithTransaction(db.pool(), [](pqxx::work& tx) {
    return tx.exec1("SELECT to_regclass('half_done') IS NOT NULL")[0].as<bool>();
  });
  CHECK_FALSE(half_done_exists);

  list.push_back({next, "extra", "CREATE TABLE extra (x int)"});
  const auto applied = db::Migrate(db.pool(), list);
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].name == "extra");
  CHECK(db::Migrate(db.pool(), list).empty());
}

TEST_CASE("an applied migration whose text changed is an error", "[db]") {
  TestDatabase db;
  WithTransaction(db.pool(), [](pqxx::work& tx) {
    tx.exec("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
  });
  CHECK_THROWS_AS(db::Migrate(db.pool()), Conflict);
  CHECK_THROWS_WITH(db::Migrate(db.pool()), Catch::Contains("checksum mismatch"));
  const auto status = db::GetMigrationStatus(db.pool());
  CHECK_FALSE(status.migrations.front().checksum_ok);
  CHECK_FALSE(db::SchemaIsCurrent(db.pool()));
}

TEST_CASE("a database migrated by a newer omni is reported, not touched", "[db]") {
  TestDatabase db;
  WithTransaction(db.pool(), [](pqxx::work& tx) {
    tx.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')");
  });
  CHECK_THROWS_WITH(db::Migrate(db.pool()), Catch::Contains("newer than this omni knows"));
  const auto status = db::GetMigrationStatus(db.pool());
  CHECK(status.current_version == 9999);
  CHECK_FALSE(status.migrations.back().known);
  CHECK(db::SchemaIsCurrent(db.pool()));
}

TEST_CASE("opening the database migrates a schema that is behind", "[db]") {
  TestDatabase db(TestDatabaseOptions{.migrated = false});
  auto all_but_last = db::AllMigrations();
  all_but_last.pop_back();
  db::Migrate(db.pool(), all_but_last);
  CHECK_FALSE(db::AppliedVersionsMatch(db.pool()));

  auto pool = db::Open(db.config(), db::OpenOptions{"", /*migrate=*/true});
  CHECK(db::GetMigrationStatus(*pool).up_to_date());
  CHECK(db::AppliedVersionsMatch(*pool));
}

TEST_CASE("opening a current database neither waits for the migration lock nor migrates", "[db]") {
  TestDatabase db;
  CHECK(db::AppliedVersionsMatch(db.pool()));
  // Another process migrating holds the lock (migrations.cpp's key); a
  // command on a current schema has nothing to wait for.
  db::Pool holder(db.url(), config::DatabaseSettings{});
  db::Pool::Lease lease = holder.Acquire();
  pqxx::nontransaction(lease.connection()).exec("SELECT pg_advisory_lock(x'6f6d6e696d696772'::int8)");
  auto opened = std::async(std::launch::async,
                           [&] { return db::Open(db.config(), db::OpenOptions{"", /*migrate=*/true}); });
  const bool returned = opened.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  pqxx::nontransaction(lease.connection()).exec("SELECT pg_advisory_unlock_all()");
  CHECK(returned);
  CHECK(db::GetMigrationStatus(*opened.get()).up_to_date());
}

TEST_CASE("an empty database has no matching versions, and one from a newer omni is still refused on opening",
          "[db]") {
  TestDatabase empty(TestDatabaseOptions{.migrated = false});
  CHECK_FALSE(db::AppliedVersionsMatch(empty.pool()));

  TestDatabase newer;
  WithTransaction(newer.pool(), [](pqxx::work& tx) {
    tx.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')");
  });
  CHECK_FALSE(db::AppliedVersionsMatch(newer.pool()));
  CHECK_THROWS_WITH(db::Open(newer.config(), db::OpenOptions{"", /*migrate=*/true}),
                    Catch::Contains("newer than this omni knows"));
}

TEST_CASE("concurrent migrators apply each migration exactly once", "[db]") {
  TestDatabase db(TestDatabaseOptions{.migrated = false});
  constexpr int kMigrators = 6;
  std::atomic<int> applied{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&] {
      try {
        db::Pool pool(db.url(), config::DatabaseSettings{});
        applied += static_cast<int>(db::Migrate(pool).size());
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(applied == static_cast<int>(db::AllMigrations().size()));
  const int rows = WithTransaction(db.pool(), [](pqxx::work& tx) {
    return tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>();
  });
  CHECK(rows == static_cast<int>(db::AllMigrations().size()));
}

TEST_CASE("connections carry omni's application name and statement timeout", "[db]") {
  config::DatabaseSettings settings;
  settings.statement_timeout_ms = 1234;
  TestDatabase db(TestDatabaseOptions{.migrated = true, .settings = settings});
  const auto [name, timeout] = WithTransaction(db.pool(), [](pqxx::work& tx) {
    const auto row = tx.exec1("SELECT current_setting('application_name'), current_setting('statement_timeout')");
    return std::pair{row[0].as<std::string>(), row[1].as<std::string>()};
  });
  CHECK(name == "omni");
  CHECK(timeout == "1234ms");

  // A statement over the limit is cancelled and reported as Unavailable.
  CHECK_THROWS_AS(WithTransaction(db.pool(), [](pqxx::work& tx) { tx.exec("SELECT pg_sleep(3)"); }), Unavailable);
}

TEST_CASE("an exhausted pool gives Unavailable after the acquire timeout", "[db]") {
  config::DatabaseSettings settings;
  settings.pool_size = 2;
  settings.acquire_timeout_ms = 200;
  TestDatabase db(TestDatabaseOptions{.migrated = true, .settings = settings});
  auto first = db.pool().Acquire();
  auto second = db.pool().Acquire();
  CHECK(db.pool().Stats().in_use == 2);

  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(db.pool().Acquire(), Unavailable);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= std::chrono::milliseconds(190));
  CHECK(waited < std::chrono::milliseconds(2000));
  CHECK_THROWS_WITH(db.pool().Acquire(), Catch::Contains("no database connection became free within 200 ms"));

  // A waiter gets the connection that frees up.
  std::thread releaser([lease = std::move(first)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto released = std::move(lease);
  });
  auto third = db.pool().Acquire();
  releaser.join();
  const auto stats = db.pool().Stats();
  CHECK(stats.size == 2);
  CHECK(stats.open == 2);
  CHECK(stats.in_use == 2);
  CHECK(stats.acquired_total == 3);
}

TEST_CASE("the pool replaces a connection the server closed", "[db]") {
  config::DatabaseSettings settings;
  settings.pool_size = 1;
  TestDatabase db(TestDatabaseOptions{.migrated = true, .settings = settings});
  const auto backend = [&] {
    return WithTransaction(db.pool(), [](pqxx::work& tx) { return tx.exec1("SELECT pg_backend_pid()")[0].as<int>(); });
  };
  const int first = backend();

  SECTION("while idle in the pool") {
    db.ExecAsSuperuser("SELECT pg_terminate_backend(" + std::to_string(first) + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const int second = backend();
    CHECK(second != first);
    CHECK(db.pool().Stats().open == 1);
  }

  SECTION("in the middle of a transaction") {
    CHECK_THROWS_AS(WithTransaction(db.pool(),
                                    [&](pqxx::work& tx) {
                                      db.ExecAsSuperuser("SELECT pg_terminate_backend(" + std::to_string(first) + ")");
                                      tx.exec("SELECT 1");
                                    }),
                    Unavailable);
    CHECK(db.pool().Stats().open == 0);
    CHECK(backend() != first);
  }
}

TEST_CASE("two concurrent reads see one snapshot, each on its own connection", "[db]") {
  TestDatabase db;
  NewBusiness(db.pool(), "before-snapshot");
  const auto count_and_backend = [](pqxx::work& tx) {
    const auto row = tx.exec1("SELECT count(*), pg_backend_pid() FROM businesses");
    return std::pair{row[0].as<int>(), row[1].as<int>()};
  };
  // The second half counts only after the first committed a business
  // elsewhere: it must still see the first's snapshot.
  std::promise<void> committed;
  auto committed_seen = committed.get_future();
  std::pair<int, int> first{}, second{};
  db::ReadConcurrently(
      db.pool(),
      [&](pqxx::work& tx) {
        first = count_and_backend(tx);
        db.ExecAsSuperuser("INSERT INTO businesses (slug, name) VALUES ('after-snapshot', 'After')");
        committed.set_value();
      },
      [&](pqxx::work& tx) {
        REQUIRE(committed_seen.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        second = count_and_backend(tx);
      });
  CHECK(first.first == 1);
  CHECK(second.first == 1);
  CHECK(first.second != second.second);
  CHECK(db.pool().Stats().in_use == 0);
  CHECK(WithTransaction(db.pool(), [](pqxx::work& tx) { return tx.exec1("SELECT count(*) FROM businesses")[0].as<int>(); }) == 2);
}

TEST_CASE("with one connection, concurrent reads run one after the other in one transaction", "[db]") {
  config::DatabaseSettings settings;
  settings.pool_size = 1;
  TestDatabase db(TestDatabaseOptions{.migrated = true, .settings = settings});
  std::vector<std::string> order;
  int first_backend = 0, second_backend = 0;
  db::ReadConcurrently(
      db.pool(),
      [&](pqxx::work& tx) {
        first_backend = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        order.push_back("first");
      },
      [&](pqxx::work& tx) {
        second_backend = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
        order.push_back("second");
      });
  CHECK(order == std::vector<std::string>{"first", "second"});
  CHECK(first_backend == second_backend);
  CHECK(db.pool().Stats().open == 1);
}

TEST_CASE("concurrent reads refuse writes and report either half's error, translated", "[db]") {
  TestDatabase db;
  const auto nothing = [](pqxx::work&) {};
  const auto write = [](pqxx::work& tx) { tx.exec("INSERT INTO businesses (slug, name) VALUES ('w', 'W')"); };
  const auto divide_by_zero = [](pqxx::work& tx) { tx.exec("SELECT 1 / 0"); };
  CHECK_THROWS_WITH(db::ReadConcurrently(db.pool(), write, nothing), Catch::Contains("read-only transaction"));
  CHECK_THROWS_WITH(db::ReadConcurrently(db.pool(), nothing, write), Catch::Contains("read-only transaction"));
  CHECK_THROWS_AS(db::ReadConcurrently(db.pool(), nothing, divide_by_zero), InvalidInput);
  // Both fail: the first's error is the one reported.
  CHECK_THROWS_WITH(db::ReadConcurrently(db.pool(), divide_by_zero, write), Catch::Contains("division by zero"));
  CHECK(db.pool().Stats().in_use == 0);
  CHECK(WithTransaction(db.pool(), [](pqxx::work& tx) { return tx.exec1("SELECT count(*) FROM businesses")[0].as<int>(); }) == 0);
}

TEST_CASE("an unreachable database is Unavailable and names the target without its password", "[db]") {
  config::DatabaseSettings settings;
  settings.connect_timeout_ms = 2000;
  for (const std::string url : {"postgresql://omni:s3cret@/nowhere?host=/tmp/omni-no-such-dir",
                                "postgresql://omni@/nowhere?host=/tmp/omni-no-such-dir&password=s3cret",
                                "host=/tmp/omni-no-such-dir user=omni dbname=nowhere password='s3cret'"}) {
    INFO(url);
    db::Pool pool(url, settings);
    CHECK(pool.DisplayName() == "host=/tmp/omni-no-such-dir dbname=nowhere user=omni password=<redacted>");
    try {
      pool.Acquire();
      FAIL("connecting must fail");
    } catch (const Unavailable& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("could not connect to database host=/tmp/omni-no-such-dir dbname=nowhere "
                                             "user=omni password=<redacted>: "));
      CHECK_THAT(e.what(), !Catch::Contains("s3cret"));
    }
    CHECK(pool.Stats().open == 0);
  }
}

TEST_CASE("a connection string libpq cannot parse is a ConfigError that never quotes it", "[db]") {
  try {
    db::Pool pool("postgresql://omni:%zzs3cret@db/omni", config::DatabaseSettings{});
    FAIL("an unparseable connection string must be refused");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "the database connection string is malformed");
    CHECK_THAT(e.hint(), !Catch::Contains("s3cret"));
  }
}

TEST_CASE("customer email is unique per business, case-insensitively", "[db]") {
  TestDatabase db;
  const auto acme = NewBusiness(db.pool(), "acme");
  const auto globex = NewBusiness(db.pool(), "globex");
  NewCustomer(db.pool(), acme, "ann@example.com");
  try {
    NewCustomer(db.pool(), acme, "ANN@Example.COM");
    FAIL("a duplicate email must be rejected");
  } catch (const Conflict& e) {
    CHECK_THAT(e.what(), Catch::Contains("customers_business_email_key"));
  }
  CHECK_NOTHROW(NewCustomer(db.pool(), globex, "ann@example.com"));
}

TEST_CASE("customer phone is unique per business after normalisation", "[db]") {
  TestDatabase db;
  const auto acme = NewBusiness(db.pool(), "acme");
  const auto insert = [&](const std::string& phone) {
    WithTransaction(db.pool(), [&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO customers (business_id, phone) VALUES ($1, $2)", acme, phone);
    });
  };
  insert("+1 (555) 010-2030");
  CHECK_THROWS_AS(insert("1-555-010-2030"), Conflict);
  CHECK_NOTHROW(insert("+1 555 010 2031"));
}

TEST_CASE("database errors are translated into the omni error tree", "[db]") {
  TestDatabase db;
  const auto acme = NewBusiness(db.pool(), "acme");
  CHECK_THROWS_AS(NewBusiness(db.pool(), "acme"), Conflict);
  // Foreign key: a customer of a business that does not exist.
  CHECK_THROWS_AS(NewCustomer(db.pool(), "00000000-0000-0000-0000-000000000000", "x@example.com"), InvalidInput);
  // Check constraints.
  CHECK_THROWS_AS(NewBusiness(db.pool(), "Not A Slug"), InvalidInput);
  CHECK_THROWS_AS(WithTransaction(db.pool(),
                                  [&](pqxx::work& tx) {
                                    tx.exec_params("INSERT INTO services (business_id, name, duration_min) "
                                                   "VALUES ($1, 'Zero', 0)",
                                                   acme);
                                  }),
                  InvalidInput);
  // Other exceptions pass through unchanged.
  CHECK_THROWS_AS(WithTransaction(db.pool(), [](pqxx::work&) { throw NotFound("nothing here"); }), NotFound);
  CHECK_THROWS_AS(WithTransaction(db.pool(), [](pqxx::work&) { throw std::logic_error("bug"); }), std::logic_error);
  // A failed transaction changed nothing.
  CHECK(WithTransaction(db.pool(), [](pqxx::work& tx) {
          return tx.exec1("SELECT count(*) FROM customers")[0].as<int>();
        }) == 0);
}

TEST_CASE("live appointments never overlap; cancelled ones free the time", "[db]") {
  TestDatabase db;
  const auto acme = NewBusiness(db.pool(), "acme");
  const auto service = NewService(db.pool(), acme);
  const auto ann = NewCustomer(db.pool(), acme, "ann@example.com");
  const auto bob = NewCustomer(db.pool(), acme, "bob@example.com");
  Booking nine{acme, service, ann, std::nullopt, "2026-12-01 09:00Z", "2026-12-01 10:00Z"};
  REQUIRE(TryBook(db.pool(), nine).empty());

  Booking overlapping{acme, service, bob, std::nullopt, "2026-12-01 09:30Z", "2026-12-01 10:30Z"};
  CHECK(TryBook(db.pool(), overlapping) == "23P01");
  // Half-open ranges: the next booking may start when the first ends.
  Booking adjacent{acme, service, bob, std::nullopt, "2026-12-01 10:00Z", "2026-12-01 11:00Z"};
  CHECK(TryBook(db.pool(), adjacent).empty());
  // Non-live bookings do not block.
  Booking completed = overlapping;
  completed.status = "COMPLETED";
  CHECK(TryBook(db.pool(), completed).empty());

  // Through WithTransaction, the violation is a Conflict naming the constraint.
  try {
    WithTransaction(db.pool(), [&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO appointments (business_id, service_id, customer_id, starts_at, ends_at, blocked_from, "
          "blocked_to) VALUES ($1, $2, $3, $4, $5, $4, $5)",
          acme, service, bob, overlapping.from, overlapping.to);
    });
    FAIL("an overlapping booking must be rejected");
  } catch (const Conflict& e) {
    CHECK_THAT(e.what(), Catch::Contains("appointments_no_overlap"));
  }

  // Cancelling frees the slot.
  Booking early{acme, service, bob, std::nullopt, "2026-12-01 09:00Z", "2026-12-01 09:45Z"};
  CHECK(TryBook(db.pool(), early) == "23P01");
  WithTransaction(db.pool(), [&](pqxx::work& tx) {
    tx.exec_params("UPDATE appointments SET status = 'CANCELED' WHERE business_id = $1 AND starts_at = $2", acme,
                   nine.from);
  });
  CHECK(TryBook(db.pool(), early).empty());

  // Another business's calendar is separate.
  const auto globex = NewBusiness(db.pool(), "globex");
  const auto globex_service = NewService(db.pool(), globex);
  const auto carl = NewCustomer(db.pool(), globex, "carl@example.com");
  CHECK(TryBook(db.pool(), Booking{globex, globex_service, carl, std::nullopt, overlapping.from, overlapping.to})
            .empty());
  // A booking cannot reference another business's service.
  CHECK(TryBook(db.pool(), Booking{globex, service, carl, std::nullopt, "2026-12-02 09:00Z", "2026-12-02 10:00Z"}) ==
        "23503");
}

TEST_CASE("resources book in parallel; a booking without one blocks the whole business", "[db]") {
  TestDatabase db;
  const auto acme = NewBusiness(db.pool(), "acme");
  const auto service = NewService(db.pool(), acme);
  const auto ann = NewCustomer(db.pool(), acme, "ann@example.com");
  const auto chair1 = NewResource(db.pool(), acme, "Chair 1");
  const auto chair2 = NewResource(db.pool(), acme, "Chair 2");
  const std::string from = "2026-12-01 09:00Z", to = "2026-12-01 10:00Z";

  CHECK(TryBook(db.pool(), Booking{acme, service, ann, chair1, from, to}).empty());
  CHECK(TryBook(db.pool(), Booking{acme, service, ann, chair2, from, to}).empty());
  CHECK(TryBook(db.pool(), Booking{acme, service, ann, chair1, from, to}) == "23P01");
  CHECK(TryBook(db.pool(), Booking{acme, service, ann, std::nullopt, from, to}) == "23P01");

  const std::string later_from = "2026-12-01 12:00Z", later_to = "2026-12-01 13:00Z";
  CHECK(TryBook(db.pool(), Booking{acme, service, ann, std::nullopt, later_from, later_to}).empty());
  CHECK(TryBook(db.pool(), Booking{acme, service, ann, chair2, later_from, later_to}) == "23P01");
  CHECK(TryBook(db.pool(), Booking{acme, service, ann, std::nullopt, later_from, later_to}) == "23P01");
}

TEST_CASE("the embedded cluster initialises, starts, stops and keeps its data", "[db]") {
  TempDir dir;
  db::EmbeddedSettings settings;
  settings.data_dir = dir.path + "/pg";
  settings.fast_unsafe = true;
  db::EmbeddedCluster cluster(settings);
  CHECK_FALSE(cluster.Status().initialized);
  CHECK_THROWS_AS(cluster.Start(true), Unavailable);

  cluster.EnsureInitialized();
  cluster.EnsureInitialized();
  auto status = cluster.Status();
  CHECK(status.initialized);
  CHECK_FALSE(status.running);
  CHECK(status.socket_dir == settings.data_dir);
  CHECK(std::filesystem::exists(status.log_file));
  CHECK_FALSE(cluster.Stop());

  struct StopAtEnd {
    db::EmbeddedCluster& cluster;
    ~StopAtEnd() {
      try {
        cluster.Stop();
      } catch (const std::exception&) {
      }
    }
  } stop_at_end{cluster};

  cluster.Start(/*detached=*/true);
  status = cluster.Status();
  REQUIRE(status.running);
  const pid_t pid = status.pid;
  CHECK(pid > 0);
  cluster.Start(true);  // already running: a no-op
  CHECK(cluster.Status().pid == pid);
  {
    db::Pool pool(cluster.ConnInfo(db::kEmbeddedDatabase), config::DatabaseSettings{});
    WithTransaction(pool, [](pqxx::work& tx) {
      tx.exec("CREATE TABLE kept (v text)");
      tx.exec("INSERT INTO kept VALUES ('still here')");
    });
  }
  CHECK(cluster.Stop());
  CHECK_FALSE(cluster.Status().running);
  CHECK_FALSE(cluster.Stop());

  // A second object on the same dir, as a later omni process would be.
  db::EmbeddedCluster again(settings);
  again.Start(false);
  CHECK(again.Status().running);
  db::Pool pool(again.ConnInfo(db::kEmbeddedDatabase), config::DatabaseSettings{});
  CHECK(WithTransaction(pool, [](pqxx::work& tx) { return tx.exec1("SELECT v FROM kept")[0].as<std::string>(); }) ==
        "still here");
}

TEST_CASE("two processes starting the embedded cluster at once get one server", "[db]") {
  TempDir dir;
  db::EmbeddedSettings settings;
  settings.data_dir = dir.path;
  settings.fast_unsafe = true;
  std::atomic<int> failures{0};
  std::vector<std::thread> starters;
  for (int i = 0; i < 3; ++i) {
    starters.emplace_back([&] {
      try {
        db::EmbeddedCluster cluster(settings);
        cluster.EnsureInitialized();
        cluster.Start(true);
      } catch (const std::exception& e) {
        UNSCOPED_INFO(e.what());
        ++failures;
      }
    });
  }
  for (auto& starter : starters) starter.join();
  db::EmbeddedCluster cluster(settings);
  const auto status = cluster.Status();
  CHECK(failures == 0);
  CHECK(status.running);
  CHECK(cluster.Stop());
}

TEST_CASE("the embedded cluster starts again after its server was killed", "[db]") {
  TempDir dir;
  db::EmbeddedSettings settings;
  settings.data_dir = dir.path;
  // Durable commits: with synchronous_commit off, a kill -9 may lose the last one.
  settings.fast_unsafe = false;
  db::EmbeddedCluster cluster(settings);
  cluster.EnsureInitialized();
  cluster.Start(true);
  const pid_t killed = cluster.Status().pid;
  REQUIRE(killed > 0);
  {
    db::Pool pool(cluster.ConnInfo(db::kEmbeddedDatabase), config::DatabaseSettings{});
    WithTransaction(pool, [](pqxx::work& tx) { tx.exec("CREATE TABLE kept AS SELECT 42 AS v"); });
  }
  REQUIRE(::kill(killed, SIGKILL) == 0);
  // The killed postmaster may linger as a zombie; it must not count as running.
  for (int i = 0; i < 100 && cluster.Status().running; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(cluster.Status().running);

  cluster.Start(true);
  const auto status = cluster.Status();
  CHECK(status.running);
  CHECK(status.pid != killed);
  db::Pool pool(cluster.ConnInfo(db::kEmbeddedDatabase), config::DatabaseSettings{});
  CHECK(WithTransaction(pool, [](pqxx::work& tx) { return tx.exec1("SELECT v FROM kept")[0].as<int>(); }) == 42);
  CHECK(cluster.Stop());
}

TEST_CASE("an interrupted initdb is redone, and a long data dir gets a short socket dir", "[db]") {
  TempDir dir;
  db::EmbeddedSettings settings;
  settings.data_dir = dir.path + "/" + std::string(100, 'd');
  settings.fast_unsafe = true;
  // What a killed initdb leaves: a data dir without omni's completion marker.
  std::filesystem::create_directories(settings.data_dir + "/data");
  std::ofstream(settings.data_dir + "/data/PG_VERSION") << "15\n";

  db::EmbeddedCluster cluster(settings);
  CHECK_FALSE(cluster.Status().initialized);
  cluster.EnsureInitialized();
  CHECK(cluster.Status().initialized);
  CHECK(cluster.socket_dir().rfind("/tmp/omni-pg-", 0) == 0);
  CHECK(cluster.socket_dir().size() + std::string("/.s.PGSQL.5432").size() <= 107);
  cluster.Start(false);
  CHECK(cluster.Status().running);
  CHECK(cluster.Stop());
  std::filesystem::remove_all(cluster.socket_dir());
}

TEST_CASE("a dedicated connection receives notifications sent through the pool", "[db]") {
  TestDatabase db;
  auto listener = db::ConnectDedicated(db.pool());
  struct Receiver : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    std::vector<std::string> payloads;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
  } receiver(*listener, "omni_test_channel");
  WithTransaction(db.pool(), [](pqxx::work& tx) { tx.exec("SELECT pg_notify('omni_test_channel', 'hello')"); });
  for (int i = 0; i < 50 && receiver.payloads.empty(); ++i) listener->await_notification(0, 100000);
  REQUIRE(receiver.payloads.size() == 1);
  CHECK(receiver.payloads[0] == "hello");
}

TEST_CASE("a server that cannot start is Unavailable with the log's tail", "[db]") {
  TempDir dir;
  db::EmbeddedSettings settings;
  settings.data_dir = dir.path;
  settings.fast_unsafe = true;
  settings.start_timeout_ms = 10000;
  db::EmbeddedCluster cluster(settings);
  cluster.EnsureInitialized();
  std::ofstream(dir.path + "/data/postgresql.conf", std::ios::app) << "no_such_setting = 1\n";
  try {
    cluster.Start(false);
    FAIL("start must fail");
  } catch (const Unavailable& e) {
    CHECK_THAT(e.what(), Catch::Contains("exited while starting"));
    CHECK_THAT(e.what(), Catch::Contains("no_such_setting"));
    CHECK_THAT(e.hint(), Catch::Contains(dir.path + "/log/postgresql.log"));
  }
}

TEST_CASE("db::Open on an external URL migrates the database", "[db]") {
  TestDatabase db(TestDatabaseOptions{.migrated = false});
  auto pool = db::Open(db.config(), db::OpenOptions{"", true});
  CHECK(db::SchemaIsCurrent(*pool));
}

TEST_CASE("db::Open without a URL starts the embedded cluster on demand", "[db]") {
  TempDir dir;
  config::Config config = config::DefaultConfig();
  const std::string data_dir = dir.path + "/pg";
  {
    auto pool = db::Open(config, db::OpenOptions{data_dir, true});
    CHECK(db::SchemaIsCurrent(*pool));
  }
  db::EmbeddedCluster cluster(db::EmbeddedSettings{data_dir});
  CHECK(cluster.Status().running);
  // Opening again finds it running and up to date.
  CHECK(db::SchemaIsCurrent(*db::Open(config, db::OpenOptions{data_dir, true})));
  CHECK(cluster.Stop());
}

}  // namespace omni
