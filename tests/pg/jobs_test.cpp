// The job queue on a real database (core/jobs/jobs.hpp): enqueue in a
// caller's transaction and its dedupe key, claiming under a lease with
// SKIP LOCKED, retries and death after max attempts, the fence of a lost
// lease, and the list, retry and cancel an operator uses.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/common/error.hpp"
#include "core/jobs/jobs.hpp"
#include "core/jobs/jobs_tx.hpp"
#include "tests/support/pg_harness.hpp"

namespace omni {
namespace {

using jobs::JobState;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::TestDatabase;

const TimePoint kNow = TimePoint{std::chrono::seconds{1'796'000'000}};
const milliseconds kLease{30'000};

std::string NewBusiness(db::Pool& pool, const std::string& slug) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    return tx.exec_params1("INSERT INTO businesses (slug, name) VALUES ($1, 'Biz') RETURNING id", slug)[0]
        .as<std::string>();
  });
}

jobs::NewJob MakeJob(const std::string& business, const std::string& key = "", int max_attempts = 3) {
  jobs::NewJob job;
  job.queue = "test.work";
  job.business_id = business;
  job.payload = {{"key", key}};
  job.run_at = kNow;
  job.dedupe_key = key;
  job.max_attempts = max_attempts;
  return job;
}

}  // namespace

TEST_CASE("a job enqueued in a transaction exists only if that transaction commits", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  CHECK_THROWS_AS(db::WithTransaction(db.pool(),
                                      [&](pqxx::work& tx) {
                                        jobs::Enqueue(tx, MakeJob(biz, "rolled-back"));
                                        throw Conflict("the caller's change failed");
                                      }),
                  Conflict);
  CHECK(jobs::Claim(db.pool(), "test.work", 10, kLease, kNow).empty());
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) { jobs::Enqueue(tx, MakeJob(biz, "committed")); });
  const auto claimed = jobs::Claim(db.pool(), "test.work", 10, kLease, kNow);
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].payload["key"] == "committed");
  CHECK(claimed[0].business_id == biz);
  CHECK(claimed[0].attempts == 1);
  CHECK(claimed[0].state == JobState::kRunning);
}

TEST_CASE("a dedupe key makes a second enqueue a no-op, per business and queue", "[jobs]") {
  TestDatabase db;
  const std::string acme = NewBusiness(db.pool(), "acme");
  const std::string other = NewBusiness(db.pool(), "other");
  const auto first = jobs::Enqueue(db.pool(), MakeJob(acme, "event-1"));
  const auto again = jobs::Enqueue(db.pool(), MakeJob(acme, "event-1"));
  CHECK(first.created);
  CHECK_FALSE(again.created);
  CHECK(again.id == first.id);
  CHECK(jobs::Enqueue(db.pool(), MakeJob(other, "event-1")).created);
  auto no_business = MakeJob("", "event-1");
  CHECK(jobs::Enqueue(db.pool(), no_business).created);
  CHECK_FALSE(jobs::Enqueue(db.pool(), no_business).created);
  CHECK(jobs::Enqueue(db.pool(), MakeJob(acme)).created);
  CHECK(jobs::Enqueue(db.pool(), MakeJob(acme)).created);
  CHECK(jobs::List(db.pool(), {"test.work", acme, std::nullopt, 100}).size() == 3);
}

TEST_CASE("enqueue refuses a bad queue name, bad attempts and an unknown business", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  auto bad_queue = MakeJob(biz);
  bad_queue.queue = "Bad Queue";
  CHECK_THROWS_AS(jobs::Enqueue(db.pool(), bad_queue), InvalidInput);
  auto bad_attempts = MakeJob(biz);
  bad_attempts.max_attempts = 0;
  CHECK_THROWS_AS(jobs::Enqueue(db.pool(), bad_attempts), InvalidInput);
  CHECK_THROWS_AS(jobs::Enqueue(db.pool(), MakeJob("not-a-uuid")), InvalidInput);
  // The caller's transaction survives an unknown business.
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    CHECK_THROWS_AS(jobs::Enqueue(tx, MakeJob("00000000-0000-4000-8000-000000000000")), NotFound);
    CHECK(jobs::Enqueue(tx, MakeJob(biz, "after")).created);
  });
  CHECK(jobs::List(db.pool(), {}).size() == 1);
}

