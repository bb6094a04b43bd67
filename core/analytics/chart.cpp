// The trend chart as SVG; see chart.hpp.
#include "core/analytics/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/booking/local_time.hpp"

namespace omni::analytics {
namespace {

constexpr double kWidth = 480, kHeight = 200;
constexpr double kLeft = 44, kRight = 10, kTop = 30, kBottom = 26;

std::string EscapeXml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value`,
// so that gridlines fall on round numbers.
double NiceCeiling(double value) {
  if (value <= 0) return 1;
  const double power = std::pow(10, std::floor(std::log10(value)));
  for (const double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

}  // namespace

ValueFormat FormatOfMetric(const std::string& metric) {
  if (EndsWith(metric, "_rate")) return ValueFormat::kRate;
  if (EndsWith(metric, "_time")) return ValueFormat::kSeconds;
  if (metric == "cost_usd") return ValueFormat::kUsd;
  if (metric == "csat_score") return ValueFormat::kScore;
  return ValueFormat::kCount;
}

std::string FormatValue(double value, ValueFormat format) {
  char text[48];
  switch (format) {
    case ValueFormat::kRate:
      std::snprintf(text, sizeof text, "%.0f%%", value * 100);
      return text;
    case ValueFormat::kSeconds: {
      const auto total = static_cast<long long>(std::llround(value));
      if (total >= 3600) return std::to_string(total / 3600) + "h " + std::to_string(total % 3600 / 60) + "m";
      if (total >= 60) return std::to_string(total / 60) + "m " + std::to_string(total % 60) + "s";
      return std::to_string(total) + "s";
    }
    case ValueFormat::kUsd:
      std::snprintf(text, sizeof text, "$%.2f", value);
      return text;
    case ValueFormat::kScore:
      std::snprintf(text, sizeof text, "%.1f", value);
      return text;
    case ValueFormat::kCount:
      break;
  }
  std::snprintf(text, sizeof text, std::floor(value) == value ? "%.0f" : "%.1f", value);
  return text;
}

std::string TrendSvg(const std::vector<TrendPoint>& points, const std::string& title, ValueFormat format) {
  double top = 0;
  for (const auto& point : points) top = std::max(top, point.value);
  // Floors keep the gridline labels distinct: 10%, 2 seconds, 1 of a count.
  top = format == ValueFormat::kRate      ? std::max(NiceCeiling(top), 0.1)
        : format == ValueFormat::kScore   ? 5.0
        : format == ValueFormat::kSeconds ? std::max(NiceCeiling(top), 2.0)
                                          : NiceCeiling(top);
  const double plot_width = kWidth - kLeft - kRight;
  const double plot_height = kHeight - kTop - kBottom;
  const auto x = [&](std::size_t i) {
    return points.size() < 2 ? kLeft + plot_width / 2 : kLeft + plot_width * i / (points.size() - 1);
  };
  const auto y = [&](double value) { return kTop + plot_height * (1 - std::clamp(value / top, 0.0, 1.0)); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 480 200\" width=\"480\" height=\"200\""
                    " role=\"img\" font-family=\"system-ui, sans-serif\" font-size=\"12\">";
  svg += "<title>" + EscapeXml(title) + "</title>";
  svg += "<text x=\"" + Number(kLeft) + "\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2933\">" +
         EscapeXml(title) + "</text>";
  for (const double fraction : {0.0, 0.5, 1.0}) {
    const double value = top * fraction;
    svg += "<line x1=\"" + Number(kLeft) + "\" x2=\"" + Number(kWidth - kRight) + "\" y1=\"" + Number(y(value)) +
           "\" y2=\"" + Number(y(value)) + "\" stroke=\"#d9dee5\" stroke-width=\"1\"/>";
    svg += "<text x=\"" + Number(kLeft - 6) + "\" y=\"" + Number(y(value) + 4) +
           "\" text-anchor=\"end\" fill=\"#52606d\">" + EscapeXml(FormatValue(value, format)) + "</text>";
  }
  if (points.empty()) {
    svg += "<text x=\"240\" y=\"110\" text-anchor=\"middle\" fill=\"#7b8794\">no data</text></svg>";
    return svg;
  }
  std::string line;
  for (std::size_t i = 0; i < points.size(); ++i) {
    line += (i == 0 ? "" : " ") + Number(x(i)) + "," + Number(y(points[i].value));
  }
  svg += "<polygon points=\"" + Number(x(0)) + "," + Number(y(0)) + " " + line + " " +
         Number(x(points.size() - 1)) + "," + Number(y(0)) + "\" fill=\"#2f5dd8\" fill-opacity=\"0.12\"/>";
  svg += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"#2f5dd8\" stroke-width=\"2\"/>";
  for (std::size_t i = 0; i < points.size(); ++i) {
    svg += "<circle cx=\"" + Number(x(i)) + "\" cy=\"" + Number(y(points[i].value)) +
           "\" r=\"3\" fill=\"#2f5dd8\"><title>" + booking::FormatDate(points[i].bucket) + ": " +
           EscapeXml(FormatValue(points[i].value, format)) + "</title></circle>";
  }
  const auto label = [&](std::size_t i, const char* anchor) {
    svg += "<text x=\"" + Number(x(i)) + "\" y=\"" + Number(kHeight - 8) + "\" text-anchor=\"" + anchor +
           "\" fill=\"#52606d\">" + booking::FormatDate(points[i].bucket) + "</text>";
  };
  label(0, points.size() == 1 ? "middle" : "start");
  if (points.size() > 1) label(points.size() - 1, "end");
  svg += "</svg>";
  return svg;
}

}  // namespace omni::analytics
