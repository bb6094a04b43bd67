// `omni jobs list|retry|cancel`: the durable job queue (core/jobs) that
// notifications and billing share, for an operator to see and fix what is
// stuck.
#include <chrono>

#include <date/date.h>
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "core/business/business.hpp"
#include "core/common/clock.hpp"
#include "core/common/error.hpp"
#include "core/common/text.hpp"
#include "core/jobs/jobs.hpp"

namespace omni::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ListOptions {
  std::string queue;
  std::string state;
  int limit = 100;
};

struct IdOptions {
  std::string id;
};

const std::vector<Column> kColumns = {{"id", "ID"},         {"queue", "QUEUE"},       {"state", "STATE"},
                                      {"attempts", "TRIES"}, {"run_at", "RUN AT"},    {"last_error", "LAST ERROR"},
                                      {"business", "BUSINESS"}};

std::string Utc(TimePoint t) { return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t)); }

// -b scopes to one business; without it an operator sees every job,
// including those of no business (billing's).
std::string ScopedBusinessId(Context& ctx) {
  return ctx.global().business.empty() ? "" : business::FindId(ctx.Database(), ctx.global().business);
}

Json JobJson(const jobs::Job& job) {
  return {{"id", job.id},
          {"queue", job.queue},
          {"state", jobs::JobStateName(job.state)},
          {"attempts", std::to_string(job.attempts) + "/" + std::to_string(job.max_attempts)},
          {"run_at", Utc(job.run_at)},
          {"last_error", job.last_error},
          {"business", job.business_id},
          {"payload", job.payload},
          {"created_at", Utc(job.created_at)}};
}

std::int64_t ParseId(const std::string& text) {
  return ParsePositiveId("job id", text, "List jobs with `omni jobs list` to see their ids.");
}

int RunList(Context& ctx, const ListOptions& opts) {
  jobs::ListFilter filter;
  filter.queue = opts.queue;
  filter.business_id = ScopedBusinessId(ctx);
  filter.limit = opts.limit;
  if (!opts.state.empty()) {
    filter.state = jobs::ParseJobState(opts.state);
    if (!filter.state) {
      throw InvalidInput("invalid state \"" + opts.state + "\"",
                         "Use one of pending, running, done, dead or canceled.");
    }
  }
  Json rows = Json::array();
  for (const auto& job : jobs::List(ctx.Database(), filter)) {
    Json row = JobJson(job);
    if (ctx.out().format() != Format::kJson) row.erase("payload");
    rows.push_back(row);
  }
  ctx.out().List(kColumns, rows);
  if (rows.empty()) ctx.out().Status("no jobs match");
  return 0;
}

int RunRetry(Context& ctx, const IdOptions& opts) {
  const auto job = jobs::Retry(ctx.Database(), ParseId(opts.id), ScopedBusinessId(ctx), DefaultClock().Now());
  ctx.out().Record(kColumns, JobJson(job));
  ctx.out().Status("job " + std::to_string(job.id) + " is due again");
  return 0;
}

int RunCancel(Context& ctx, const IdOptions& opts) {
  const auto job = jobs::Cancel(ctx.Database(), ParseId(opts.id), ScopedBusinessId(ctx), DefaultClock().Now());
  ctx.out().Record(kColumns, JobJson(job));
  ctx.out().Status("job " + std::to_string(job.id) + " canceled");
  return 0;
}

}  // namespace

Command MakeJobsCommand() {
  return MakeGroup(
      "jobs", "see, retry and cancel queued jobs",
      "The durable job queue behind notifications (queue notify.mail) and billing. A job is PENDING until due, "
      "RUNNING while a worker holds it, then DONE; a failing one is retried with backoff and goes DEAD after "
      "its attempts. With -b only that business's jobs are seen and changed; without it, all of them.",
      {
          MakeCommand<ListOptions>(
              "list", "list jobs, newest first",
              "Lists jobs, newest first; --queue and --state narrow it. -o json adds each job's payload.",
              {"$ omni jobs list --state dead", "$ omni jobs list -b demo-salon --queue notify.mail -o json"},
              [](ListOptions& o) {
                return std::vector<Option>{{"--queue", "only this queue, e.g. notify.mail", &o.queue},
                                           {"--state", "pending, running, done, dead or canceled", &o.state},
                                           {"--limit", "at most this many (default 100)", &o.limit}};
              },
              RunList),
          MakeCommand<IdOptions>(
              "retry", "make a dead or canceled job due again",
              "Makes a DEAD or CANCELED job PENDING, due now, with its attempts reset. A job that is pending, "
              "running or done is refused (exit code 6).",
              {"$ omni jobs retry 42", "$ omni jobs retry -b demo-salon 42"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "job id (omni jobs list)", &o.id, true}}; },
              RunRetry),
          MakeCommand<IdOptions>(
              "cancel", "cancel a pending, running or dead job",
              "Cancels a job so that no worker runs it; a worker holding it finds its claim lost. A done or "
              "canceled job is refused (exit code 6).",
              {"$ omni jobs cancel 42", "$ omni jobs cancel -b demo-salon 42"},
              [](IdOptions& o) { return std::vector<Option>{{"id", "job id (omni jobs list)", &o.id, true}}; },
              RunCancel),
      });
}

}  // namespace omni::cli