TEST_CASE("a job is not claimed before its run_at, and claims come oldest first up to N", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  for (int i = 0; i < 5; ++i) {
    auto job = MakeJob(biz, "job-" + std::to_string(i));
    job.run_at = kNow - seconds{10 - i};
    jobs::Enqueue(db.pool(), job);
  }
  auto later = MakeJob(biz, "later");
  later.run_at = kNow + seconds{20};
  jobs::Enqueue(db.pool(), later);
  auto other_queue = MakeJob(biz, "other");
  other_queue.queue = "test.other";
  jobs::Enqueue(db.pool(), other_queue);

  const auto first = jobs::Claim(db.pool(), "test.work", 2, kLease, kNow);
  REQUIRE(first.size() == 2);
  CHECK(first[0].payload["key"] == "job-0");
  CHECK(first[1].payload["key"] == "job-1");
  CHECK(jobs::Claim(db.pool(), "test.work", 10, kLease, kNow).size() == 3);
  CHECK(jobs::Claim(db.pool(), "test.work", 10, kLease, kNow).empty());
  // The five claimed above are still leased (30 s) at +20 s; only the late one is due.
  const auto due_later = jobs::Claim(db.pool(), "test.work", 10, kLease, kNow + seconds{20});
  REQUIRE(due_later.size() == 1);
  CHECK(due_later[0].payload["key"] == "later");
}

TEST_CASE("two claimers never get one job twice", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  constexpr int kJobs = 400;
  db::WithTransaction(db.pool(), [&](pqxx::work& tx) {
    for (int i = 0; i < kJobs; ++i) jobs::Enqueue(tx, MakeJob(biz, "job-" + std::to_string(i)));
  });
  std::mutex mutex;
  std::vector<std::int64_t> seen;
  std::atomic<int> done{0};
  auto claimer = [&] {
    for (;;) {
      const auto claimed = jobs::Claim(db.pool(), "test.work", 7, kLease, kNow);
      if (claimed.empty()) return;
      for (const auto& job : claimed) {
        CHECK(jobs::Complete(db.pool(), job, kNow));
        ++done;
      }
      std::lock_guard lock(mutex);
      for (const auto& job : claimed) seen.push_back(job.id);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(claimer);
  for (auto& thread : threads) thread.join();
  CHECK(done == kJobs);
  CHECK(seen.size() == kJobs);
  CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == kJobs);
  CHECK(jobs::CountByState(db.pool(), "test.work", biz)[JobState::kDone] == kJobs);
}

TEST_CASE("a lease that expires re-delivers the job, and fences the first worker out", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  jobs::Enqueue(db.pool(), MakeJob(biz, "slow", 5));
  const auto first = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow);
  REQUIRE(first.size() == 1);
  CHECK(first[0].run_at == kNow + kLease);
  CHECK(jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + kLease - milliseconds{1}).empty());
  const auto second = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + kLease);
  REQUIRE(second.size() == 1);
  CHECK(second[0].id == first[0].id);
  CHECK(second[0].attempts == 2);
  CHECK(second[0].lease_id != first[0].lease_id);
  // The first worker wakes up late: its claim is gone.
  CHECK_FALSE(jobs::Complete(db.pool(), first[0], kNow + kLease));
  CHECK(jobs::Fail(db.pool(), first[0], "late", kNow, kNow + kLease) == jobs::FailOutcome::kLeaseLost);
  CHECK_FALSE(jobs::Kill(db.pool(), first[0], "late", kNow + kLease));
  CHECK(jobs::Complete(db.pool(), second[0], kNow + kLease));
  const auto done = jobs::List(db.pool(), {"test.work", biz, JobState::kDone, 10});
  REQUIRE(done.size() == 1);
  CHECK(done[0].finished_at == kNow + kLease);
  CHECK(done[0].lease_id.empty());
}

TEST_CASE("a failed job is retried at the time given with its error, and dead after max attempts", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  jobs::Enqueue(db.pool(), MakeJob(biz, "flaky", 2));
  auto claimed = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow);
  REQUIRE(claimed.size() == 1);
  CHECK(jobs::Fail(db.pool(), claimed[0], "upstream answered 503", kNow + seconds{5}, kNow) ==
        jobs::FailOutcome::kRetrying);
  auto pending = jobs::List(db.pool(), {"test.work", biz, JobState::kPending, 10});
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].last_error == "upstream answered 503");
  CHECK(pending[0].run_at == kNow + seconds{5});
  CHECK(jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + seconds{4}).empty());
  claimed = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + seconds{5});
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].attempts == 2);
  CHECK(jobs::Fail(db.pool(), claimed[0], std::string("bad\0byte", 8), kNow + seconds{10}, kNow + seconds{5}) ==
        jobs::FailOutcome::kDead);
  CHECK(jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + seconds{60}).empty());
  const auto dead = jobs::List(db.pool(), {"test.work", biz, JobState::kDead, 10});
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].last_error == "badbyte");
  CHECK(dead[0].finished_at == kNow + seconds{5});
}

TEST_CASE("a lease that expires on the last attempt makes the job dead, not claimed again", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  jobs::Enqueue(db.pool(), MakeJob(biz, "crashes", 1));
  REQUIRE(jobs::Claim(db.pool(), "test.work", 1, kLease, kNow).size() == 1);
  CHECK(jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + kLease).empty());
  const auto dead = jobs::List(db.pool(), {"test.work", biz, JobState::kDead, 10});
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].last_error == "lease expired on the last attempt");
}

