// The dashboard's trend chart as SVG (core/analytics/chart.hpp): labels by
// metric, a dot per bucket placed by value, escaping, and an empty series.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "core/analytics/chart.hpp"

namespace omni {
namespace {

using namespace std::chrono;

std::vector<analytics::TrendPoint> Points(const std::vector<double>& values) {
  std::vector<analytics::TrendPoint> points;
  for (std::size_t i = 0; i < values.size(); ++i) {
    analytics::TrendPoint point;
    point.bucket = year_month_day{sys_days{2026y / November / 1} + days{static_cast<int>(i)}};
    point.value = values[i];
    points.push_back(point);
  }
  return points;
}

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("metric values read as counts, rates, durations, dollars and scores", "[chart]") {
  using analytics::FormatOfMetric;
  using analytics::ValueFormat;
  CHECK(FormatOfMetric("conversations") == ValueFormat::kCount);
  CHECK(FormatOfMetric("handoff_rate") == ValueFormat::kRate);
  CHECK(FormatOfMetric("first_response_time") == ValueFormat::kSeconds);
  CHECK(FormatOfMetric("cost_usd") == ValueFormat::kUsd);
  CHECK(FormatOfMetric("csat_score") == ValueFormat::kScore);
  CHECK(analytics::FormatValue(12, ValueFormat::kCount) == "12");
  CHECK(analytics::FormatValue(0.346, ValueFormat::kRate) == "35%");
  CHECK(analytics::FormatValue(125, ValueFormat::kSeconds) == "2m 5s");
  CHECK(analytics::FormatValue(7300, ValueFormat::kSeconds) == "2h 1m");
  CHECK(analytics::FormatValue(0.4249, ValueFormat::kUsd) == "$0.42");
  CHECK(analytics::FormatValue(4.25, ValueFormat::kScore) == "4.2");
}

TEST_CASE("a trend chart has a dot per bucket with its date and value, highest at the top", "[chart]") {
  const std::string svg = analytics::TrendSvg(Points({0, 5, 2}), "Conversations <per day>", analytics::ValueFormat::kCount);
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("</svg>") == svg.size() - 6);
  CHECK(Count(svg, "<circle") == 3);
  CHECK(svg.find("<title>2026-11-02: 5</title>") != std::string::npos);
  CHECK(svg.find("Conversations &lt;per day&gt;") != std::string::npos);
  CHECK(svg.find("<per day>") == std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
  // Gridlines at 0, 2.5 and 5 (a round ceiling of the highest value); the
  // value 5 sits on the top one at y = 30 and 0 on the bottom one at y = 174.
  CHECK(svg.find(">5</text>") != std::string::npos);
  CHECK(svg.find(">2.5</text>") != std::string::npos);
  CHECK(svg.find("cy=\"30.0\"") != std::string::npos);
  CHECK(svg.find("cy=\"174.0\"") != std::string::npos);
  CHECK(svg.find(">2026-11-01</text>") != std::string::npos);
  CHECK(svg.find(">2026-11-03</text>") != std::string::npos);
}

TEST_CASE("short durations still get distinct gridline labels", "[chart]") {
  const std::string svg = analytics::TrendSvg(Points({0.2, 0.4}), "First response", analytics::ValueFormat::kSeconds);
  CHECK(svg.find(">0s</text>") != std::string::npos);
  CHECK(svg.find(">1s</text>") != std::string::npos);
  CHECK(svg.find(">2s</text>") != std::string::npos);
}

TEST_CASE("an empty trend draws its axes and says no data", "[chart]") {
  const std::string svg = analytics::TrendSvg({}, "Handoff rate", analytics::ValueFormat::kRate);
  CHECK(svg.find("no data") != std::string::npos);
  CHECK(svg.find("<circle") == std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
}

}  // namespace omni
