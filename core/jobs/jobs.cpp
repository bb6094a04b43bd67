// The PostgreSQL job queue. See jobs.hpp.
#include "core/jobs/jobs.hpp"
#include "core/jobs/jobs_tx.hpp"

#include <algorithm>
#include <regex>

#include "core/common/error.hpp"
#include "core/common/text.hpp"

namespace omni::jobs {
namespace {

constexpr std::size_t kMaxErrorBytes = 2000;

// Times cross to the server as int8 microseconds since the epoch and come
// back the same way, so no time zone or text format is ever involved.
constexpr const char* kColumns =
    "id, queue, coalesce(business_id::text, ''), payload::text, coalesce(dedupe_key, ''), state, attempts, "
    "max_attempts, (extract(epoch FROM run_at) * 1000000)::int8, coalesce(lease_id::text, ''), "
    "coalesce(last_error, ''), (extract(epoch FROM created_at) * 1000000)::int8, "
    "(extract(epoch FROM updated_at) * 1000000)::int8, (extract(epoch FROM finished_at) * 1000000)::int8";

std::int64_t Micros(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromMicros(std::int64_t micros) { return TimePoint{std::chrono::microseconds{micros}}; }

// A stored error is bounded and free of NUL, which PostgreSQL text refuses;
// it comes from remote services and must never fail the update recording it.
std::string StoredError(const std::string& error) {
  std::string clean;
  clean.reserve(std::min(error.size(), kMaxErrorBytes));
  for (char c : error) {
    if (clean.size() == kMaxErrorBytes) break;
    if (c != '\0') clean.push_back(c);
  }
  return clean;
}

void CheckQueue(const std::string& queue) {
  static const std::regex kQueue("[a-z][a-z0-9_.-]{0,63}");
  if (!std::regex_match(queue, kQueue)) {
    throw InvalidInput("invalid job queue \"" + queue + "\": expected lower-case letters, digits, '_', '.' or '-'");
  }
}

void CheckBusinessId(const std::string& business_id) {
  if (!business_id.empty() && !IsUuid(business_id)) {
    throw InvalidInput("invalid business id \"" + business_id + "\": expected a UUID");
  }
}

Job ReadJob(const pqxx::row& row) {
  Job job;
  job.id = row[0].as<std::int64_t>();
  job.queue = row[1].as<std::string>();
  job.business_id = row[2].as<std::string>();
  job.payload = nlohmann::json::parse(row[3].as<std::string>());
  job.dedupe_key = row[4].as<std::string>();
  job.state = ParseJobState(row[5].as<std::string>()).value_or(JobState::kPending);
  job.attempts = row[6].as<int>();
  job.max_attempts = row[7].as<int>();
  job.run_at = FromMicros(row[8].as<std::int64_t>());
  job.lease_id = row[9].as<std::string>();
  job.last_error = row[10].as<std::string>();
  job.created_at = FromMicros(row[11].as<std::int64_t>());
  job.updated_at = FromMicros(row[12].as<std::int64_t>());
  if (!row[13].is_null()) job.finished_at = FromMicros(row[13].as<std::int64_t>());
  return job;
}

std::optional<std::string> NullIfEmpty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

Job LoadForChange(pqxx::work& tx, std::int64_t id, const std::string& business_id) {
  CheckBusinessId(business_id);
  const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                       " FROM jobs WHERE id = $1 AND ($2::uuid IS NULL OR business_id = $2::uuid)"
                                       " FOR UPDATE",
                                   id, NullIfEmpty(business_id));
  if (rows.empty()) {
    throw NotFound("job " + std::to_string(id) + " not found");
  }
  return ReadJob(rows[0]);
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending: return "PENDING";
    case JobState::kRunning: return "RUNNING";
    case JobState::kDone: return "DONE";
    case JobState::kDead: return "DEAD";
    case JobState::kCanceled: return "CANCELED";
  }
  return "PENDING";
}

std::optional<JobState> ParseJobState(const std::string& name) {
  const std::string upper = [&] {
    std::string u = name;
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return u;
  }();
  for (JobState state : {JobState::kPending, JobState::kRunning, JobState::kDone, JobState::kDead,
                         JobState::kCanceled}) {
    if (upper == JobStateName(state)) return state;
  }
  return std::nullopt;
}

EnqueueResult Enqueue(pqxx::work& tx, const NewJob& job) {
  CheckQueue(job.queue);
  CheckBusinessId(job.business_id);
  if (job.max_attempts < 1) {
    throw InvalidInput("invalid max_attempts " + std::to_string(job.max_attempts) + " for a job: expected 1 or more");
  }
  RejectNul("job dedupe key", job.dedupe_key);
  // The business check is part of the insert, so that an unknown business
  // is a NotFound and not a foreign-key error that aborts the caller's
  // transaction.
  const auto inserted = db::ExecPrepared(
      tx, "omni_jobs_enqueue",
      "INSERT INTO jobs (queue, business_id, payload, dedupe_key, max_attempts, run_at)"
      " SELECT $1, $2::uuid, $3::jsonb, $4, $5, timestamptz 'epoch' + $6::int8 * interval '1 microsecond'"
      " WHERE $2::uuid IS NULL OR EXISTS (SELECT 1 FROM businesses WHERE id = $2::uuid)"
      " ON CONFLICT (queue, coalesce(business_id, '00000000-0000-0000-0000-000000000000'), dedupe_key)"
      " WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id",
      job.queue, NullIfEmpty(job.business_id), job.payload.dump(), NullIfEmpty(job.dedupe_key), job.max_attempts,
      Micros(job.run_at));
  if (!inserted.empty()) return EnqueueResult{inserted[0][0].as<std::int64_t>(), true};
  if (!job.dedupe_key.empty()) {
    const auto existing = db::ExecPrepared(
        tx, "omni_jobs_by_dedupe_key",
        "SELECT id FROM jobs WHERE queue = $1 AND dedupe_key = $3"
        " AND coalesce(business_id, '00000000-0000-0000-0000-000000000000') ="
        " coalesce($2::uuid, '00000000-0000-0000-0000-000000000000')",
        job.queue, NullIfEmpty(job.business_id), job.dedupe_key);
    if (!existing.empty()) return EnqueueResult{existing[0][0].as<std::int64_t>(), false};
  }
  throw NotFound("business " + job.business_id + " not found");
}

std::optional<Job> Find(pqxx::work& tx, std::int64_t id, const std::string& business_id) {
  CheckBusinessId(business_id);
  const auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                       " FROM jobs WHERE id = $1 AND ($2::uuid IS NULL OR business_id = $2::uuid)",
                                   id, NullIfEmpty(business_id));
  if (rows.empty()) return std::nullopt;
  return ReadJob(rows[0]);
}

