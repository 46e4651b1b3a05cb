// File: server/sweeper.h
//
// Runs the ledger's sweep (Ledger::Sweep) every `interval_ms` of real time,
// and again at once while a sweep says more members are due, so holds time
// out, pending points mature and lots expire for members nobody touches.
// Which members are due is the ledger's clock's business; the interval only
// sets how soon after falling due their entries are written.
#ifndef LOYALTY_SERVER_SWEEPER_H_
#define LOYALTY_SERVER_SWEEPER_H_

#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/engine/ledger.h"
#include "ledger/points/sweep.h"

namespace loyalty {

struct SweeperStats {
  uint64_t sweeps = 0;
  uint64_t members_settled = 0;
  uint64_t entries_written = 0;
  uint64_t failures = 0;  // Sweeps the ledger refused (storage trouble).
};

class Sweeper {
 public:
  // Starts the thread; `ledger` must outlive the Sweeper. interval_ms > 0.
  Sweeper(Ledger* ledger, int64_t interval_ms);
  // Stops and joins (a sweep in progress finishes first).
  ~Sweeper();
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  SweeperStats stats() const;

 private:
  void Loop();
  // One Ledger::Sweep, waited for; false when the ledger refused it.
  bool SweepOnce(bool* more);

  Ledger* const ledger_;
  const int64_t interval_ms_;
  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  SweeperStats stats_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_SWEEPER_H_
