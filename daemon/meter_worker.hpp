// Sends the meter events of the outbox to Stripe (billing::DrainMeterEvents)
// on a thread of its own: every stripe.meter_poll_ms while idle, at once
// again while there is a backlog. Several omnid instances may drain one
// database: claims use SKIP LOCKED. Without stripe.api_key it does nothing
// (the events wait for `omni billing sync` or a configured omnid).
// Thread-safe: construct and destroy from one thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/app.hpp"

namespace omni::http {
class HttpClient;
}

namespace omni::omnid {

class MeterWorker {
 public:
  // Starts the thread when stripe.api_key is set; `app` must outlive this.
  explicit MeterWorker(App& app);
  // Stops and joins (a send under way finishes first).
  ~MeterWorker();
  MeterWorker(const MeterWorker&) = delete;
  MeterWorker& operator=(const MeterWorker&) = delete;

 private:
  void Run();

  App& app_;
  std::unique_ptr<http::HttpClient> http_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace omni::omnid
