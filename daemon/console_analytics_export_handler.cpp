// GET /v1/console/analytics/conversations (analytics:read): one row per
// conversation started in [from, to], local dates of the business (default:
// the last 30 days), oldest first, as `omni analytics conversations`
// exports them (analytics::ConversationRowJson).
//
// CSV (format=csv, or Accept: text/csv; a header row of the field names,
// arrays joined with ',') or JSON (the default: an array of objects). The
// body is streamed in chunks while the database is read a page at a time,
// and the reader waits while the client has kMaxChunksInFlight chunks not
// yet taken, so memory stays flat however long the export and however
// slow the client. A client that goes away stops the export.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/analytics/analytics.hpp"
#include "core/booking/booking.hpp"
#include "core/booking/local_time.hpp"
#include "core/common/clock.hpp"
#include "core/common/csv.hpp"
#include "core/common/error.hpp"
#include "core/common/log.hpp"
#include "core/common/text.hpp"
#include "daemon/app.hpp"
#include "daemon/blocking.hpp"
#include "daemon/console.hpp"
#include "daemon/console_handlers.hpp"
#include "daemon/event_queue.hpp"

namespace omni::omnid {
namespace {

using nlohmann::json;

constexpr std::size_t kChunkBytes = 32 * 1024;
constexpr int kMaxChunksInFlight = 4;
constexpr int kDefaultDays = 30;

std::string CellText(const json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) joined += (joined.empty() ? "" : ",") + CellText(item);
    return joined;
  }
  return value.dump();
}

// Flow control between the reading thread and the writing coroutine.
struct Flow {
  std::mutex mutex;
  std::condition_variable space;
  int in_flight = 0;
  bool stopped = false;  // the client is gone: the reader gives up

  // Blocks the reader until a chunk may be queued; false once stopped.
  bool Acquire() {
    std::unique_lock lock(mutex);
    space.wait(lock, [&] { return in_flight < kMaxChunksInFlight || stopped; });
    if (stopped) return false;
    ++in_flight;
    return true;
  }
  void Release() {
    {
      std::lock_guard lock(mutex);
      --in_flight;
    }
    space.notify_one();
  }
  void Stop() {
    {
      std::lock_guard lock(mutex);
      stopped = true;
    }
    space.notify_one();
  }
};

// Thrown inside the export's callback to end it when the client left.
struct ExportStopped {};

analytics::DayRange RangeOf(const Request& request, const std::string& zone) {
  const std::string from = request.Query("from").value_or("");
  const std::string to = request.Query("to").value_or("");
  if (from.empty() && to.empty()) return analytics::LastDays(kDefaultDays, zone, DefaultClock().Now());
  const auto last = to.empty() ? booking::LocalDate(DefaultClock().Now(), zone) : booking::ParseDate(to, "to");
  const auto first = from.empty() ? std::chrono::year_month_day{std::chrono::sys_days{last} - std::chrono::days{kDefaultDays - 1}}
                                  : booking::ParseDate(from, "from");
  if (std::chrono::sys_days{last} < std::chrono::sys_days{first}) {
    throw InvalidInput("invalid range: to " + booking::FormatDate(last) + " is before from " + booking::FormatDate(first));
  }
  return {first, last};
}

asio::awaitable<Response> Export(Exchange& exchange, ConsoleCall& call) {
  const Request& request = exchange.request();
  const std::string format = Lower(request.Query("format").value_or(""));
  if (!format.empty() && format != "csv" && format != "json") {
    throw InvalidInput("format: expected csv or json, got \"" + format + "\"");
  }
  const bool csv = format == "csv" || (format.empty() && Lower(request.Header("Accept").value_or("")).find("text/csv") != std::string::npos);
  App& app = exchange.app();
  db::Pool& pool = app.pool();
  const std::string business_id = call.principal.business_id;
  const auto range = co_await RunBlocking(app.blocking(), [&] {
    return RangeOf(request, booking::BookingService(pool, DefaultClock()).TimeZone(business_id));
  });

  auto queue = co_await MakeEventQueue<std::string>();
  auto flow = std::make_shared<Flow>();
  app.blocking().Post([queue, flow, &pool, business_id, range, csv, request_id = request.request_id] {
    std::string buffer = csv ? CsvLine(analytics::ConversationRowFields()) : "[";
    bool first = true;
    const auto flush = [&] {
      if (!flow->Acquire()) throw ExportStopped{};
      queue->Push(std::move(buffer));
      buffer.clear();
    };
    try {
      analytics::ExportConversations(pool, business_id, range, [&](const analytics::ConversationRow& row) {
        const json object = analytics::ConversationRowJson(row);
        if (csv) {
          std::vector<std::string> cells;
          for (const auto& field : analytics::ConversationRowFields()) cells.push_back(CellText(object.at(field)));
          buffer += CsvLine(cells);
        } else {
          buffer += (first ? "\n" : ",\n") + object.dump();
        }
        first = false;
        if (buffer.size() >= kChunkBytes) flush();
      });
      if (!csv) buffer += first ? "]\n" : "\n]\n";
      flush();
    } catch (const ExportStopped&) {
    } catch (const std::exception& e) {
      // The status line is gone already: the stream ends short, and the
      // reason goes to the log only.
      log::Write(log::Level::kError, "analytics export failed", {{"request_id", request_id}, {"error", e.what()}});
    }
    queue->Close();
  });

  Headers headers;
  headers.Set("Content-Type", csv ? "text/csv; charset=utf-8" : "application/json");
  headers.Set("Cache-Control", "no-store");
  headers.Set("Content-Disposition", std::string("attachment; filename=\"conversations.") + (csv ? "csv" : "json") + "\"");
  try {
    co_await exchange.StartStream(200, std::move(headers));
    while (!queue->finished()) {
      for (auto& chunk : co_await queue->Next(std::chrono::seconds(5))) {
        co_await exchange.WriteChunk(std::move(chunk));
        flow->Release();
      }
    }
  } catch (...) {
    flow->Stop();
    throw;
  }
  co_return Response{};
}

}  // namespace

asio::awaitable<Response> HandleConsoleAnalyticsExport(Exchange& exchange) {
  co_return co_await RunConsole(exchange, operators::Permission::kAnalyticsRead, &Export);
}

}  // namespace omni::omnid