EnqueueResult Enqueue(db::Pool& pool, const NewJob& job) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) { return Enqueue(tx, job); });
}

std::vector<Job> Claim(db::Pool& pool, const std::string& queue, int max_jobs, std::chrono::milliseconds lease,
                       TimePoint now) {
  CheckQueue(queue);
  if (max_jobs < 1) return {};
  const TimePoint lease_end = now + std::chrono::duration_cast<std::chrono::microseconds>(lease);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // SKIP LOCKED: a job another claimer is taking right now is skipped,
    // never waited for and never handed out twice. A RUNNING job is due
    // only once its lease (run_at) has passed.
    const auto rows = db::ExecPrepared(
        tx, "omni_jobs_claim",
        std::string("WITH due AS (SELECT id, state = 'RUNNING' AND attempts >= max_attempts AS exhausted"
                    " FROM jobs WHERE queue = $1 AND state IN ('PENDING', 'RUNNING')"
                    " AND run_at <= timestamptz 'epoch' + $2::int8 * interval '1 microsecond'"
                    " ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)"
                    " UPDATE jobs j SET"
                    " state = CASE WHEN due.exhausted THEN 'DEAD' ELSE 'RUNNING' END,"
                    " attempts = CASE WHEN due.exhausted THEN j.attempts ELSE j.attempts + 1 END,"
                    " lease_id = CASE WHEN due.exhausted THEN NULL ELSE gen_random_uuid() END,"
                    " run_at = CASE WHEN due.exhausted THEN j.run_at"
                    "   ELSE timestamptz 'epoch' + $4::int8 * interval '1 microsecond' END,"
                    " last_error = CASE WHEN due.exhausted THEN 'lease expired on the last attempt'"
                    "   ELSE j.last_error END,"
                    " finished_at = CASE WHEN due.exhausted"
                    "   THEN timestamptz 'epoch' + $2::int8 * interval '1 microsecond' END,"
                    " updated_at = timestamptz 'epoch' + $2::int8 * interval '1 microsecond'"
                    " FROM due WHERE j.id = due.id RETURNING ") +
            [] {
              std::string columns = kColumns;
              // RETURNING of an UPDATE ... FROM needs the table qualified
              // where `due` has a column of the same name.
              columns.replace(0, 2, "j.id");
              return columns;
            }(),
        queue, Micros(now), max_jobs, Micros(lease_end));
    std::vector<Job> claimed;
    for (const auto& row : rows) {
      Job job = ReadJob(row);
      if (job.state == JobState::kRunning) claimed.push_back(std::move(job));
    }
    std::sort(claimed.begin(), claimed.end(), [](const Job& a, const Job& b) { return a.id < b.id; });
    return claimed;
  });
}

