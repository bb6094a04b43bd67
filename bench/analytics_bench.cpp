// Analytics benchmark (scripts/bench_analytics.sh runs it): one business
// with 100,000 conversations and 1,000,000 messages over the past year
// (generated in SQL with generate_series, reporting columns filled as the
// recording would have left them), then
//   - core::Summarize for the last 30 days and Trend over 90 days by day,
//     in process: p50 and p95 over --runs runs;
//   - `omni analytics summary --since 30d` and `omni analytics trends
//     --since 90d` as a user runs them (process start, config, connect,
//     schema check included): p50 and p95;
//   - `omni analytics conversations -o csv` for 90 days and for the whole
//     year to /dev/null: time and peak RSS of the omni process, which must
//     stay flat as the rows grow.
//
// Usage: omni_analytics_bench --omni PATH [--url CONNINFO] [--runs N]
// Without --url it runs a private PostgreSQL cluster in a temp dir (fsync
// off: the bench measures reads) and removes it at exit.
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/analytics/analytics.hpp"
#include "core/common/error.hpp"
#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kTz = "America/New_York";
constexpr const char* kSlug = "bench-analytics";

struct Args {
  std::string url;
  std::string omni;
  int runs = 50;
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw omni::InvalidInput(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--url") args.url = value();
    else if (arg == "--omni") args.omni = value();
    else if (arg == "--runs") args.runs = std::stoi(value());
    else throw omni::InvalidInput("unknown argument " + arg);
  }
  if (args.omni.empty()) throw omni::InvalidInput("--omni PATH is required");
  return args;
}

double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

struct Percentiles {
  double p50 = 0;
  double p95 = 0;
};
Percentiles Of(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))]; };
  return {at(0.5), at(0.95)};
}

