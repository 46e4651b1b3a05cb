#include "server/watch_entries.h"

#include <algorithm>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/common/status_util.h"
#include "ledger/read/entry_stream.h"

namespace loyalty {
namespace {

using loyalty::v1::WatchEntriesResponse;

// How long a session waits at most before it looks at the hub's stop flag
// and its client again.
constexpr absl::Duration kPollSlice = absl::Milliseconds(200);

// What a session and its call's write completions share: the writes in
// flight, and whether the client is gone. Shared, because a completion may
// arrive after the session has ended.
struct Flow {
  absl::Mutex mutex;
  int in_flight ABSL_GUARDED_BY(mutex) = 0;
  bool dead ABSL_GUARDED_BY(mutex) = false;
};

absl::StatusOr<int64_t> HeartbeatIntervalMs(
    const loyalty::v1::WatchEntriesRequest& request) {
  const int64_t asked = request.heartbeat_interval_ms();
  if (asked == 0) return WatchHub::kHeartbeatDefaultMs;
  if (asked < WatchHub::kHeartbeatMinMs || asked > WatchHub::kHeartbeatMaxMs) {
    return InvalidField(
        "heartbeat_interval_ms",
        absl::StrCat("must be 0 (", WatchHub::kHeartbeatDefaultMs, ") or ",
                     WatchHub::kHeartbeatMinMs, "..", WatchHub::kHeartbeatMaxMs,
                     ", got ", asked));
  }
  return asked;
}

}  // namespace

WatchHub::WatchHub(Ledger* ledger, const Clock* clock, int streams_max)
    : ledger_(ledger), clock_(clock), streams_max_(streams_max) {
  // Invariant: the server checks its flag before.
  LEDGER_CHECK(streams_max >= 1 && streams_max <= kStreamsMaxLimit);
}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Serve(WatchEntriesCall* call) {
  uint64_t session_id = 0;
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) {
      call->Finish(WithReason(
          absl::UnavailableError("loyaltyd is shutting down"),
          loyalty::v1::ERROR_REASON_UNAVAILABLE));
      return;
    }
    if (stats_.streams >= streams_max_) {
      call->Finish(WithReason(
          absl::ResourceExhaustedError(absl::StrCat(
              "loyaltyd serves ", streams_max_,
              " change streams already (--watch-streams-max); retry later")),
          loyalty::v1::ERROR_REASON_WATCH_STREAMS_FULL));
      return;
    }
    ++stats_.streams;
    ++stats_.streams_total;
    session_id = stats_.streams_total;
  }
  // Detached: Stop waits for the session count instead, and a session
  // touches nothing of the hub's after it counts itself out.
  std::thread([this, call, session_id] {
    RunSession(session_id, call);
    absl::MutexLock lock(&mutex_);
    cursors_.erase(session_id);
    --stats_.streams;
  }).detach();
}

void WatchHub::Stop() {
  absl::MutexLock lock(&mutex_);
  stopping_ = true;
  mutex_.Await(absl::Condition(
      +[](Stats* stats) { return stats->streams == 0; }, &stats_));
}

WatchHub::Stats WatchHub::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

WatchHub::Lag WatchHub::ConsumerLag() const {
  const uint64_t head = ledger_->DurableSequence();
  Lag lag;
  absl::MutexLock lock(&mutex_);
  for (const auto& session : cursors_) {
    const uint64_t cursor = session.second;
    const uint64_t behind = cursor <= head ? head - cursor + 1 : 0;
    lag.entries_max = std::max(lag.entries_max, behind);
    lag.entries_total += behind;
  }
  return lag;
}

