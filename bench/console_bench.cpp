// Operator console benchmark (scripts/bench_console.sh runs it), with a
// throwaway PostgreSQL database, the fake model and two omnid processes on
// it:
//  1. the delay from a visitor's message sent to omnid A until an
//     operator's inbox stream on omnid B (GET /v1/console/events) carries
//     its visitor_message event: LISTEN/NOTIFY across processes. The
//     conversation is handed off first, as when an operator waits for the
//     visitor, so the model's answer does not share the measured path.
//  2. the console's page weight on first load: the page, its script and
//     its stylesheet, as sent and gzipped (gzip -9), with their headers.
// Usage: omni_console_bench [MESSAGES]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/billing/plans.hpp"
#include "core/business/business.hpp"
#include "core/business/business_file.hpp"
#include "core/chat/conversations.hpp"
#include "core/common/clock.hpp"
#include "core/operators/keys.hpp"
#include "tests/support/fake_openai.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/pg_harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace omni;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using nlohmann::json;

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

struct Omnid {
  Omnid(const std::string& database_url, const std::string& model_url) {
    config = (dir.path() / "omni.yaml").string();
    std::ofstream(config) << "database:\n  url: \"" << database_url << "\"\n"
                          << "server:\n  listen: 127.0.0.1:0\n  visitor_rate_per_min: 0\n  ip_rate_per_min: 0\n"
                          << "llm:\n  base_url: " << model_url << "\n  api_key: k\n  models: [fake-model]\n"
                          << "logging:\n  level: error\n";
    process.emplace(OMNID_PATH, test::ProcessOptions{.args = {"--config", config}});
    if (!process->WaitForStdout("omnid listening on http://127.0.0.1:", 60s)) throw std::runtime_error("omnid did not start");
    std::smatch match;
    const std::string text = process->Stdout();
    std::regex_search(text, match, std::regex(R"(http://127\.0\.0\.1:(\d+))"));
    port = static_cast<std::uint16_t>(std::stoi(match[1]));
  }
  test::TempDir dir;
  std::string config;
  std::optional<test::Process> process;
  std::uint16_t port = 0;
};

std::size_t GzipSize(const std::string& body) {
  test::TempDir dir;
  const auto file = dir.path() / "body";
  std::ofstream(file, std::ios::binary) << body;
  const auto result = test::Run("/bin/sh", {.args = {"-c", "gzip -9 -c '" + file.string() + "' | wc -c"}});
  return std::stoul(result.out);
}

std::size_t HeaderBytes(const test::HttpResult& response) {
  std::size_t bytes = std::string("HTTP/1.1 200 OK\r\n\r\n").size();
  for (const auto& [name, value] : response.headers) bytes += name.size() + value.size() + 4;
  return bytes;
}

// A connection whose every read is stamped when recv returns, so an
// event's arrival time is when its bytes came, not when a poll looked.
class StampedStream {
 public:
  StampedStream(std::uint16_t port, const std::string& request) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect");
    const timeval timeout{0, 100000};  // so that the reader notices the end
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (send(fd_, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
      throw std::runtime_error("send");
    }
  }
  ~StampedStream() { close(fd_); }
  // Appends what arrives to `text`; false when nothing came within 100 ms.
  bool Read(std::string& text) {
    char buffer[8192];
    const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    text.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

 private:
  int fd_;
};

void Complain(const std::string& problem) { std::fprintf(stderr, "fake model: %s\n", problem.c_str()); }

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::max(10, std::atoi(argv[1])) : 300;
  test::TestDatabase db;
  test::FakeOpenAi fake(test::FakeOpenAiOptions{}, &Complain);
  fake.SetFallback([](const test::RecordedRequest&) { return test::TextReply({"ok"}); });
  const auto business_id =
      business::Apply(db.pool(), business::LoadBusinessFile(OMNI_SOURCE_DIR "/config/demo-salon.yaml")).business_id;
  const std::string key = operators::CreateKey(db.pool(), business_id, "bench", operators::Role::kAgent,
                                               DefaultClock().Now()).secret;
  Omnid a(db.url(), fake.base_url());
  Omnid b(db.url(), fake.base_url());

