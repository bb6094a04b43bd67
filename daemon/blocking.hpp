// The blocking-work executor: a fixed pool of threads for work that blocks
// (libpqxx queries, file reads), so that omnid's I/O threads never do.
//
//   const auto rows = co_await RunBlocking(app.blocking(), [&] { return Query(pool); });
//
// posts the function to a worker thread and resumes the coroutine on its own
// executor with the result, or rethrows what the function threw.
// Thread-safe: Run may be called from any thread or coroutine.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp needs it first (Boost 1.74)

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

namespace omni::omnid {

class BlockingExecutor {
 public:
  // Starts `threads` worker threads (at least one).
  explicit BlockingExecutor(int threads);
  // Joins the workers; call Shutdown first to bound the wait.
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Runs `fn` on a worker; the awaiting coroutine resumes on its own
  // executor. Rethrows fn's exception in the coroutine.
  boost::asio::awaitable<void> Run(std::function<void()> fn);

  // Runs `fn` on a worker without waiting for it (background jobs).
  void Post(std::function<void()> fn);

  // Tasks queued or running right now.
  int busy() const;

  // Waits up to `timeout` for queued and running tasks to finish, then stops
  // the workers. Returns false when some task was still running (it is
  // abandoned: the caller should exit the process rather than wait).
  bool Shutdown(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs `fn` on `executor`'s workers and returns its result to the coroutine.
template <class Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> RunBlocking(BlockingExecutor& executor, Fn fn) {
  using Result = std::invoke_result_t<Fn&>;
  if constexpr (std::is_void_v<Result>) {
    co_await executor.Run([&fn] { fn(); });
  } else {
    std::optional<Result> result;
    co_await executor.Run([&fn, &result] { result.emplace(fn()); });
    co_return std::move(*result);
  }
}

}  // namespace omni::omnid
