// Incremental event-stream parser and event framing (see sse.hpp).
#include "core/http/sse.hpp"

#include "core/common/error.hpp"

namespace omni::http {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string TooLarge(std::size_t cap) {
  return "server-sent event exceeds " + std::to_string(cap) + " bytes";
}

}  // namespace

SseParser::SseParser(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

bool SseParser::HasPartialEvent() const {
  return has_data_ || !line_.empty() || !pending_.event.empty() || !pending_.id.empty();
}

std::vector<SseEvent> SseParser::Feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  // The BOM may itself arrive split across reads, so it is matched byte by byte.
  while (at_stream_start_ && !bytes.empty()) {
    if (line_.size() < kBom.size() && bytes.front() == kBom[line_.size()]) {
      line_.push_back(bytes.front());
      bytes.remove_prefix(1);
      if (line_.size() == kBom.size()) {
        line_.clear();
        at_stream_start_ = false;
      }
    } else {
      at_stream_start_ = false;  // not a BOM: what was held is ordinary line text
    }
  }
  while (!bytes.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    const std::size_t end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      if (line_.size() + bytes.size() > max_event_bytes_) throw UpstreamError(TooLarge(max_event_bytes_));
      line_.append(bytes);
      return out;
    }
    if (line_.size() + end > max_event_bytes_) throw UpstreamError(TooLarge(max_event_bytes_));
    if (line_.empty()) {
      ProcessLine(bytes.substr(0, end), out);
    } else {
      line_.append(bytes.substr(0, end));
      ProcessLine(line_, out);
      line_.clear();
    }
    skip_lf_ = bytes[end] == '\r';
    bytes.remove_prefix(end + 1);
  }
  return out;
}

void SseParser::ProcessLine(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (has_data_) {
      out.push_back(std::move(pending_));
    }
    pending_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    ++comment_count_;
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (pending_.data.size() + value.size() + 1 > max_event_bytes_) throw UpstreamError(TooLarge(max_event_bytes_));
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) pending_.id.assign(value);
  }
  // Other fields (`retry`, unknown names) do not matter to omni's clients.
}

std::string FormatSseEvent(std::string_view event, std::string_view data, std::string_view id) {
  if (event.find_first_of("\r\n") != std::string_view::npos) {
    throw InvalidInput("server-sent event name contains a line break");
  }
  if (id.find_first_of("\r\n") != std::string_view::npos) {
    throw InvalidInput("server-sent event id contains a line break");
  }
  std::string out;
  out.reserve(data.size() + event.size() + id.size() + 24);
  if (!event.empty()) out.append("event: ").append(event).push_back('\n');
  if (!id.empty()) out.append("id: ").append(id).push_back('\n');
  while (true) {
    const std::size_t end = data.find_first_of("\r\n");
    out.append("data: ").append(data.substr(0, end)).push_back('\n');
    if (end == std::string_view::npos) break;
    const bool crlf = data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n';
    data.remove_prefix(end + (crlf ? 2 : 1));
  }
  out.push_back('\n');
  return out;
}

std::string FormatSseComment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\n\n");
  return out;
}

}  // namespace omni::http
