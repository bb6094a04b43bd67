// Logging setup and structured lines; see log.hpp.
//
// Both formats are produced by our own spdlog formatter, so that plain
// spdlog::info() calls from anywhere share the format. Structured fields
// reach the JSON formatter through a thread-local pointer: spdlog's
// synchronous logger formats on the calling thread, inside the log call.
#include "core/common/log.hpp"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/common/error.hpp"

namespace omni::log {
namespace {

thread_local const nlohmann::json* t_fields = nullptr;
std::atomic<bool> g_json_format{false};

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// RFC 3339 in UTC with milliseconds: 2026-01-02T03:04:05.678Z.
std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(millis.count()));
  return buf;
}

bool NeedsQuoting(const std::string& value) {
  if (value.empty()) return true;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

class LineFormatter final : public spdlog::formatter {
 public:
  LineFormatter(bool json, std::string program) : json_(json), program_(std::move(program)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string payload(msg.payload.data(), msg.payload.size());
    std::string line;
    if (json_) {
      nlohmann::json j = {{"ts", FormatTimestamp(msg.time)}, {"level", LevelName(msg.level)}, {"msg", payload}};
      if (t_fields != nullptr && t_fields->is_object()) {
        for (const auto& [key, value] : t_fields->items()) {
          if (key != "ts" && key != "level" && key != "msg") j[key] = value;
        }
      }
      // Invalid UTF-8 (a client's bytes) must not make logging throw.
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = FormatTimestamp(msg.time) + " " + LevelName(msg.level) + " " + program_ + ": " + payload;
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(json_, program_);
  }

 private:
  bool json_;
  std::string program_;
};

}  // namespace

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "trace") return Level::kTrace;
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  return std::nullopt;
}

void Setup(const Settings& settings, const std::string& program) {
  const auto level = ParseLevel(settings.level);
  if (!level) {
    throw ConfigError("logging.level: unknown level \"" + settings.level + "\"",
                      "Use one of trace, debug, info, warn, error or off.");
  }
  if (settings.format != "text" && settings.format != "json") {
    throw ConfigError("logging.format: unknown format \"" + settings.format + "\"", "Use text or json.");
  }
  const bool json = settings.format == "json";
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<LineFormatter>(json, program));
  auto logger = std::make_shared<spdlog::logger>(program, std::move(sink));
  logger->set_level(ToSpdlog(*level));
  logger->flush_on(spdlog::level::trace);
  g_json_format = json;
  spdlog::set_default_logger(std::move(logger));
}

bool Enabled(Level level) { return spdlog::default_logger_raw()->should_log(ToSpdlog(level)); }

std::string FormatTextFields(const nlohmann::json& fields) {
  std::string out;
  if (!fields.is_object()) return out;
  for (const auto& [key, value] : fields.items()) {
    out += ' ';
    out += key;
    out += '=';
    if (value.is_string()) {
      const auto& text = value.get_ref<const std::string&>();
      out += NeedsQuoting(text) ? value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : text;
    } else {
      out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return out;
}

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  auto* logger = spdlog::default_logger_raw();
  const auto spd_level = ToSpdlog(level);
  if (!logger->should_log(spd_level)) return;
  if (g_json_format) {
    t_fields = &fields;
    logger->log(spd_level, "{}", msg);
    t_fields = nullptr;
  } else {
    logger->log(spd_level, "{}{}", msg, FormatTextFields(fields));
  }
}

void Write(Level level, std::string_view msg) { Write(level, msg, nlohmann::json()); }

void Debug(std::string_view msg, const nlohmann::json& fields) { Write(Level::kDebug, msg, fields); }
void Debug(std::string_view msg) { Write(Level::kDebug, msg); }
void Info(std::string_view msg, const nlohmann::json& fields) { Write(Level::kInfo, msg, fields); }
void Info(std::string_view msg) { Write(Level::kInfo, msg); }
void Warn(std::string_view msg, const nlohmann::json& fields) { Write(Level::kWarn, msg, fields); }
void Warn(std::string_view msg) { Write(Level::kWarn, msg); }
void Error(std::string_view msg, const nlohmann::json& fields) { Write(Level::kError, msg, fields); }
void Error(std::string_view msg) { Write(Level::kError, msg); }

}  // namespace omni::log
