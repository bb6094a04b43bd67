// The `server` section of omni.yaml: omnid's listen address, limits and timeouts.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/detail/sections.hpp"

namespace omni::config::detail {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kServerKeys = {
    "listen",           "public_url",      "max_body_bytes",    "max_header_bytes",     "read_timeout_ms",
    "write_timeout_ms", "idle_timeout_ms", "shutdown_grace_ms", "io_threads",           "db_threads",
    "token_secret",     "token_ttl_s",     "max_message_chars", "visitor_rate_per_min", "visitor_burst",
    "ip_rate_per_min",  "ip_burst",        "sse_keepalive_ms",  "unanswered_after_s"};

void ParseListen(const Parser& parser, const Entry& entry, ServerSettings& server) {
  const std::string expected = "host:port, e.g. 127.0.0.1:8080";
  std::string text = parser.Scalar(entry, expected);
  std::string host;
  std::string port_text;
  if (StartsWith(text, "[")) {
    std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      parser.FailValue(entry, "expected " + expected + ", got " + Shown(text), "Write an IPv6 address as [::1]:8080.");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    bool port_only =
        !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
    if (colon == std::string::npos && port_only) {
      parser.FailValue(
          entry, "expected " + expected + ", got " + Shown(text) + " (no host)",
          "Write 127.0.0.1:" + text + " for this machine only, or 0.0.0.0:" + text + " for every interface.");
    }
    if (colon == std::string::npos) {
      parser.FailValue(entry, "expected " + expected + ", got " + Shown(text) + " (no port)",
                       "Add the port, e.g. " + (text.empty() ? std::string("127.0.0.1") : text) + ":8080.");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      parser.FailValue(entry, "expected " + expected + ", got " + Shown(text), "Write an IPv6 address as [::1]:8080.");
    }
  }
  if (host.empty()) {
    parser.FailValue(entry, "expected " + expected + ", got " + Shown(text) + " (no host)",
                     "Use 0.0.0.0:PORT to listen on every interface, or 127.0.0.1:PORT for this machine only.");
  }
  std::optional<long long> port = ParseInteger(port_text);
  bool digits_only = !port_text.empty() &&
                     std::all_of(port_text.begin(), port_text.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!port || !digits_only || *port < 0 || *port > 65535) {
    parser.FailValue(entry, "expected a port from 0 to 65535 after the host, got " + Shown(port_text),
                     "Write the address as host:port, e.g. 127.0.0.1:8080.");
  }
  server.listen_host = host;
  server.listen_port = static_cast<std::uint16_t>(*port);
}

void ParseServer(const Parser& parser, const Entry& entry, Config& config) {
  ServerSettings& server = config.server;
  Section section(parser, entry, kServerKeys);
  if (const Entry* listen = section.Find("listen")) ParseListen(parser, *listen, server);
  section.Url("public_url", &server.public_url, true);
  section.Integer("max_body_bytes", &server.max_body_bytes, 1, kMaxBytes);
  section.Integer("max_header_bytes", &server.max_header_bytes, 1024, 1024 * 1024);
  section.Millis("read_timeout_ms", &server.read_timeout_ms);
  section.Millis("write_timeout_ms", &server.write_timeout_ms);
  section.Millis("idle_timeout_ms", &server.idle_timeout_ms);
  section.Millis("shutdown_grace_ms", &server.shutdown_grace_ms, 0);
  section.Integer("io_threads", &server.io_threads, 1, 256);
  section.Integer("db_threads", &server.db_threads, 1, 256);
  if (const Entry* secret = section.String("token_secret", &server.token_secret)) {
    if (!server.token_secret.empty() && server.token_secret.size() < 16) {
      parser.FailValue(*secret, "expected at least 16 characters, got " + std::to_string(server.token_secret.size()),
                       "Generate one with `openssl rand -hex 32` and pass it through an environment variable.");
    }
  }
  section.Integer("token_ttl_s", &server.token_ttl_s, 1, 366 * 86400);
  section.Integer("max_message_chars", &server.max_message_chars, 1, 100000);
  section.Number("visitor_rate_per_min", &server.visitor_rate_per_min, 0, 1e9, false, "a number from 0 up");
  section.Integer("visitor_burst", &server.visitor_burst, 1, 1000000);
  section.Number("ip_rate_per_min", &server.ip_rate_per_min, 0, 1e9, false, "a number from 0 up");
  section.Integer("ip_burst", &server.ip_burst, 1, 1000000);
  section.Millis("sse_keepalive_ms", &server.sse_keepalive_ms);
  section.Integer("unanswered_after_s", &server.unanswered_after_s, 1, 86400);
}

void ShowServer(const Config& config, const Json&, Json& out) {
  const auto& server = config.server;
  std::string host =
      server.listen_host.find(':') != std::string::npos ? "[" + server.listen_host + "]" : server.listen_host;
  out["server"] = Json{{"listen", host + ":" + std::to_string(server.listen_port)},
                       {"public_url", server.public_url},
                       {"max_body_bytes", server.max_body_bytes},
                       {"max_header_bytes", server.max_header_bytes},
                       {"read_timeout_ms", server.read_timeout_ms},
                       {"write_timeout_ms", server.write_timeout_ms},
                       {"idle_timeout_ms", server.idle_timeout_ms},
                       {"shutdown_grace_ms", server.shutdown_grace_ms},
                       {"io_threads", server.io_threads},
                       {"db_threads", server.db_threads},
                       {"token_secret", Secret(server.token_secret)},
                       {"token_ttl_s", server.token_ttl_s},
                       {"max_message_chars", server.max_message_chars},
                       {"visitor_rate_per_min", server.visitor_rate_per_min},
                       {"visitor_burst", server.visitor_burst},
                       {"ip_rate_per_min", server.ip_rate_per_min},
                       {"ip_burst", server.ip_burst},
                       {"sse_keepalive_ms", server.sse_keepalive_ms},
                       {"unanswered_after_s", server.unanswered_after_s}};
}

}  // namespace

SectionSpec ServerSection() { return {"server", {{"server", &kServerKeys}}, ParseServer, ShowServer}; }

}  // namespace omni::config::detail
