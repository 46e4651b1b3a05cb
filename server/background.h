// File: server/background.h
//
// One thread for slow admin work (VerifyLedger replays the whole ledger), so
// it never blocks a completion-queue thread. Tasks run in order; the
// destructor finishes every queued task and joins.
#ifndef LOYALTY_SERVER_BACKGROUND_H_
#define LOYALTY_SERVER_BACKGROUND_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace loyalty {

class BackgroundRunner {
 public:
  BackgroundRunner();
  ~BackgroundRunner();
  void Run(std::function<void()> task);

 private:
  void Loop();
  absl::Mutex mutex_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_BACKGROUND_H_
