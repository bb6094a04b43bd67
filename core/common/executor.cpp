// The worker pool behind BlockingExecutor. See executor.hpp.
#include "core/common/executor.hpp"

#include <cxxabi.h>

#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <typeinfo>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/common/log.hpp"

namespace omni {
namespace {

// The demangled type of the exception being handled, so that a log line
// says what failed even when the exception carries no message.
std::string ExceptionTypeName() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return "unknown";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type->name(), nullptr, nullptr, &status),
                                              std::free);
  return status == 0 && name ? name.get() : type->name();
}

}  // namespace

struct ThreadPoolExecutor::Impl {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> queue;
  bool stopping = false;
  std::vector<std::thread> workers;

  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping and drained
        task = std::move(queue.front());
        queue.pop_front();
      }
      try {
        task();
      } catch (const std::exception& e) {
        log::Error("blocking task failed", {{"error", e.what()}, {"exception", ExceptionTypeName()}});
      } catch (...) {
        log::Error("blocking task failed", {{"error", "an exception not derived from std::exception"},
                                            {"exception", ExceptionTypeName()}});
      }
    }
  }
};

ThreadPoolExecutor::ThreadPoolExecutor(int threads) : impl_(std::make_unique<Impl>()) {
  const int count = threads < 1 ? 1 : threads;
  for (int i = 0; i < count; ++i) impl_->workers.emplace_back([impl = impl_.get()] { impl->Work(); });
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto& worker : impl_->workers) worker.join();
}

void ThreadPoolExecutor::Post(std::function<void()> fn) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->queue.push_back(std::move(fn));
  }
  impl_->wake.notify_one();
}

}  // namespace omni