bool Complete(db::Pool& pool, const Job& job, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = db::ExecPrepared(
        tx, "omni_jobs_complete",
        "UPDATE jobs SET state = 'DONE', lease_id = NULL,"
        " finished_at = timestamptz 'epoch' + $3::int8 * interval '1 microsecond',"
        " updated_at = timestamptz 'epoch' + $3::int8 * interval '1 microsecond'"
        " WHERE id = $1 AND state = 'RUNNING' AND lease_id = $2::uuid RETURNING id",
        job.id, NullIfEmpty(job.lease_id), Micros(now));
    return !rows.empty();
  });
}

FailOutcome Fail(db::Pool& pool, const Job& job, const std::string& error, TimePoint retry_at, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = db::ExecPrepared(
        tx, "omni_jobs_fail",
        "UPDATE jobs SET"
        " state = CASE WHEN attempts >= max_attempts THEN 'DEAD' ELSE 'PENDING' END,"
        " run_at = CASE WHEN attempts >= max_attempts THEN run_at"
        "   ELSE timestamptz 'epoch' + $4::int8 * interval '1 microsecond' END,"
        " finished_at = CASE WHEN attempts >= max_attempts"
        "   THEN timestamptz 'epoch' + $5::int8 * interval '1 microsecond' END,"
        " last_error = $3, lease_id = NULL,"
        " updated_at = timestamptz 'epoch' + $5::int8 * interval '1 microsecond'"
        " WHERE id = $1 AND state = 'RUNNING' AND lease_id = $2::uuid RETURNING state",
        job.id, NullIfEmpty(job.lease_id), StoredError(error), Micros(retry_at), Micros(now));
    if (rows.empty()) return FailOutcome::kLeaseLost;
    return rows[0][0].as<std::string>() == "DEAD" ? FailOutcome::kDead : FailOutcome::kRetrying;
  });
}

bool Kill(db::Pool& pool, const Job& job, const std::string& error, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = db::ExecPrepared(
        tx, "omni_jobs_kill",
        "UPDATE jobs SET state = 'DEAD', last_error = $3, lease_id = NULL,"
        " finished_at = timestamptz 'epoch' + $4::int8 * interval '1 microsecond',"
        " updated_at = timestamptz 'epoch' + $4::int8 * interval '1 microsecond'"
        " WHERE id = $1 AND state = 'RUNNING' AND lease_id = $2::uuid RETURNING id",
        job.id, NullIfEmpty(job.lease_id), StoredError(error), Micros(now));
    return !rows.empty();
  });
}

