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
