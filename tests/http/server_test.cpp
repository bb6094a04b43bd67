// omnid as a user runs it: the real binary on 127.0.0.1 with a free port and
// a throwaway database, driven over HTTP and raw TCP. Covers the health
// endpoints, metrics, error bodies, request ids and logs, what a database
// outage shows the public, limits, timeouts, the SIGTERM drain and the
// command line.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/db/embedded.hpp"
#include "core/db/migrations.hpp"
#include "core/db/pqxx.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/omnid_runner.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using omni::test::TempDir;

using namespace std::chrono_literals;
using omni::test::HttpGet;
using omni::test::HttpPost;
using omni::test::OmnidRunner;
using omni::test::RawConnection;

// A database URL nobody listens on: the socket directory does not exist.
constexpr const char* kUnreachableDatabase = "postgresql:///omni?host=/nonexistent-omni-test-sockets";

// The first request log line with this request id, waiting for it a little
// (the line is written just after the response).
std::optional<nlohmann::json> RequestLog(const OmnidRunner& omnid, const std::string& request_id) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    for (const auto& line : omnid.LogLines()) {
      if (line.value("msg", "") == "request" && line.value("request_id", "") == request_id) return line;
    }
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

std::string MetricsText(std::uint16_t port) {
  const auto response = HttpGet(port, "/metrics");
  REQUIRE(response.status == 200);
  CHECK(response.Header("Content-Type").value_or("").starts_with("text/plain; version=0.0.4"));
  return response.body;
}

// The value of the metric line that starts with `series` (name and labels).
std::optional<double> MetricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// The metrics text once `series` reads `expected`, or after about a second.
// A request is counted just after its response is written, so the last one
// may land a moment after the client read it.
std::string MetricsOnce(std::uint16_t port, const std::string& series, double expected) {
  std::string metrics = MetricsText(port);
  for (int i = 0; i < 50 && MetricValue(metrics, series) != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    metrics = MetricsText(port);
  }
  return metrics;
}

