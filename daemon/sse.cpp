// SseStream; see sse.hpp.
#include "daemon/sse.hpp"

#include "core/http/sse.hpp"

namespace omni::omnid {

asio::awaitable<void> SseStream::Start(Headers extra) {
  extra.Set("Content-Type", "text/event-stream; charset=utf-8");
  extra.Set("Cache-Control", "no-store");
  // nginx buffers responses unless told not to.
  extra.Set("X-Accel-Buffering", "no");
  co_await exchange_.StartStream(200, std::move(extra));
}

asio::awaitable<void> SseStream::Send(std::string_view event, std::string_view data, std::string_view id) {
  co_await exchange_.WriteChunk(http::FormatSseEvent(event, data, id));
}

asio::awaitable<void> SseStream::Comment(std::string_view text) {
  co_await exchange_.WriteChunk(http::FormatSseComment(text));
}

}  // namespace omni::omnid
