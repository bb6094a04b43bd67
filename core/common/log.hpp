// Process-wide logging for omni and omnid: spdlog to stderr, as text or as
// JSON lines, with structured fields.
//
// Setup() configures the default spdlog logger once at program start; every
// module then logs through the functions below (or plain spdlog calls, which
// get the same format). A structured line is a short lower-case message plus
// fields:
//   log::Info("request", {{"request_id", id}, {"status", 200}});
// renders as text `... info request request_id=ab12 status=200`, or as JSON
// `{"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"request",
//   "request_id":"ab12","status":200}` on one line.
// Thread-safe: Setup must run before other threads log; the log functions may
// be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace omni::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// How the process logs; omni.yaml's `logging` section.
struct Settings {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text or json
};

// Parses "trace", "debug", "info", "warn" (or "warning"), "error", "off";
// nullopt for anything else.
std::optional<Level> ParseLevel(std::string_view name);

// Configures the default logger: level and format ("text" or "json") from
// `settings`, output to stderr, `program` (e.g. "omnid") shown in text lines.
// Throws ConfigError naming the setting when the level or format is unknown.
// May be called again (tests, reconfiguration); the last call wins.
void Setup(const Settings& settings, const std::string& program);

// True when a line at `level` would be written.
bool Enabled(Level level);

// Writes one line at `level`. `fields` must be a JSON object (or null); its
// members follow the message as key=value pairs (text) or as top-level keys
// (JSON, where they never override ts, level or msg).
void Write(Level level, std::string_view msg, const nlohmann::json& fields);
void Write(Level level, std::string_view msg);

void Debug(std::string_view msg, const nlohmann::json& fields);
void Debug(std::string_view msg);
void Info(std::string_view msg, const nlohmann::json& fields);
void Info(std::string_view msg);
void Warn(std::string_view msg, const nlohmann::json& fields);
void Warn(std::string_view msg);
void Error(std::string_view msg, const nlohmann::json& fields);
void Error(std::string_view msg);

// Renders `fields` as ` key=value key2="value with spaces"` (leading space,
// empty for no fields), the text format's suffix. Exposed for tests.
std::string FormatTextFields(const nlohmann::json& fields);

}  // namespace omni::log
