// Marks failed, for the team, the customer messages whose turn stored them
// and then never stored a reply (chat::MarkUnanswered): the database went
// away mid-turn for longer than the engine retries its write, or omnid
// stopped mid-turn. It runs at start and then every half of
// server.unanswered_after_s (at most every minute), on every business,
// from each omnid (marking twice is a no-op).
//
// Why mark rather than answer late: the visitor who asked may be long gone,
// an answer minutes later to a question they may have asked again would
// confuse more than help, and `omni conversations show` puts the message in
// front of the team, who can reply in person.
// Thread-safe: construct and destroy from one thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/app.hpp"

namespace omni::omnid {

class UnansweredSweep {
 public:
  // Starts sweeping on a thread of its own; `app` must outlive this. Until
  // the database is reached, each round does nothing.
  explicit UnansweredSweep(App& app);
  // Stops sweeping and joins the thread (a sweep under way finishes first).
  ~UnansweredSweep();
  UnansweredSweep(const UnansweredSweep&) = delete;
  UnansweredSweep& operator=(const UnansweredSweep&) = delete;

 private:
  void Sweep();

  App& app_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace omni::omnid