// The business, its customers, 100,000 conversations of 10 messages each
// over the last 365 days, bookings, handoffs, resolutions and ratings.
// Triggers are off while loading (session_replication_role): the columns
// the recording trigger keeps are set from the same pattern instead, which
// takes seconds rather than a million trigger calls.
std::string Seed(omni::db::Pool& pool) {
  return omni::db::WithTransaction(pool, [](pqxx::work& tx) {
    const auto existing = tx.exec_params("SELECT id::text FROM businesses WHERE slug = $1", std::string(kSlug));
    if (!existing.empty()) return existing[0][0].as<std::string>();
    tx.exec("SET LOCAL session_replication_role = replica");
    const std::string open = R"([["09:00","17:00"]])";
    const std::string id =
        tx.exec_params1("INSERT INTO businesses (slug, name, timezone, weekly_hours) VALUES ($1, 'Bench', $2, $3::jsonb)"
                        " RETURNING id::text",
                        std::string(kSlug), std::string(kTz),
                        R"({"monday":)" + open + R"(,"tuesday":)" + open + R"(,"wednesday":)" + open +
                            R"(,"thursday":)" + open + R"(,"friday":)" + open + "}")[0]
            .as<std::string>();
    tx.exec_params("INSERT INTO customers (id, business_id, name, email, tags)"
                   " SELECT md5('customer' || g)::uuid, $1, 'Customer ' || g, 'c' || g || '@example.com',"
                   " CASE WHEN g % 5 = 0 THEN '{vip}'::text[] ELSE '{}' END FROM generate_series(1, 20000) g",
                   id);
    // Conversation g starts 315.36 s after g - 1 (a year over 100,000);
    // message k of it comes 20 s after k - 1, the first reply 2 to 30 s in.
    tx.exec_params(
        "INSERT INTO conversations (id, business_id, customer_id, channel, status, created_at, last_message_at,"
        " first_message_at, first_response_at, first_human_reply_at, messages_in, messages_out, human_messages,"
        " handoff_at, handoff_reason, resolved_at, resolved_by, escalated_at, prompt_tokens, completion_tokens,"
        " cost_micros)"
        " SELECT md5('conversation' || g)::uuid, $1, md5('customer' || (g % 20000 + 1))::uuid, 'WEBCHAT',"
        "  CASE WHEN g % 3 = 0 THEN 'AI_ACTIVE' WHEN g % 7 = 0 THEN 'ESCALATED' ELSE 'RESOLVED' END,"
        "  t, t + interval '180 s', t, t + (2 + g % 29) * interval '1 s',"
        "  CASE WHEN g % 14 = 0 THEN t + interval '240 s' END, 5, 5 + (g % 14 = 0)::int, (g % 14 = 0)::int,"
        "  CASE WHEN g % 7 = 0 THEN t + interval '100 s' END,"
        "  CASE WHEN g % 7 = 0 THEN (ARRAY['HUMAN_REQUESTED', 'MODEL_FAILURE', 'PLAN_LIMIT', 'TOOL_OR_POLICY',"
        "    'OPERATOR'])[g % 5 + 1] END,"
        "  CASE WHEN g % 3 <> 0 AND g % 7 <> 0 THEN t + interval '20 minutes' END,"
        "  CASE WHEN g % 3 <> 0 AND g % 7 <> 0 THEN 'AI' END,"
        "  CASE WHEN g % 7 = 0 THEN t + interval '100 s' END, 5 * 900, 5 * 60, 5 * 1200"
        " FROM generate_series(1, 100000) g,"
        "  LATERAL (SELECT now() - interval '365 days' + g * interval '315.36 s' AS t) s",
        id);
    tx.exec_params(
        "INSERT INTO messages (business_id, conversation_id, role, content, created_at, prompt_tokens,"
        " completion_tokens, cost_micros, model)"
        " SELECT $1, c.id, CASE WHEN k % 2 = 0 THEN 'USER' ELSE 'ASSISTANT' END,"
        "  'message ' || k || ' of a conversation about booking a haircut next week',"
        "  c.created_at + CASE WHEN k = 1 THEN c.first_response_at - c.created_at ELSE k * interval '20 s' END,"
        "  CASE WHEN k % 2 = 1 THEN 900 END, CASE WHEN k % 2 = 1 THEN 60 END, CASE WHEN k % 2 = 1 THEN 1200 END,"
        "  CASE WHEN k % 2 = 1 THEN 'model-a' END"
        " FROM conversations c, generate_series(0, 9) k WHERE c.business_id = $1",
        id);
    tx.exec_params(
        "INSERT INTO llm_usage_daily (business_id, day, model, calls, prompt_tokens, completion_tokens, cost_micros)"
        " SELECT $1, (created_at AT TIME ZONE $2)::date, model, count(*), sum(prompt_tokens), sum(completion_tokens),"
        " sum(cost_micros) FROM messages WHERE business_id = $1 AND model IS NOT NULL GROUP BY 2, 3",
        id, std::string(kTz));
    // One conversation in twelve books; appointments an hour apart never overlap.
    tx.exec_params("INSERT INTO services (business_id, name, duration_min) VALUES ($1, 'Haircut', 30)", id);
    tx.exec_params(
        "INSERT INTO appointments (id, business_id, service_id, customer_id, conversation_id, starts_at, ends_at,"
        " blocked_from, blocked_to)"
        " SELECT md5('appointment' || g)::uuid, $1, (SELECT id FROM services WHERE business_id = $1), c.customer_id,"
        "  c.id, s, s + interval '30 min', s, s + interval '30 min'"
        " FROM generate_series(12, 100000, 12) g JOIN conversations c ON c.id = md5('conversation' || g)::uuid,"
        "  LATERAL (SELECT now() + g * interval '5 min' AS s) x",
        id);
    tx.exec_params(
        "INSERT INTO appointment_events (business_id, appointment_id, conversation_id, action, at)"
        " SELECT business_id, id, conversation_id, 'BOOKED', (SELECT created_at FROM conversations"
        "  WHERE id = a.conversation_id) + interval '150 s' FROM appointments a WHERE business_id = $1",
        id);
    tx.exec_params(
        "INSERT INTO csat_ratings (business_id, conversation_id, score, comment)"
        " SELECT $1, id, 1 + (abs(hashtext(id::text)) % 5), 'thanks' FROM conversations"
        " WHERE business_id = $1 AND status = 'RESOLVED' AND abs(hashtext(id::text)) % 5 = 0",
        id);
    return id;
  });
}

struct ChildRun {
  double ms = 0;
  long max_rss_kb = 0;
  int status = 0;
};

