// BlockingExecutor: an asio::thread_pool plus the hand-off back to the
// awaiting coroutine's executor.
#include "daemon/blocking.hpp"

#include <atomic>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/common/log.hpp"

namespace omni::omnid {

namespace asio = boost::asio;

struct BlockingExecutor::Impl {
  explicit Impl(int threads) : pool(static_cast<std::size_t>(threads < 1 ? 1 : threads)) {}

  asio::thread_pool pool;
  std::mutex mutex;
  std::condition_variable idle;
  int busy = 0;

  // Counts the task while it is queued and running, so Shutdown can wait.
  template <class Task>
  void Submit(Task task) {
    {
      std::lock_guard lock(mutex);
      ++busy;
    }
    asio::post(pool, [this, task = std::move(task)]() mutable {
      task();
      std::lock_guard lock(mutex);
      if (--busy == 0) idle.notify_all();
    });
  }
};

BlockingExecutor::BlockingExecutor(int threads) : impl_(std::make_unique<Impl>(threads)) {}

BlockingExecutor::~BlockingExecutor() { impl_->pool.join(); }

asio::awaitable<void> BlockingExecutor::Run(std::function<void()> fn) {
  std::exception_ptr error;
  co_await asio::async_initiate<const asio::use_awaitable_t<>, void()>(
      [this, &fn, &error](auto handler) {
        // The completion handler carries the coroutine's executor: posting it
        // resumes the coroutine there, off the worker thread.
        impl_->Submit([&fn, &error, handler = std::move(handler)]() mutable {
          try {
            fn();
          } catch (...) {
            error = std::current_exception();
          }
          asio::post(std::move(handler));
        });
      },
      asio::use_awaitable);
  if (error) std::rethrow_exception(error);
}

void BlockingExecutor::Post(std::function<void()> fn) {
  impl_->Submit([fn = std::move(fn)] {
    // An exception escaping a worker would end the process.
    try {
      fn();
    } catch (const std::exception& e) {
      log::Error("background task failed", {{"error", e.what()}});
    }
  });
}

int BlockingExecutor::busy() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->busy;
}

bool BlockingExecutor::Shutdown(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  const bool drained = impl_->idle.wait_for(lock, timeout, [this] { return impl_->busy == 0; });
  lock.unlock();
  impl_->pool.stop();
  return drained;
}

}  // namespace omni::omnid
