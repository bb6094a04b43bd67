// EventQueue: carries items (SSE chunks, typed updates) from other threads
// (LLM I/O, the chat engine's database steps, the LISTEN thread) to one
// handler coroutine, which waits without holding a thread.
//
//   auto queue = co_await MakeEventQueue<Item>();
//   ...from any thread: queue->Push(item); ... queue->Close();
//   while (!queue->finished()) for (auto& item : co_await queue->Next(timeout)) ...
//
// Thread-safe: Push and Close may be called from any thread; Next and
// finished belong to the coroutine that made the queue.
#pragma once

#include <utility>  // boost/asio/awaitable.hpp needs it first (Boost 1.74)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <vector>

namespace omni::omnid {

template <class Item>
class EventQueue : public std::enable_shared_from_this<EventQueue<Item>> {
 public:
  // Use MakeEventQueue.
  explicit EventQueue(const boost::asio::any_io_executor& executor) : executor_(executor), timer_(executor) {}

  // Appends and wakes the waiting coroutine; ignored once closed. Never
  // blocks long.
  void Push(Item item) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      items_.push_back(std::move(item));
    }
    Wake();
  }

  // No more items will come.
  void Close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    Wake();
  }

  // Waits until items are queued, the queue is closed, or `timeout`
  // passed; returns the items queued so far (empty on timeout).
  boost::asio::awaitable<std::vector<Item>> Next(std::chrono::milliseconds timeout) {
    if (auto items = Take(); !items.empty() || finished()) co_return items;
    // The wake-up posted by Push runs on this executor, after this wait
    // began, so an item pushed after Take is never missed; a stale wake-up
    // only ends one wait early.
    timer_.expires_after(timeout);
    boost::system::error_code ec;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return Take();
  }

  // Closed and every item taken.
  bool finished() const {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }

 private:
  std::vector<Item> Take() {
    std::lock_guard lock(mutex_);
    std::vector<Item> items(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
    items_.clear();
    wake_posted_ = false;
    return items;
  }

  void Wake() {
    {
      std::lock_guard lock(mutex_);
      if (wake_posted_) return;
      wake_posted_ = true;
    }
    boost::asio::post(executor_, [self = this->shared_from_this()] { self->timer_.cancel(); });
  }

  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer timer_;  // used on executor_ only
  mutable std::mutex mutex_;
  std::deque<Item> items_;
  bool closed_ = false;
  bool wake_posted_ = false;
};

// A queue bound to the calling coroutine's executor.
template <class Item>
boost::asio::awaitable<std::shared_ptr<EventQueue<Item>>> MakeEventQueue() {
  co_return std::make_shared<EventQueue<Item>>(co_await boost::asio::this_coro::executor);
}

}  // namespace omni::omnid