// Connecting fails once the listener is closed.
bool ConnectionRefused(std::uint16_t port) {
  try {
    RawConnection probe(port);
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("omnid serves healthz, readyz and metrics with a database", "[http]") {
  omni::test::TestDatabase db;
  OmnidRunner omnid(db.url(), "");

  const auto health = HttpGet(omnid.port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.Header("Content-Type") == "application/json");
  CHECK(health.Json() == nlohmann::json{{"status", "ok"}});
  CHECK(health.Header("X-Content-Type-Options") == "nosniff");
  CHECK(std::regex_match(health.Header("Date").value_or(""),
                         std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)")));

  const auto ready = HttpGet(omnid.port(), "/readyz");
  REQUIRE(ready.status == 200);
  CHECK(ready.Json()["status"] == "ready");
  CHECK(ready.Json()["schema_version"] == omni::db::AllMigrations().back().version);

  HttpGet(omnid.port(), "/healthz");
  HttpGet(omnid.port(), "/no/such/thing?secret=1");
  const std::string metrics =
      MetricsOnce(omnid.port(), R"(omni_http_requests_total{route="unmatched",method="GET",status="404"})", 1);
  CHECK(MetricValue(metrics, R"(omni_http_requests_total{route="/healthz",method="GET",status="200"})") == 2);
  CHECK(MetricValue(metrics, R"(omni_http_requests_total{route="/readyz",method="GET",status="200"})") == 1);
  // The route label is the pattern, never the raw path.
  CHECK(MetricValue(metrics, R"(omni_http_requests_total{route="unmatched",method="GET",status="404"})") == 1);
  CHECK(metrics.find("/no/such/thing") == std::string::npos);
  CHECK(MetricValue(metrics, R"(omni_http_request_duration_seconds_count{route="/healthz"})") == 2);
  CHECK(MetricValue(metrics, R"(omni_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"})") == 2);
  CHECK(metrics.find("# TYPE omni_http_request_duration_seconds histogram") != std::string::npos);
  CHECK(MetricValue(metrics, R"(omni_db_pool_connections{state="max"})") > 0);
  CHECK(MetricValue(metrics, R"(omni_db_pool_connections{state="open"})") >= 1);
  CHECK(MetricValue(metrics, "omni_db_pool_acquired_total") >= 1);
  const auto start_time = MetricValue(metrics, "process_start_time_seconds");
  REQUIRE(start_time);
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(*start_time <= now_s);
  CHECK(*start_time > now_s - 600);
}

TEST_CASE("omnid answers concurrent clients on several threads", "[http]") {
  omni::test::TestDatabase db;
  OmnidRunner omnid(db.url(), "", "  io_threads: 2\n  db_threads: 2\n");
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 10;
  std::atomic<int> ready{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < kRequestsEach; ++i) {
        try {
          if (HttpGet(omnid.port(), "/readyz").status == 200) ++ready;
        } catch (const std::runtime_error&) {
          // Counted as missing below.
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  CHECK(ready == kClients * kRequestsEach);
  const std::string series = R"(omni_http_requests_total{route="/readyz",method="GET",status="200"})";
  const std::string metrics = MetricsOnce(omnid.port(), series, kClients * kRequestsEach);
  CHECK(MetricValue(metrics, series) == kClients * kRequestsEach);
  CHECK(MetricValue(metrics, R"(omni_db_pool_connections{state="in_use"})") == 0);
}

TEST_CASE("omnid applies pending migrations at start", "[http]") {
  omni::test::TestDatabase db({.migrated = false});
  OmnidRunner omnid(db.url(), "");
  const auto ready = HttpGet(omnid.port(), "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.Json()["schema_version"] == omni::db::AllMigrations().back().version);
}

TEST_CASE("readyz is 503 while a migration is missing", "[http]") {
  omni::test::TestDatabase db;
  OmnidRunner omnid(db.url(), "");
  REQUIRE(HttpGet(omnid.port(), "/readyz").status == 200);
  const int latest = omni::db::AllMigrations().back().version;
  db.ExecAsSuperuser("DELETE FROM schema_migrations WHERE version = " + std::to_string(latest));
  const auto ready = HttpGet(omnid.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.Json()["error"]["code"] == "migrations_pending");
  CHECK(ready.Json()["error"]["message"].get<std::string>().find("1 database migration(s) pending") == 0);
  CHECK(ready.Json()["error"].contains("hint"));
}

TEST_CASE("omnid starts without its database and reports it in readyz", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "");
  CHECK(HttpGet(omnid.port(), "/healthz").status == 200);
  const auto ready = HttpGet(omnid.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.Header("Retry-After") == "5");
  const auto body = ready.Json();
  CHECK(body["status"] == "unavailable");
  CHECK(body["database"] == "down");
  CHECK(body["error"]["code"] == "unavailable");
  CHECK(body.dump().find("nonexistent-omni-test-sockets") == std::string::npos);
  const std::string metrics = MetricsText(omnid.port());
  CHECK(MetricValue(metrics, R"(omni_http_requests_total{route="/readyz",method="GET",status="503"})") == 1);
  CHECK(metrics.find("omni_db_pool_connections") == std::string::npos);
  bool warned = false;
  for (const auto& line : omnid.LogLines()) warned = warned || line.value("msg", "") == "database unreachable, serving without it and retrying";
  CHECK(warned);
}

// What a database outage must never show the public: how the database is
// reached. The password must not reach the log either.
struct Infrastructure {
  std::string socket_dir;
  std::string user = "omni_sweep_user";
  std::string dbname = "omni_sweep_db";
  std::string password = "Pw-9f31c7e2-sweep";

  std::string Url() const {
    return "postgresql://" + user + "@/" + dbname + "?host=" + socket_dir + "&password=" + password;
  }
  std::vector<std::string> Secrets() const { return {socket_dir, user, dbname, password, ".s.PGSQL", "port="}; }
};

// Every public endpoint of daemon/router.cpp, once each, while the database
// is down; `token` is a visitor token when one could be had before.
void SweepPublicEndpoints(OmnidRunner& omnid, const Infrastructure& infra, const std::string& token) {
  const std::string chat = "/v1/chat/demo-salon";
  const std::string conversation = chat + "/conversations/6f1c1f9e-4b7a-4d55-9a51-0c0fd8a0e1d2";
  const omni::test::HttpHeaders bearer = {{"Authorization", "Bearer " + token}};
  const omni::test::HttpHeaders preflight = {{"Origin", "https://bellahairstudio.example"},
                                             {"Access-Control-Request-Method", "POST"}};
  struct Probe {
    std::string method;
    std::string target;
    std::string body = {};
    omni::test::HttpHeaders headers = {};
  };
  const std::vector<Probe> probes = {
      {"GET", "/healthz"},
      {"GET", "/readyz"},
      {"GET", "/metrics"},
      {"POST", chat + "/session", "{}"},
      {"POST", chat + "/session", R"({"name":"Ann","email":"ann@example.com","token":")" + token + "\"}"},
      {"POST", "/v1/chat/no-such-business/session", "{}"},
      {"POST", chat + "/messages", R"({"message":"Is there parking?"})", bearer},
      {"POST", chat + "/messages?stream=false", R"({"message":"Is there parking?"})", bearer},
      {"GET", conversation + "/messages", "", bearer},
      {"GET", conversation + "/events", "", bearer},
      {"OPTIONS", chat + "/session", "", preflight},
      {"OPTIONS", chat + "/messages", "", preflight},
      {"OPTIONS", conversation + "/messages", "", preflight},
      {"OPTIONS", conversation + "/events", "", preflight},
      {"GET", "/widget.js"},
      {"GET", "/chat/demo-salon"},
      {"GET", "/chat/no-such-business"},
  };
  int unavailable = 0;
  for (const auto& probe : probes) {
    auto headers = probe.headers;
    if (probe.method == "POST") headers["Content-Type"] = "application/json";
    const auto response = omni::test::HttpRequest(omnid.port(), probe.method, probe.target, probe.body, headers);
    INFO(probe.method << " " << probe.target << " -> " << response.status << "\n" << response.body);
    for (const auto& secret : infra.Secrets()) {
      CHECK(response.body.find(secret) == std::string::npos);
      for (const auto& [name, value] : response.headers) CHECK(value.find(secret) == std::string::npos);
    }
    if (response.status != 503) continue;
    ++unavailable;
    // The visitor learns only that the service is down, and the id under
    // which the log has the details.
    const auto error = response.Json().value("error", nlohmann::json::object());
    CHECK(error.value("code", "") == "unavailable");
    CHECK(error.value("message", "") == "service unavailable");
    const auto id = response.Header("X-Request-Id");
    REQUIRE(id);
    CHECK(error.value("request_id", "") == *id);
    bool logged = false;
    for (const auto& line : omnid.LogLines()) {
      logged = logged || (line.value("request_id", "") == *id && line.value("level", "") == "warn" &&
                          !line.value("error", "").empty());
    }
    CHECK(logged);
  }
  CHECK(unavailable >= 8);

  const auto ready = HttpGet(omnid.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.Json()["status"] == "unavailable");
  CHECK(ready.Json()["database"] == "down");

  const std::string log = omnid.process().Stderr();
  CHECK(log.find(infra.password) == std::string::npos);
  // The operator still learns where omnid failed to connect.
  CHECK(log.find("could not connect to database host=" + infra.socket_dir + " dbname=" + infra.dbname + " user=" +
                 infra.user + " password=<redacted>") != std::string::npos);
}

TEST_CASE("a database outage shows the public no database details and the log no password", "[http]") {
  SECTION("the database stops after omnid reached it") {
    TempDir dir;
    omni::db::EmbeddedCluster cluster({.data_dir = dir.path().string(), .fast_unsafe = true});
    cluster.EnsureInitialized();
    cluster.Start(/*detached=*/false);
    Infrastructure infra;
    infra.socket_dir = cluster.socket_dir();
    {
      pqxx::connection admin(cluster.ConnInfo("postgres"));
      pqxx::nontransaction tx(admin);
      tx.exec("CREATE ROLE " + infra.user + " LOGIN SUPERUSER");
      tx.exec("CREATE DATABASE " + infra.dbname + " OWNER " + infra.user);
    }
    OmnidRunner omnid(infra.Url(), "");
    {
      omni::db::Pool pool(infra.Url(), omni::config::DatabaseSettings{});
      omni::business::Apply(pool, omni::business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml"));
    }
    const auto session = HttpPost(omnid.port(), "/v1/chat/demo-salon/session", "{}");
    REQUIRE(session.status == 200);
    REQUIRE(HttpGet(omnid.port(), "/readyz").status == 200);
    REQUIRE(cluster.Stop());
    SweepPublicEndpoints(omnid, infra, session.Json()["token"]);
  }
  SECTION("the database was never reachable") {
    Infrastructure infra;
    infra.socket_dir = "/nonexistent-omni-sweep-sockets";
    OmnidRunner omnid(infra.Url(), "");
    SweepPublicEndpoints(omnid, infra, "v1.e30.AAAA");
  }
}

TEST_CASE("omnid answers unknown paths and methods with JSON errors", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "");

  const auto missing = HttpGet(omnid.port(), "/v1/nothing-here");
  CHECK(missing.status == 404);
  CHECK(missing.Header("Content-Type") == "application/json");
  CHECK(missing.Json()["error"]["code"] == "not_found");
  CHECK(missing.Json()["error"]["message"] == "no such endpoint: /v1/nothing-here");

  const auto wrong_method = HttpPost(omnid.port(), "/healthz", "{}");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.Header("Allow") == "GET");
  CHECK(wrong_method.Json()["error"]["code"] == "method_not_allowed");

  RawConnection raw(omnid.port());
  raw.Send("this is not http\r\n\r\n");
  const std::string reply = raw.ReadUntilClosed(10s);
  CHECK(reply.starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(reply.find(R"("code":"bad_request")") != std::string::npos);
  CHECK(raw.closed());
}

TEST_CASE("omnid gives every request an id and logs one line for it", "[http]") {
  SECTION("json logs") {
    OmnidRunner omnid(kUnreachableDatabase, "");
    const auto generated = HttpGet(omnid.port(), "/healthz?probe=1");
    const auto id = generated.Header("X-Request-Id");
    REQUIRE(id);
    CHECK(std::regex_match(*id, std::regex("[0-9a-f]{32}")));
    CHECK(HttpGet(omnid.port(), "/healthz").Header("X-Request-Id") != id);

    const auto honoured = HttpGet(omnid.port(), "/healthz", {{"X-Request-Id", "lb-7f3a:42"}});
    CHECK(honoured.Header("X-Request-Id") == "lb-7f3a:42");
    // An id that could forge log lines is replaced.
    const auto replaced = HttpGet(omnid.port(), "/healthz", {{"X-Request-Id", "a b\"c"}});
    CHECK(replaced.Header("X-Request-Id") != "a b\"c");
    CHECK(std::regex_match(replaced.Header("X-Request-Id").value_or(""), std::regex("[0-9a-f]{32}")));

    const auto line = RequestLog(omnid, *id);
    REQUIRE(line);
    CHECK((*line)["level"] == "info");
    CHECK((*line)["method"] == "GET");
    CHECK((*line)["path"] == "/healthz");  // without the query
    CHECK((*line)["route"] == "/healthz");
    CHECK((*line)["status"] == 200);
    CHECK((*line)["bytes"] == generated.body.size());
    CHECK((*line)["remote"] == "127.0.0.1");
    CHECK((*line)["duration_ms"].is_number());
    CHECK(std::regex_match((*line)["ts"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    CHECK(RequestLog(omnid, "lb-7f3a:42"));
  }
  SECTION("text logs") {
    OmnidRunner omnid(kUnreachableDatabase, "", "", {.format = "text"});
    HttpGet(omnid.port(), "/healthz", {{"X-Request-Id", "text-id-1"}});
    bool found = false;
    for (int attempt = 0; attempt < 100 && !found; ++attempt) {
      const std::string err = omnid.process().Stderr();
      found = err.find("info omnid: request") != std::string::npos &&
              err.find("request_id=text-id-1") != std::string::npos &&
              err.find("route=/healthz") != std::string::npos && err.find("status=200") != std::string::npos;
      if (!found) std::this_thread::sleep_for(20ms);
    }
    CHECK(found);
  }
}

TEST_CASE("omnid limits request sizes", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "", "  max_body_bytes: 1024\n  max_header_bytes: 2048\n");

  SECTION("a declared body over the limit gets 413 without being read") {
    const auto response = omni::test::HttpRequest(omnid.port(), "GET", "/healthz", std::string(5000, 'x'));
    CHECK(response.status == 413);
    CHECK(response.Json()["error"]["code"] == "body_too_large");
    CHECK(response.Header("Connection") == "close");
  }
  SECTION("a chunked body over the limit gets 413") {
    RawConnection raw(omnid.port());
    raw.Send("GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(800, 'y');
    raw.Send("320\r\n" + chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
    const std::string reply = raw.ReadUntilClosed(10s);
    CHECK(reply.starts_with("HTTP/1.1 413 "));
  }
  SECTION("a body within the limit is fine") {
    CHECK(omni::test::HttpRequest(omnid.port(), "GET", "/healthz", std::string(1000, 'x')).status == 200);
  }
  SECTION("headers over the limit get 431") {
    const auto response = HttpGet(omnid.port(), "/healthz", {{"X-Padding", std::string(4000, 'p')}});
    CHECK(response.status == 431);
    CHECK(response.Json()["error"]["code"] == "headers_too_large");
  }
  const std::string metrics = MetricsText(omnid.port());
  CHECK(metrics.find("omni_http_requests_total") != std::string::npos);
}

TEST_CASE("omnid keeps connections alive and answers pipelined requests", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "");
  RawConnection raw(omnid.port());
  raw.Send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: one\r\n\r\n"
           "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: two\r\n\r\n");
  const std::string both = raw.ReadUntil("X-Request-Id: two", 10s);
  CHECK(both.find("X-Request-Id: one") != std::string::npos);
  CHECK(both.find("X-Request-Id: two") != std::string::npos);
  CHECK_FALSE(raw.closed());
  raw.Send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: three\r\n\r\n");
  const std::string all = raw.ReadUntilClosed(10s);
  CHECK(all.find("X-Request-Id: three") != std::string::npos);
  CHECK(raw.closed());
}

TEST_CASE("omnid answers HEAD like GET without the body", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "");
  RawConnection raw(omnid.port());
  raw.Send("HEAD /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: head\r\n\r\n"
           "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: get\r\n\r\n");
  const std::string replies = raw.ReadUntilClosed(10s);
  const std::size_t get_at = replies.find("HTTP/1.1", 1);
  REQUIRE(get_at != std::string::npos);
  const std::string head_reply = replies.substr(0, get_at);
  CHECK(head_reply.starts_with("HTTP/1.1 200 OK"));
  CHECK(head_reply.find("Content-Length: 16") != std::string::npos);
  CHECK(head_reply.ends_with("\r\n\r\n"));  // the head only
  CHECK(replies.substr(get_at).ends_with("{\"status\":\"ok\"}\n"));
}

TEST_CASE("omnid times out slow clients", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "", "  read_timeout_ms: 1000\n  idle_timeout_ms: 1500\n");

  SECTION("a client that sends nothing") {
    RawConnection raw(omnid.port());
    const auto start = std::chrono::steady_clock::now();
    raw.ReadUntilClosed(10s);
    CHECK(raw.closed());
    CHECK(SecondsSince(start) > 0.8);
    CHECK(SecondsSince(start) < 4);
  }
  SECTION("a client that trickles its request head") {
    RawConnection raw(omnid.port());
    const auto start = std::chrono::steady_clock::now();
    raw.Send("GET /healthz HTTP/1.1\r\n");
    for (int i = 0; i < 8 && !raw.closed(); ++i) {
      try {
        raw.Send("X");
      } catch (const std::runtime_error&) {
        break;
      }
      raw.ReadUntil("never", 250ms);
    }
    raw.ReadUntilClosed(10s);
    CHECK(raw.closed());
    CHECK(SecondsSince(start) < 4);
  }
  SECTION("an idle kept-alive connection") {
    RawConnection raw(omnid.port());
    raw.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(raw.ReadUntil("{\"status\":\"ok\"}", 5s).find("200 OK") != std::string::npos);
    const auto start = std::chrono::steady_clock::now();
    raw.ReadUntilClosed(10s);
    CHECK(raw.closed());
    CHECK(SecondsSince(start) > 1.2);
    CHECK(SecondsSince(start) < 5);
  }
  // The server still serves after cutting them off.
  CHECK(HttpGet(omnid.port(), "/healthz").status == 200);
}

TEST_CASE("SIGTERM lets the request in flight finish, then omnid exits 0", "[http]") {
  omni::test::TestDatabase db;
  OmnidRunner omnid(db.url(), "", "  read_timeout_ms: 20000\n");

  // A request whose head has only partly arrived is in flight; a connection
  // with nothing sent is idle.
  RawConnection in_flight(omnid.port());
  in_flight.Send("GET /readyz HTTP/1.1\r\nHost: t\r\n");
  RawConnection idle(omnid.port());
  std::this_thread::sleep_for(300ms);

  omnid.process().Signal(SIGTERM);
  REQUIRE(omnid.process().WaitForStderr("\"shutting down\"", 10s));
  idle.ReadUntilClosed(5s);
  CHECK(idle.closed());
  bool refused = false;
  for (int attempt = 0; attempt < 50 && !refused; ++attempt) {
    refused = ConnectionRefused(omnid.port());
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  CHECK(refused);
  CHECK(omnid.process().Running());

  in_flight.Send("X-Request-Id: drained\r\n\r\n");
  const std::string reply = in_flight.ReadUntilClosed(10s);
  CHECK(reply.starts_with("HTTP/1.1 200 OK"));
  CHECK(reply.find("Connection: close") != std::string::npos);
  CHECK(reply.find("\"status\":\"ready\"") != std::string::npos);
  CHECK(omnid.process().Wait(15s) == 0);
  CHECK(RequestLog(omnid, "drained"));
}

TEST_CASE("SIGTERM stops an omnid with no open connection at once", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "");
  REQUIRE(HttpGet(omnid.port(), "/healthz").status == 200);
  std::this_thread::sleep_for(100ms);  // the server notices the closed connection
  const auto start = std::chrono::steady_clock::now();
  omnid.process().Signal(SIGTERM);
  CHECK(omnid.process().Wait(10s) == 0);
  CHECK(SecondsSince(start) < 3);
  CHECK(omnid.process().Stderr().find("\"shutdown complete\"") != std::string::npos);
}

TEST_CASE("SIGINT drains like SIGTERM", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "");
  RawConnection in_flight(omnid.port());
  in_flight.Send("GET /healthz HTTP/1.1\r\n");
  std::this_thread::sleep_for(300ms);
  omnid.process().Signal(SIGINT);
  REQUIRE(omnid.process().WaitForStderr("\"shutting down\"", 10s));
  in_flight.Send("Host: t\r\n\r\n");
  CHECK(in_flight.ReadUntilClosed(10s).starts_with("HTTP/1.1 200 OK"));
  CHECK(omnid.process().Wait(10s) == 0);
}

TEST_CASE("SIGTERM force-closes what is still open after the grace period", "[http]") {
  OmnidRunner omnid(kUnreachableDatabase, "", "  read_timeout_ms: 60000\n  shutdown_grace_ms: 500\n");
  RawConnection stuck(omnid.port());
  stuck.Send("GET /healthz HTTP/1.1\r\n");
  std::this_thread::sleep_for(300ms);
  const auto start = std::chrono::steady_clock::now();
  omnid.process().Signal(SIGTERM);
  CHECK(omnid.process().Wait(15s) == 0);
  CHECK(SecondsSince(start) > 0.4);
  CHECK(SecondsSince(start) < 5);
  stuck.ReadUntilClosed(5s);
  CHECK(stuck.closed());
}

TEST_CASE("omnid's command line", "[http]") {
  using omni::test::Run;
  SECTION("--version and --help") {
    const auto version = Run(OMNID_PATH, {.args = {"--version"}});
    CHECK(version.exit_code == 0);
    CHECK(version.out.starts_with("omnid "));
    const auto help = Run(OMNID_PATH, {.args = {"--help"}});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("--listen HOST:PORT") != std::string::npos);
    CHECK(help.out.find("$ omnid") != std::string::npos);
  }
  SECTION("usage errors exit 2") {
    const auto unknown = Run(OMNID_PATH, {.args = {"--bogus"}});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("omnid: unknown argument --bogus") != std::string::npos);
    const auto listen = Run(OMNID_PATH, {.args = {"--listen", "nonsense"}});
    CHECK(listen.exit_code == 2);
  }
  SECTION("an invalid config exits 3 naming the file and line") {
    TempDir dir;
    const auto path = (dir.path() / "omni.yaml").string();
    std::ofstream(path) << "server:\n  listen: 127.0.0.1:8080\n  bogus_key: 1\n";
    const auto result = Run(OMNID_PATH, {.args = {"--config", path}});
    CHECK(result.exit_code == 3);
    CHECK(result.err.find("omni.yaml:3") != std::string::npos);
  }
  SECTION("a plan tier that does not exist exits 3 naming its place") {
    TempDir dir;
    const auto path = (dir.path() / "omni.yaml").string();
    std::ofstream(path) << "database:\n  url: \"" << kUnreachableDatabase << "\"\nplans:\n  gold:\n    documents: 5\n";
    const auto result = Run(OMNID_PATH, {.args = {"--config", path, "--listen", "127.0.0.1:0"}}, 10s);
    CHECK(result.exit_code == 3);
    CHECK(result.err.find(path + ":4:3: plans.gold: unknown key") != std::string::npos);
  }
  SECTION("a taken listen address exits 4") {
    OmnidRunner first(kUnreachableDatabase, "");
    TempDir dir;
    const auto path = (dir.path() / "omni.yaml").string();
    std::ofstream(path) << "database:\n  url: \"" << kUnreachableDatabase << "\"\n";
    const auto result =
        Run(OMNID_PATH, {.args = {"--config", path, "--listen", "127.0.0.1:" + std::to_string(first.port())}});
    CHECK(result.exit_code == 4);
    CHECK(result.err.find("could not listen on 127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
  }
}
