// File: loyalty/client/journal_sync.h
//
// Sending an offline journal's pending events (offline_journal.h) once the
// server is back: oldest first, in SubmitBatch batches, one batch in flight
// per terminal. Each event goes with the request id it was recorded with, so
// a batch resent after a lost answer or a crash is replayed by the server,
// never applied twice.
//
//   JournalSyncer syncer(journal.get(), [&](const v1::SubmitBatchRequest& b) {
//     return client->SubmitBatch(b);
//   }, {.interval_ms = 5'000});
//   syncer.Start();      // a background thread; Wake() after a sale
//   ...
//   syncer.Stop();
#ifndef LOYALTY_CLIENT_JOURNAL_SYNC_H_
#define LOYALTY_CLIENT_JOURNAL_SYNC_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "loyalty/client/offline_journal.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::client {

// Sends one batch and returns the server's answer (a failure means there
// was none, or none that can be trusted: the batch stays pending).
using SubmitBatchFn =
    std::function<absl::StatusOr<loyalty::v1::SubmitBatchResponse>(
        const loyalty::v1::SubmitBatchRequest&)>;

struct SyncOptions {
  int batch_events_max = 200;       // 1..1000 (SubmitBatch's limit).
  int64_t interval_ms = 5'000;      // Between rounds while events are pending.
  std::function<int64_t()> now_ms;  // Empty: the system clock.
};

struct SyncReport {
  int64_t batches = 0;
  int64_t applied = 0;
  int64_t refused = 0;
  // Still pending after the round (a failed batch, or transient answers).
  int64_t pending = 0;
  absl::Status last_failure;  // OK when every batch was answered.
};

// One round: batches until nothing is pending, a batch fails, or a batch
// leaves everything it sent pending (transient answers; next round).
// InvalidArgument for bad options; the journal's own errors as they are.
absl::StatusOr<SyncReport> SyncJournalOnce(OfflineJournal& journal,
                                           const SubmitBatchFn& submit,
                                           const SyncOptions& options);

// Runs SyncJournalOnce on a thread of its own: every interval while events
// are pending, and at once after Wake().
class JournalSyncer {
 public:
  JournalSyncer(OfflineJournal* journal, SubmitBatchFn submit,
                SyncOptions options);
  ~JournalSyncer();  // Stop().
  JournalSyncer(const JournalSyncer&) = delete;
  JournalSyncer& operator=(const JournalSyncer&) = delete;

  void Start();
  void Wake();
  // Waits for a round in flight to finish; no round starts after.
  void Stop();

 private:
  void Run();
  bool WokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return woken_ || stopping_;
  }

  OfflineJournal* const journal_;
  const SubmitBatchFn submit_;
  const SyncOptions options_;
  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool woken_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_JOURNAL_SYNC_H_
