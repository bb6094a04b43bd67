// omnid's Prometheus metrics: request counts and latency histograms by
// route, connection gauges, database pool use, and process start time.
//
// The route label is the route pattern (e.g. "/v1/chat/{business_slug}/session"),
// never the raw path, so the number of series stays bounded; requests that
// match no route are counted under route="unmatched".
// Thread-safe: every member may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "core/db/pool.hpp"

namespace omni::omnid {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
  static constexpr std::array<double, 12> kLatencyBucketsSeconds = {
      0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // `start_time_s` is the process start as Unix seconds.
  explicit Metrics(double start_time_s) : start_time_s_(start_time_s) {}

  // Counts one answered request.
  void RecordRequest(const std::string& route, const std::string& method, int status, double duration_s);
  void ConnectionOpened() { ++connections_open_; }
  void ConnectionClosed() { --connections_open_; }
  void RequestStarted() { ++requests_in_flight_; }
  void RequestFinished() { --requests_in_flight_; }

  // The Prometheus text exposition (format 0.0.4). `pool` is absent while
  // the database has not been reached.
  std::string Render(const std::optional<db::PoolStats>& pool) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBucketsSeconds.size()> buckets{};  // non-cumulative
    std::uint64_t count = 0;
    double sum_s = 0;
  };

  const double start_time_s_;
  std::atomic<std::int64_t> connections_open_{0};
  std::atomic<std::int64_t> requests_in_flight_{0};
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // route, method, status
  std::map<std::string, Histogram> durations_;                                   // by route
};

}  // namespace omni::omnid
