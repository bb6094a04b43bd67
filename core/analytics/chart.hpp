// A trend drawn as a small SVG line chart, for the console's dashboard:
// drawn by omnid, so the page loads no charting script. The document is
// self-contained (no script, no external reference, no CSS), safe to show
// through <img>. Thread-safe: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/analytics/analytics.hpp"

namespace omni::analytics {

// How a metric's values read on the chart's labels.
enum class ValueFormat { kCount, kRate, kSeconds, kUsd, kScore };

// The format for a trend metric by its name (TrendMetrics): "_rate" is a
// rate, "_time" seconds, "cost_usd" dollars, "csat_score" a score, else a count.
ValueFormat FormatOfMetric(const std::string& metric);

// `value` as its label reads: "12", "34%", "2m 5s", "$0.42", "4.5".
std::string FormatValue(double value, ValueFormat format);

// An SVG document of `points` (oldest first) titled `title` (escaped
// here): a line over the buckets with a dot per point, each with a <title>
// of its date and value, gridlines at 0, half and the top, and the first
// and last dates. An empty series draws the axes with "no data".
std::string TrendSvg(const std::vector<TrendPoint>& points, const std::string& title, ValueFormat format);

}  // namespace omni::analytics
