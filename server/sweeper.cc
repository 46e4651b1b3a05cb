#include "server/sweeper.h"

#include <cstdio>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"

namespace loyalty {

Sweeper::Sweeper(Ledger* ledger, int64_t interval_ms)
    : ledger_(ledger), interval_ms_(interval_ms) {
  LEDGER_CHECK(ledger_ != nullptr && interval_ms_ > 0);
  thread_ = std::thread([this] { Loop(); });
}

Sweeper::~Sweeper() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

SweeperStats Sweeper::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

bool Sweeper::SweepOnce(bool* more) {
  absl::Notification done;
  absl::StatusOr<SweepResult> outcome;
  ledger_->SubmitSystem<SweepCommand>(SweepRequest{kSweepMembersPerBatch},
                 [&](absl::StatusOr<SweepResult> result) {
                   outcome = std::move(result);
                   done.Notify();
                 });
  done.WaitForNotification();
  absl::MutexLock lock(&mutex_);
  ++stats_.sweeps;
  if (!outcome.ok()) {
    ++stats_.failures;
    *more = false;
    return false;
  }
  stats_.members_settled += outcome->members_settled;
  stats_.entries_written += outcome->entries_written;
  // A sweep that settled nobody cannot make progress by repeating at once
  // (only a broken schedule key does that; VerifyLedger reports it).
  *more = outcome->more && outcome->members_settled > 0;
  return true;
}

void Sweeper::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_;
      };
      if (mutex_.AwaitWithTimeout(absl::Condition(&stopping),
                                  absl::Milliseconds(interval_ms_))) {
        return;
      }
    }
    bool more = true;
    while (more) {
      {
        absl::MutexLock lock(&mutex_);
        if (stopping_) return;
      }
      if (!SweepOnce(&more)) break;  // Retried at the next interval.
    }
  }
}

}  // namespace loyalty