// Runs omni with `args`, stdout to /dev/null, and measures it with wait4.
ChildRun RunOmni(const std::string& omni, const std::vector<std::string>& args) {
  const auto start = SteadyClock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw omni::Unavailable("fork failed");
  if (pid == 0) {
    FILE* devnull = std::fopen("/dev/null", "w");
    if (devnull) ::dup2(::fileno(devnull), STDOUT_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(omni.c_str()));
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(omni.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  return {MsSince(start), usage.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = ParseArgs(argc, argv);
    std::unique_ptr<omni::db::EmbeddedCluster> cluster;
    std::string temp_dir;
    if (args.url.empty()) {
      char pattern[] = "/tmp/omni-abench-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) throw omni::Unavailable("cannot create a temp dir under /tmp");
      temp_dir = pattern;
      omni::db::EmbeddedSettings settings;
      settings.data_dir = temp_dir;
      settings.fast_unsafe = true;
      cluster = std::make_unique<omni::db::EmbeddedCluster>(settings);
      cluster->EnsureInitialized();
      cluster->Start(/*detached=*/false);
      args.url = cluster->ConnInfo(omni::db::kEmbeddedDatabase);
      std::printf("database: private cluster in %s (fsync off)\n", temp_dir.c_str());
    }
    int status = 0;
    try {
      omni::config::DatabaseSettings settings;
      settings.pool_size = 2;
      settings.statement_timeout_ms = 0;
      omni::db::Pool pool(args.url, settings);
      omni::db::Migrate(pool);
      auto start = SteadyClock::now();
      const std::string business_id = Seed(pool);
      // As a year-old database is: vacuumed, so autovacuum does not wake
      // up mid-measurement to set the hint bits and visibility map.
      omni::db::WithConnection(pool, [](pqxx::nontransaction& tx) { tx.exec("VACUUM ANALYZE"); });
      const auto counts = omni::db::WithTransaction(pool, [&](pqxx::work& tx) {
        return tx.exec_params1("SELECT (SELECT count(*) FROM conversations WHERE business_id = $1),"
                               " (SELECT count(*) FROM messages WHERE business_id = $1)",
                               business_id);
      });
      std::printf("seeded %lld conversations, %lld messages over 365 days in %.1f s\n", counts[0].as<long long>(),
                  counts[1].as<long long>(), MsSince(start) / 1000);

      const auto now = omni::DefaultClock().Now();
      std::vector<double> summary_ms, trend_ms, trend_time_ms;
      for (int i = 0; i < args.runs; ++i) {
        auto t = SteadyClock::now();
        omni::analytics::Summarize(pool, business_id, omni::analytics::LastDays(30, kTz, now), now);
        summary_ms.push_back(MsSince(t));
        t = SteadyClock::now();
        omni::analytics::Trend(pool, business_id, "conversations", omni::analytics::Bucket::kDay,
                               omni::analytics::LastDays(90, kTz, now), now);
        trend_ms.push_back(MsSince(t));
        t = SteadyClock::now();
        omni::analytics::Trend(pool, business_id, "first_response_time", omni::analytics::Bucket::kDay,
                               omni::analytics::LastDays(90, kTz, now), now);
        trend_time_ms.push_back(MsSince(t));
      }
      const auto summary = Of(summary_ms), trend = Of(trend_ms), trend_time = Of(trend_time_ms);
      std::printf("in process, %d runs:\n", args.runs);
      std::printf("  Summarize 30 days (and the 30 before): p50 %.1f ms, p95 %.1f ms\n", summary.p50, summary.p95);
      std::printf("  Trend conversations, 90 days by day:   p50 %.1f ms, p95 %.1f ms\n", trend.p50, trend.p95);
      std::printf("  Trend first_response_time, 90 days:    p50 %.1f ms, p95 %.1f ms\n", trend_time.p50,
                  trend_time.p95);

      // The CLI as a user runs it, on the same database.
      const std::string dir = temp_dir.empty() ? "/tmp" : temp_dir;
      const std::string config = dir + "/omni-bench.yaml";
      std::ofstream(config) << "database:\n  url: \"" << args.url << "\"\n";
      const std::vector<std::string> base = {"--config", config, "-b", kSlug, "-q"};
      const auto with = [&](std::vector<std::string> more) {
        std::vector<std::string> all = base;
        all.insert(all.end(), more.begin(), more.end());
        return all;
      };
      std::vector<double> cli_summary, cli_trend;
      const int cli_runs = std::max(5, args.runs / 2);
      for (int i = 0; i < cli_runs; ++i) {
        const auto s = RunOmni(args.omni, with({"-o", "json", "analytics", "summary", "--since", "30d"}));
        const auto t = RunOmni(args.omni, with({"-o", "json", "analytics", "trends", "--metric", "conversations",
                                                "--since", "90d"}));
        if (s.status != 0 || t.status != 0) throw omni::Error("omni analytics failed in the bench");
        cli_summary.push_back(s.ms);
        cli_trend.push_back(t.ms);
      }
      const auto cs = Of(cli_summary), ct = Of(cli_trend);
      std::printf("omni CLI (process start, config, connect included), %d runs:\n", cli_runs);
      std::printf("  omni analytics summary --since 30d:            p50 %.1f ms, p95 %.1f ms\n", cs.p50, cs.p95);
      std::printf("  omni analytics trends --metric conversations --since 90d: p50 %.1f ms, p95 %.1f ms\n", ct.p50,
                  ct.p95);
      for (const char* since : {"90d", "365d"}) {
        const auto run = RunOmni(args.omni, with({"-o", "csv", "analytics", "conversations", "--since", since}));
        if (run.status != 0) throw omni::Error("omni analytics conversations failed in the bench");
        std::printf("  omni analytics conversations --since %s -o csv > /dev/null: %.2f s, peak RSS %.1f MB\n", since,
                    run.ms / 1000, static_cast<double>(run.max_rss_kb) / 1024);
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
