// Enqueueing inside a caller's transaction, so that a job exists exactly
// when the change that asked for it commits. Includes <pqxx/pqxx> through
// core/db/pqxx.hpp, so public headers must not include this one.
// Semantics and errors are those of Enqueue in jobs.hpp.
#pragma once

#include "core/db/pqxx.hpp"
#include "core/jobs/jobs.hpp"

namespace omni::jobs {

EnqueueResult Enqueue(pqxx::work& tx, const NewJob& job);

}  // namespace omni::jobs

namespace omni::jobs {

// The job with `id`, of the business when `business_id` is non-empty;
// nullopt when there is none. Throws InvalidInput for a business id that is
// not a UUID.
std::optional<Job> Find(pqxx::work& tx, std::int64_t id, const std::string& business_id);

}  // namespace omni::jobs
