// Where blocking work runs: an interface for posting functions that block
// (libpqxx queries, file reads) off the I/O threads, and a fixed thread pool
// implementing it.
//
// Core services that are driven by callbacks on I/O threads (chat::Engine
// receives LlmClient completions there) take a BlockingExecutor& and post
// their database work to it, so that thousands of waiting turns hold no
// thread. omnid adapts its own worker pool to this interface; the CLI and
// tests use ThreadPoolExecutor.
// Thread-safe: Post may be called from any thread.
#pragma once

#include <functional>
#include <memory>

namespace omni {

class BlockingExecutor {
 public:
  virtual ~BlockingExecutor() = default;
  // Runs `fn` later on a worker thread and returns at once. `fn` must not
  // throw: an exception escaping it is logged and dropped.
  virtual void Post(std::function<void()> fn) = 0;
};

// A fixed pool of worker threads with an unbounded FIFO queue.
class ThreadPoolExecutor final : public BlockingExecutor {
 public:
  // Starts `threads` workers (at least one).
  explicit ThreadPoolExecutor(int threads);
  // Runs what is queued, then joins the workers.
  ~ThreadPoolExecutor() override;
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  void Post(std::function<void()> fn) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace omni
