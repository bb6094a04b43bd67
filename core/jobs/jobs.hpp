// A small PostgreSQL job queue, shared by every module that must do work
// after a commit and must not lose it: meter events to Stripe, e-mails,
// outbound webhooks.
//
// A job is enqueued inside the caller's transaction (jobs_tx.hpp), so it
// exists exactly when the change that asked for it commits. Workers claim
// due jobs with FOR UPDATE SKIP LOCKED under a lease: N workers never hold
// one job at once, and a job whose worker died is claimed again once its
// lease expires. A claimed job ends DONE, is retried at a time the worker
// chooses with the error recorded, or goes DEAD after max_attempts claims.
// Delivery is at least once: a handler must be idempotent (e.g. send an
// idempotency key) for a worker that stalls past its lease.
//
// Times are taken as `now` arguments, never read from the database's clock,
// so that tests pin them. Thread-safe: free functions over a db::Pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/common/clock.hpp"

namespace omni::db {
class Pool;
}

namespace omni::jobs {

enum class JobState { kPending, kRunning, kDone, kDead, kCanceled };

// "PENDING", "RUNNING", "DONE", "DEAD", "CANCELED".
const char* JobStateName(JobState state);
// Parses those names (case-insensitive); nullopt when unknown.
std::optional<JobState> ParseJobState(const std::string& name);

struct NewJob {
  std::string queue;        // [a-z][a-z0-9_.-]{0,63}, e.g. "stripe.meter_events"
  std::string business_id;  // "" for a job of no business
  nlohmann::json payload = nlohmann::json::object();
  TimePoint run_at;         // not claimed before this
  // Non-empty: a job with this key already in the queue for the business
  // (in any state) makes the enqueue a no-op.
  std::string dedupe_key;
  int max_attempts = 10;    // claims before the job goes DEAD
};

struct Job {
  std::int64_t id = 0;
  std::string queue;
  std::string business_id;  // "" for none
  nlohmann::json payload;
  std::string dedupe_key;
  JobState state = JobState::kPending;
  int attempts = 0;         // claims so far, the current one included
  int max_attempts = 0;
  TimePoint run_at;         // PENDING: due time; RUNNING: lease expiry
  std::string lease_id;     // the current claim's fence, "" when not RUNNING
  std::string last_error;
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<TimePoint> finished_at;
};

struct EnqueueResult {
  std::int64_t id = 0;   // the new job, or the one holding the dedupe key
  bool created = false;  // false: the dedupe key was already there
};

// Enqueues in a transaction of its own (see jobs_tx.hpp for a caller's).
// Throws InvalidInput for a bad queue name, max_attempts < 1 or a business
// id that is not a UUID; NotFound when the business does not exist.
EnqueueResult Enqueue(db::Pool& pool, const NewJob& job);

// Claims up to `max_jobs` due jobs of `queue` (oldest run_at first): PENDING
// ones with run_at <= now, and RUNNING ones whose lease expired. Each gets
// attempts + 1, a fresh lease_id and run_at = now + lease. A job whose lease
// expired on its last attempt goes DEAD instead ("lease expired" recorded).
// Concurrent callers never receive the same job.
std::vector<Job> Claim(db::Pool& pool, const std::string& queue, int max_jobs, std::chrono::milliseconds lease,
                       TimePoint now);

// Marks a claimed job DONE. False when the claim was lost (its lease expired
// and another worker claimed it, or an operator canceled it): nothing changes.
bool Complete(db::Pool& pool, const Job& job, TimePoint now);

enum class FailOutcome { kRetrying, kDead, kLeaseLost };

// Records `error` on a claimed job and makes it due again at `retry_at`, or
// DEAD when it has used max_attempts claims. kLeaseLost as for Complete.
FailOutcome Fail(db::Pool& pool, const Job& job, const std::string& error, TimePoint retry_at, TimePoint now);

// Records a permanent `error`: the job goes DEAD whatever its attempts.
bool Kill(db::Pool& pool, const Job& job, const std::string& error, TimePoint now);

struct ListFilter {
  std::string queue;                 // "" for every queue
  std::string business_id;           // "" for every business
  std::optional<JobState> state;     // nullopt for every state
  int limit = 100;                   // newest first
};

// Jobs matching `filter`, newest first. Throws InvalidInput for a business
// id that is not a UUID.
std::vector<Job> List(db::Pool& pool, const ListFilter& filter);

// Jobs per state of `queue` for `business_id` ("" for every business).
std::map<JobState, std::int64_t> CountByState(db::Pool& pool, const std::string& queue,
                                              const std::string& business_id);

// Makes a DEAD or CANCELED job PENDING again, due now, with its attempts
// reset, and returns it. `business_id` non-empty scopes the lookup, so
// another business's job is NotFound. Throws Conflict for a PENDING,
// RUNNING or DONE job.
Job Retry(db::Pool& pool, std::int64_t id, const std::string& business_id, TimePoint now);

// Cancels a PENDING, RUNNING or DEAD job and returns it; a RUNNING job's
// worker then finds its claim lost. Scoped and NotFound as Retry; throws
// Conflict for a DONE or CANCELED job.
Job Cancel(db::Pool& pool, std::int64_t id, const std::string& business_id, TimePoint now);

// Deletes up to `max_jobs` of `queue`'s finished jobs (DONE, DEAD or
// CANCELED) that finished before `before`, oldest first, and returns how
// many went. A queue's owner calls it with its own retention, in batches
// small enough not to hold locks long. A pruned job's dedupe key is free
// again, so a queue that relies on keys for longer must keep its jobs.
int PruneFinished(db::Pool& pool, const std::string& queue, TimePoint before, int max_jobs);

}  // namespace omni::jobs
