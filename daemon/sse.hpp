// Server-Sent Events over an Exchange's chunked response; the framing is
// core's (core/http/sse.hpp).
//
//   SseStream sse(exchange);
//   co_await sse.Start();                      // 200, text/event-stream
//   co_await sse.Send("token", R"({"text":"Hi"})");
//   co_await sse.Comment("keep-alive");        // while waiting for the model
//
// Each event is written as one chunk and awaited, so a slow reader slows the
// producer instead of growing a buffer. Thread-safety: one coroutine only.
#pragma once

#include <string_view>

#include "daemon/handler.hpp"

namespace omni::omnid {

class SseStream {
 public:
  explicit SseStream(Exchange& exchange) : exchange_(exchange) {}

  // Sends the 200 head with Content-Type text/event-stream, no caching and no
  // proxy buffering, plus `extra` headers (CORS, for instance).
  asio::awaitable<void> Start(Headers extra = {});
  // Sends one event; throws Unavailable when the client is gone or too slow,
  // InvalidInput when `event` or `id` holds a line break.
  asio::awaitable<void> Send(std::string_view event, std::string_view data, std::string_view id = {});
  // Sends a comment line, which clients ignore (a keep-alive).
  asio::awaitable<void> Comment(std::string_view text);

 private:
  Exchange& exchange_;
};

}  // namespace omni::omnid
