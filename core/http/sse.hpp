// Server-sent events (text/event-stream): an incremental parser for streams
// read from upstream services, and framing for the events omnid sends.
//
// The parser follows the WHATWG event-stream rules: lines end in CRLF, LF or
// CR (a CRLF split across two reads counts once), ':' starts a comment, a
// blank line dispatches the event, several `data:` lines join with '\n', and
// a leading UTF-8 BOM is skipped. Bytes may be fed in pieces of any size.
// Pure and not thread-safe: one parser per stream.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace omni::http {

struct SseEvent {
  std::string event;  // the `event:` field; empty means "message"
  std::string data;   // the `data:` lines joined by '\n'
  std::string id;     // the `id:` field of this event, empty when absent
};

class SseParser {
 public:
  // `max_event_bytes` caps one line and one event's data, so that a broken
  // upstream cannot grow memory without bound.
  explicit SseParser(std::size_t max_event_bytes = 4 * 1024 * 1024);

  // Consumes `bytes` and returns the events they complete, in order. Throws
  // UpstreamError when a line or an event exceeds the cap.
  std::vector<SseEvent> Feed(std::string_view bytes);

  // Comment lines seen so far (keep-alives such as ": OPENROUTER PROCESSING").
  std::size_t comment_count() const { return comment_count_; }

  // True when bytes of an undispatched event are pending: a stream that ends
  // here was cut mid-event (the spec discards such an event).
  bool HasPartialEvent() const;

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string line_;
  bool skip_lf_ = false;      // the previous byte was a CR ending a line
  bool at_stream_start_ = true;
  bool has_data_ = false;
  SseEvent pending_;
  std::size_t comment_count_ = 0;
};

// Frames one event: `event:` (when non-empty), `id:` (when non-empty), one
// `data:` line per line of `data` (CRLF and CR count as line ends), then the
// blank line. Throws InvalidInput when `event` or `id` holds a line break.
std::string FormatSseEvent(std::string_view event, std::string_view data, std::string_view id = {});

// Frames a comment line, e.g. a keep-alive that clients ignore. Line breaks
// in `text` are replaced by spaces.
std::string FormatSseComment(std::string_view text);

}  // namespace omni::http
