#include "loyalty/client/journal_sync.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "loyalty/v1/contract.h"

namespace loyalty::client {
namespace {

int64_t NowMs(const SyncOptions& options) {
  return options.now_ms ? options.now_ms() : absl::ToUnixMillis(absl::Now());
}

}  // namespace

absl::StatusOr<SyncReport> SyncJournalOnce(OfflineJournal& journal,
                                           const SubmitBatchFn& submit,
                                           const SyncOptions& options) {
  if (options.batch_events_max < 1 || options.batch_events_max > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("sync: batch_events_max must be 1..1000, got ",
                     options.batch_events_max));
  }
  SyncReport report;
  while (true) {
    absl::StatusOr<std::vector<JournalEntry>> pending =
        journal.Pending(options.batch_events_max);
    if (!pending.ok()) return pending.status();
    if (pending->empty()) break;
    loyalty::v1::SubmitBatchRequest batch;
    for (const JournalEntry& entry : *pending) {
      *batch.add_mutations() = entry.mutation;
    }
    absl::StatusOr<loyalty::v1::SubmitBatchResponse> answered = submit(batch);
    ++report.batches;
    if (!answered.ok()) {
      // No answer: the batch stays pending with its request ids, and is
      // sent again as it is next round.
      report.last_failure = answered.status();
      if (absl::Status noted =
              journal.RecordSyncFailure(answered.status(), NowMs(options));
          !noted.ok()) {
        return noted;
      }
      break;
    }
    if (absl::Status noted =
            journal.RecordResults(*pending, *answered, NowMs(options));
        !noted.ok()) {
      return noted;
    }
    int64_t answered_events = 0;
    for (const auto& result : answered->results()) {
      if (result.code() == 0) {
        ++report.applied;
        ++answered_events;
      } else if (!contract::IsTransientCode(result.code())) {
        ++report.refused;
        ++answered_events;
      }
    }
    // Only transient answers: the server is busy; try again next round
    // rather than spin.
    if (answered_events == 0) break;
  }
  absl::StatusOr<JournalStatus> status = journal.Status();
  if (!status.ok()) return status.status();
  report.pending = status->pending;
  return report;
}

JournalSyncer::JournalSyncer(OfflineJournal* journal, SubmitBatchFn submit,
                             SyncOptions options)
    : journal_(journal),
      submit_(std::move(submit)),
      options_(std::move(options)) {}

JournalSyncer::~JournalSyncer() { Stop(); }

void JournalSyncer::Start() {
  absl::MutexLock lock(&mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void JournalSyncer::Wake() {
  absl::MutexLock lock(&mutex_);
  woken_ = true;
}

void JournalSyncer::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void JournalSyncer::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      mutex_.AwaitWithTimeout(
          absl::Condition(this, &JournalSyncer::WokenOrStopping),
          absl::Milliseconds(options_.interval_ms));
      if (stopping_) return;
      woken_ = false;
    }
    // Errors are in the journal's status (last_error) for the till to show;
    // the next round tries again.
    SyncJournalOnce(*journal_, submit_, options_).IgnoreError();
  }
}

}  // namespace loyalty::client