std::vector<Job> List(db::Pool& pool, const ListFilter& filter) {
  CheckBusinessId(filter.business_id);
  const int limit = std::clamp(filter.limit, 1, 10000);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const auto rows = tx.exec_params(
        std::string("SELECT ") + kColumns +
            " FROM jobs WHERE ($1::text IS NULL OR queue = $1) AND ($2::uuid IS NULL OR business_id = $2::uuid)"
            " AND ($3::text IS NULL OR state = $3) ORDER BY id DESC LIMIT $4",
        NullIfEmpty(filter.queue), NullIfEmpty(filter.business_id),
        filter.state ? std::optional<std::string>(JobStateName(*filter.state)) : std::nullopt, limit);
    std::vector<Job> jobs;
    for (const auto& row : rows) jobs.push_back(ReadJob(row));
    return jobs;
  });
}

std::map<JobState, std::int64_t> CountByState(db::Pool& pool, const std::string& queue,
                                              const std::string& business_id) {
  CheckBusinessId(business_id);
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    std::map<JobState, std::int64_t> counts;
    for (JobState state : {JobState::kPending, JobState::kRunning, JobState::kDone, JobState::kDead,
                           JobState::kCanceled}) {
      counts[state] = 0;
    }
    const auto rows = tx.exec_params(
        "SELECT state, count(*) FROM jobs WHERE queue = $1 AND ($2::uuid IS NULL OR business_id = $2::uuid)"
        " GROUP BY state",
        queue, NullIfEmpty(business_id));
    for (const auto& row : rows) {
      if (auto state = ParseJobState(row[0].as<std::string>())) counts[*state] = row[1].as<std::int64_t>();
    }
    return counts;
  });
}

Job Retry(db::Pool& pool, std::int64_t id, const std::string& business_id, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const Job job = LoadForChange(tx, id, business_id);
    if (job.state != JobState::kDead && job.state != JobState::kCanceled) {
      throw Conflict("job " + std::to_string(id) + " is " + Lower(JobStateName(job.state)) +
                         ": only a dead or canceled job can be retried");
    }
    const auto rows = tx.exec_params(
        std::string("UPDATE jobs SET state = 'PENDING', attempts = 0, lease_id = NULL, finished_at = NULL,"
                    " run_at = timestamptz 'epoch' + $2::int8 * interval '1 microsecond',"
                    " updated_at = timestamptz 'epoch' + $2::int8 * interval '1 microsecond'"
                    " WHERE id = $1 RETURNING ") +
            kColumns,
        id, Micros(now));
    return ReadJob(rows[0]);
  });
}

Job Cancel(db::Pool& pool, std::int64_t id, const std::string& business_id, TimePoint now) {
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    const Job job = LoadForChange(tx, id, business_id);
    if (job.state == JobState::kDone || job.state == JobState::kCanceled) {
      throw Conflict("job " + std::to_string(id) + " is " + Lower(JobStateName(job.state)) +
                     ": only a pending, running or dead job can be canceled");
    }
    const auto rows = tx.exec_params(
        std::string("UPDATE jobs SET state = 'CANCELED', lease_id = NULL,"
                    " finished_at = timestamptz 'epoch' + $2::int8 * interval '1 microsecond',"
                    " updated_at = timestamptz 'epoch' + $2::int8 * interval '1 microsecond'"
                    " WHERE id = $1 RETURNING ") +
            kColumns,
        id, Micros(now));
    return ReadJob(rows[0]);
  });
}

int PruneFinished(db::Pool& pool, const std::string& queue, TimePoint before, int max_jobs) {
  if (max_jobs < 1) return 0;
  return db::WithTransaction(pool, [&](pqxx::work& tx) {
    // Rows already locked are another pruner's batch: skipped, not waited for.
    const auto rows = tx.exec_params(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE queue = $1 AND finished_at IS NOT NULL"
        " AND finished_at < timestamptz 'epoch' + $2::int8 * interval '1 microsecond'"
        " AND state IN ('DONE', 'DEAD', 'CANCELED') ORDER BY finished_at LIMIT $3 FOR UPDATE SKIP LOCKED)",
        queue, Micros(before), max_jobs);
    return static_cast<int>(rows.affected_rows());
  });
}

}  // namespace omni::jobs