  // The visitor's conversation through A, handed off.
  const std::string token = test::HttpPost(a.port, "/v1/chat/demo-salon/session", "{}").Json()["token"];
  const auto first = test::HttpPost(a.port, "/v1/chat/demo-salon/messages", R"({"message":"hello"})",
                                    {{"Authorization", "Bearer " + token}});
  const std::string conversation = first.Header("X-Conversation-Id").value_or("");
  chat::Escalate(db.pool(), business_id, conversation, "bench");

  // The operator's inbox on B: a reader thread stamps each visitor_message
  // event of the conversation as it arrives.
  StampedStream inbox(b.port, "GET /v1/console/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key +
                                 "\r\n\r\n");
  // Subscribed once the stream says ready.
  std::string head;
  const auto ready_by = Steady::now() + 15s;
  while (head.find("event: ready") == std::string::npos) {
    if (Steady::now() > ready_by) {
      std::fprintf(stderr, "the inbox stream never said ready: %s\n", head.c_str());
      return 1;
    }
    inbox.Read(head);
  }
  const std::string marker = json{{"conversation_id", conversation}, {"kind", "visitor_message"}}.dump();
  std::mutex mutex;
  std::vector<Steady::time_point> arrivals;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::size_t seen = 0;
    std::string text = head;
    while (!done.load()) {
      if (!inbox.Read(text)) continue;
      const auto now = Steady::now();
      std::size_t count = 0;
      for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) ++count;
      std::lock_guard lock(mutex);
      for (; seen < count; ++seen) arrivals.push_back(now);
    }
  });

  const auto stop = [&] {
    done = true;
    reader.join();
  };
  std::vector<double> delays;
  const std::string body = json{{"message", "are you there?"}, {"conversation_id", conversation}}.dump();
  for (int i = 0; i < messages; ++i) {
    const std::size_t want = static_cast<std::size_t>(i) + 1;
    const auto sent = Steady::now();
    const auto response =
        test::HttpPost(a.port, "/v1/chat/demo-salon/messages", body, {{"Authorization", "Bearer " + token}});
    if (response.status != 200) {
      std::fprintf(stderr, "message %d: HTTP %d %s\n", i, response.status, response.body.c_str());
      stop();
      return 1;
    }
    const auto deadline = Steady::now() + 5s;
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (arrivals.size() >= want) {
          delays.push_back(Ms(arrivals[want - 1] - sent));
          break;
        }
      }
      if (Steady::now() > deadline) {
        std::fprintf(stderr, "message %d: no inbox event within 5 s\n", i);
        stop();
        return 1;
      }
      std::this_thread::sleep_for(1ms);
    }
  }
  stop();
  std::printf("visitor message on omnid A -> inbox event on omnid B (%d messages, one conversation):\n", messages);
  std::printf("  p50 %.1f ms   p90 %.1f ms   p99 %.1f ms   max %.1f ms\n", Percentile(delays, 0.5),
              Percentile(delays, 0.9), Percentile(delays, 0.99), *std::max_element(delays.begin(), delays.end()));

  std::size_t total = 0, total_gzip = 0, total_headers = 0;
  std::printf("console first load (GET /console, its script and stylesheet):\n");
  for (const char* path : {"/console", "/console/console.js", "/console/console.css"}) {
    const auto response = test::HttpGet(b.port, path);
    const std::size_t gz = GzipSize(response.body);
    std::printf("  %-22s %7zu bytes   %6zu gzipped\n", path, response.body.size(), gz);
    total += response.body.size();
    total_gzip += gz;
    total_headers += HeaderBytes(response);
  }
  std::printf("  %-22s %7zu bytes   %6zu gzipped   (+ %zu bytes of headers)\n", "total", total, total_gzip, total_headers);
  std::printf("  omnid sends the bodies as they are; the gzipped size is what a compressing proxy would send\n");
  return 0;
}