void WatchHub::RunSession(uint64_t session_id, WatchEntriesCall* call) {
  const loyalty::v1::WatchEntriesRequest& request = call->request();
  absl::StatusOr<EntryFilter> filter = EntryFilter::FromRequest(request);
  if (!filter.ok()) return call->Finish(filter.status());
  absl::StatusOr<int64_t> heartbeat_ms = HeartbeatIntervalMs(request);
  if (!heartbeat_ms.ok()) return call->Finish(heartbeat_ms.status());
  uint64_t cursor = std::max<uint64_t>(request.from_sequence(), 1);

  auto flow = std::make_shared<Flow>();
  call->set_on_written([flow](bool ok) {
    absl::MutexLock lock(&flow->mutex);
    --flow->in_flight;
    if (!ok) flow->dead = true;
  });
  // Heartbeats are paced by real time, whatever the ledger's clock says.
  // The first response goes out at once (a heartbeat when there is nothing
  // to send yet), so a consumer learns the head without waiting.
  const absl::Duration heartbeat = absl::Milliseconds(*heartbeat_ms);
  absl::Time last_sent = absl::Now() - heartbeat;
  auto send = [&](WatchEntriesResponse response, uint64_t head) {
    response.set_next_sequence(cursor);
    response.set_head_sequence(head);
    response.set_server_time_ms(clock_->NowMs());
    {
      absl::MutexLock lock(&mutex_);
      if (response.entries_size() == 0) {
        ++stats_.heartbeats_sent;
      } else {
        stats_.entries_sent += response.entries_size();
      }
    }
    {
      absl::MutexLock lock(&flow->mutex);
      ++flow->in_flight;
    }
    call->Write(std::move(response));
    last_sent = absl::Now();
  };

  while (true) {
    {
      absl::MutexLock lock(&flow->mutex);
      flow->mutex.AwaitWithTimeout(
          absl::Condition(
              +[](Flow* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mutex) {
                return f->dead || f->in_flight < kResponsesInFlightMax;
              },
              flow.get()),
          kPollSlice);
      if (flow->dead) {
        return call->Finish(absl::CancelledError("the consumer went away"));
      }
      if (flow->in_flight >= kResponsesInFlightMax) {
        // Still full: a slow consumer. Look at the stop flag, then wait on.
        absl::MutexLock hub_lock(&mutex_);
        if (!stopping_) continue;
      }
    }
    {
      absl::MutexLock lock(&mutex_);
      cursors_[session_id] = cursor;
      if (stopping_) {
        return call->Finish(WithReason(
            absl::UnavailableError(absl::StrCat(
                "loyaltyd is shutting down; resume from sequence ", cursor)),
            loyalty::v1::ERROR_REASON_UNAVAILABLE));
      }
    }
    const uint64_t head = ledger_->DurableSequence();
    if (cursor <= head) {
      absl::StatusOr<std::vector<loyalty::v1::StreamedEntry>> entries =
          ledger_->ReadStreamedEntries(cursor, head, kEntriesPerResponseMax);
      if (!entries.ok()) return call->Finish(entries.status());
      WatchEntriesResponse response;
      size_t bytes = 0;
      for (loyalty::v1::StreamedEntry& entry : *entries) {
        bool wanted = true;
        if (!filter->empty()) {
          loyalty::v1::LedgerEntry parsed;
          if (!ParseStreamedBody(entry.body(), &parsed)) {
            return call->Finish(absl::DataLossError(absl::StrCat(
                "entry ", entry.sequence(), " does not decode")));
          }
          wanted = filter->Matches(parsed);
        }
        cursor = entry.sequence() + 1;
        if (wanted) {
          bytes += entry.body().size();
          *response.add_entries() = std::move(entry);
          if (bytes >= kBytesPerResponseMax) break;
        }
      }
      if (response.entries_size() > 0 || absl::Now() - last_sent >= heartbeat) {
        send(std::move(response), head);
      }
      continue;
    }
    const absl::Duration quiet = absl::Now() - last_sent;
    if (quiet >= heartbeat) {
      send(WatchEntriesResponse(), head);
      continue;
    }
    ledger_->AwaitDurableSequenceAfter(head,
                                       std::min(kPollSlice, heartbeat - quiet));
  }
}

}  // namespace loyalty
