// Metrics bookkeeping and the Prometheus text rendering; see metrics.hpp.
#include "daemon/metrics.hpp"

#include <cstdio>

namespace omni::omnid {
namespace {

// Label values escape backslash, double quote and newline.
std::string EscapeLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatNumber(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

void Metrics::RecordRequest(const std::string& route, const std::string& method, int status, double duration_s) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, method, status}];
  auto& histogram = durations_[route];
  for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
    if (duration_s <= kLatencyBucketsSeconds[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum_s += duration_s;
}

std::string Metrics::Render(const std::optional<db::PoolStats>& pool) const {
  std::string out;
  {
    std::lock_guard lock(mutex_);
    Header(out, "omni_http_requests_total", "counter", "HTTP requests answered, by route pattern, method and status.");
    for (const auto& [key, count] : requests_) {
      const auto& [route, method, status] = key;
      out += "omni_http_requests_total{route=\"" + EscapeLabel(route) + "\",method=\"" + EscapeLabel(method) +
             "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
    }
    Header(out, "omni_http_request_duration_seconds", "histogram",
           "Time from the first byte of a request to the end of its response, by route pattern.");
    for (const auto& [route, histogram] : durations_) {
      const std::string label = "route=\"" + EscapeLabel(route) + "\"";
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
        cumulative += histogram.buckets[i];
        out += "omni_http_request_duration_seconds_bucket{" + label + ",le=\"" +
               FormatNumber("%g", kLatencyBucketsSeconds[i]) + "\"} " + std::to_string(cumulative) + "\n";
      }
      out += "omni_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
             std::to_string(histogram.count) + "\n";
      out += "omni_http_request_duration_seconds_sum{" + label + "} " + FormatNumber("%.9g", histogram.sum_s) + "\n";
      out += "omni_http_request_duration_seconds_count{" + label + "} " + std::to_string(histogram.count) + "\n";
    }
  }
  Header(out, "omni_http_connections_open", "gauge", "Client connections open now.");
  out += "omni_http_connections_open " + std::to_string(connections_open_.load()) + "\n";
  Header(out, "omni_http_requests_in_flight", "gauge", "Requests being answered now.");
  out += "omni_http_requests_in_flight " + std::to_string(requests_in_flight_.load()) + "\n";
  if (pool) {
    Header(out, "omni_db_pool_connections", "gauge", "Database pool connections by state.");
    out += "omni_db_pool_connections{state=\"max\"} " + std::to_string(pool->size) + "\n";
    out += "omni_db_pool_connections{state=\"open\"} " + std::to_string(pool->open) + "\n";
    out += "omni_db_pool_connections{state=\"in_use\"} " + std::to_string(pool->in_use) + "\n";
    out += "omni_db_pool_connections{state=\"idle\"} " + std::to_string(pool->open - pool->in_use) + "\n";
    Header(out, "omni_db_pool_waiting", "gauge", "Callers waiting for a pooled database connection.");
    out += "omni_db_pool_waiting " + std::to_string(pool->waiting) + "\n";
    Header(out, "omni_db_pool_acquired_total", "counter", "Database connections leased from the pool.");
    out += "omni_db_pool_acquired_total " + std::to_string(pool->acquired_total) + "\n";
  }
  Header(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
  out += "process_start_time_seconds " + FormatNumber("%.3f", start_time_s_) + "\n";
  return out;
}

}  // namespace omni::omnid