TEST_CASE("a permanent error kills the job at once", "[jobs]") {
  TestDatabase db;
  const std::string biz = NewBusiness(db.pool(), "acme");
  jobs::Enqueue(db.pool(), MakeJob(biz, "doomed", 10));
  const auto claimed = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow);
  REQUIRE(claimed.size() == 1);
  CHECK(jobs::Kill(db.pool(), claimed[0], "invalid_request_error: no such customer", kNow));
  CHECK(jobs::CountByState(db.pool(), "test.work", biz)[JobState::kDead] == 1);
}

TEST_CASE("retry and cancel change only the states they allow, scoped to a business", "[jobs]") {
  TestDatabase db;
  const std::string acme = NewBusiness(db.pool(), "acme");
  const std::string other = NewBusiness(db.pool(), "other");
  const auto id = jobs::Enqueue(db.pool(), MakeJob(acme, "one", 1)).id;
  CHECK_THROWS_AS(jobs::Retry(db.pool(), id, acme, kNow), Conflict);
  auto claimed = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow);
  REQUIRE(claimed.size() == 1);
  CHECK(jobs::Fail(db.pool(), claimed[0], "boom", kNow, kNow) == jobs::FailOutcome::kDead);

  CHECK_THROWS_AS(jobs::Retry(db.pool(), id, other, kNow), NotFound);
  CHECK_THROWS_AS(jobs::Cancel(db.pool(), id, other, kNow), NotFound);
  CHECK_THROWS_AS(jobs::Retry(db.pool(), id + 1000, "", kNow), NotFound);
  const auto retried = jobs::Retry(db.pool(), id, acme, kNow + seconds{1});
  CHECK(retried.state == JobState::kPending);
  CHECK(retried.attempts == 0);
  CHECK(retried.run_at == kNow + seconds{1});
  claimed = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + seconds{1});
  REQUIRE(claimed.size() == 1);

  // Cancelling a running job fences its worker out.
  CHECK(jobs::Cancel(db.pool(), id, "", kNow + seconds{2}).state == JobState::kCanceled);
  CHECK_FALSE(jobs::Complete(db.pool(), claimed[0], kNow + seconds{2}));
  CHECK_THROWS_AS(jobs::Cancel(db.pool(), id, acme, kNow), Conflict);
  CHECK(jobs::Retry(db.pool(), id, acme, kNow + seconds{3}).state == JobState::kPending);
  claimed = jobs::Claim(db.pool(), "test.work", 1, kLease, kNow + seconds{3});
  REQUIRE(claimed.size() == 1);
  CHECK(jobs::Complete(db.pool(), claimed[0], kNow + seconds{3}));
  CHECK_THROWS_AS(jobs::Cancel(db.pool(), id, acme, kNow), Conflict);
  CHECK_THROWS_AS(jobs::Retry(db.pool(), id, acme, kNow), Conflict);
}

TEST_CASE("list filters by queue, business and state, newest first", "[jobs]") {
  TestDatabase db;
  const std::string acme = NewBusiness(db.pool(), "acme");
  const std::string other = NewBusiness(db.pool(), "other");
  jobs::Enqueue(db.pool(), MakeJob(acme, "a1"));
  jobs::Enqueue(db.pool(), MakeJob(acme, "a2"));
  jobs::Enqueue(db.pool(), MakeJob(other, "o1"));
  auto mail = MakeJob(acme, "m1");
  mail.queue = "test.mail";
  jobs::Enqueue(db.pool(), mail);
  const auto acme_work = jobs::List(db.pool(), {"test.work", acme, std::nullopt, 100});
  REQUIRE(acme_work.size() == 2);
  CHECK(acme_work[0].payload["key"] == "a2");
  CHECK(acme_work[1].payload["key"] == "a1");
  CHECK(jobs::List(db.pool(), {"", acme, std::nullopt, 100}).size() == 3);
  CHECK(jobs::List(db.pool(), {"", "", JobState::kPending, 100}).size() == 4);
  CHECK(jobs::List(db.pool(), {"", "", JobState::kDone, 100}).empty());
  CHECK(jobs::List(db.pool(), {"", "", std::nullopt, 1}).size() == 1);
  CHECK_THROWS_AS(jobs::List(db.pool(), {"", "nope", std::nullopt, 100}), InvalidInput);
  const auto counts = jobs::CountByState(db.pool(), "test.work", "");
  CHECK(counts.at(JobState::kPending) == 3);
  CHECK(counts.at(JobState::kDead) == 0);
}

TEST_CASE("job state names round-trip", "[jobs]") {
  for (JobState state : {JobState::kPending, JobState::kRunning, JobState::kDone, JobState::kDead,
                         JobState::kCanceled}) {
    CHECK(jobs::ParseJobState(jobs::JobStateName(state)) == state);
  }
  CHECK(jobs::ParseJobState("dead") == JobState::kDead);
  CHECK_FALSE(jobs::ParseJobState("LOST").has_value());
}

}  // namespace omni
