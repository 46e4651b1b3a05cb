// File: server/watch_entries.h
//
// The change stream (AdminService.WatchEntries; README "Change stream").
// Each call is a session on its own thread that pages through the ledger
// from its own cursor: stored entries up to the durable head, filtered,
// up to kEntriesPerResponseMax a response; once caught up it waits on the
// ledger for the head to move (Ledger::AwaitDurableSequenceAfter) and sends
// a heartbeat when the interval passes with nothing to send.
//
// Nothing is buffered per consumer: a session holds at most
// kResponsesInFlightMax responses for its client and reads nothing more
// until one is written, so a slow consumer costs its cursor and those
// responses, and the writer never waits for anyone. Recent entries come
// from RocksDB's memtable and block cache, so a consumer at the tail reads
// what the writer just wrote without touching the disk.
//
// Every response carries next_sequence (everything below was examined), so
// a consumer that resumes from its last one misses nothing and sees
// nothing twice.
#ifndef LOYALTY_SERVER_WATCH_ENTRIES_H_
#define LOYALTY_SERVER_WATCH_ENTRIES_H_

#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "ledger/common/clock.h"
#include "ledger/engine/ledger.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "server/stream_call.h"

namespace loyalty {

using WatchEntriesCall = StreamCall<loyalty::v1::WatchEntriesRequest,
                                    loyalty::v1::WatchEntriesResponse>;

class WatchHub {
 public:
  static constexpr size_t kEntriesPerResponseMax = 256;
  // A response stops taking entries past this many body bytes (an entry is
  // a few hundred bytes, so this is rarely what ends one).
  static constexpr size_t kBytesPerResponseMax = 1 << 20;
  static constexpr int kResponsesInFlightMax = 2;
  static constexpr int64_t kHeartbeatDefaultMs = 5'000;
  static constexpr int64_t kHeartbeatMinMs = 100;
  static constexpr int64_t kHeartbeatMaxMs = 60'000;
  static constexpr int kStreamsMaxLimit = 4'096;

  struct Stats {
    int streams = 0;             // Open now.
    uint64_t streams_total = 0;  // Ever opened.
    uint64_t entries_sent = 0;
    uint64_t heartbeats_sent = 0;
  };

  // `ledger` and `clock` outlive the hub. streams_max: 1..kStreamsMaxLimit.
  WatchHub(Ledger* ledger, const Clock* clock, int streams_max);
  // Stop().
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Serves an authorized call on a thread of its own until the client hangs
  // up, the request turns out bad (INVALID_ARGUMENT naming the field) or
  // Stop. RESOURCE_EXHAUSTED (WATCH_STREAMS_FULL) when streams_max are
  // open; UNAVAILABLE once stopped.
  void Serve(WatchEntriesCall* call);

  // Ends every stream with UNAVAILABLE (saying where to resume) and waits
  // until no session touches the ledger or its call any more. Later calls
  // are refused. Idempotent.
  void Stop();

  Stats stats() const;

  // How far the open streams are behind the durable head: entries at or
  // below the head that a stream has not examined yet (what its consumer
  // still has to receive), the largest and the sum over open streams. A
  // stream publishes its cursor once per response it reads, so the figure
  // may lag the truth by one response (kEntriesPerResponseMax entries).
  struct Lag {
    uint64_t entries_max = 0;
    uint64_t entries_total = 0;
  };
  Lag ConsumerLag() const;

 private:
  void RunSession(uint64_t session_id, WatchEntriesCall* call);

  Ledger* const ledger_;
  const Clock* const clock_;
  const int streams_max_;
  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  Stats stats_ ABSL_GUARDED_BY(mutex_);
  // Each open session's cursor (the next sequence it examines), by session.
  absl::flat_hash_map<uint64_t, uint64_t> cursors_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_WATCH_ENTRIES_H_
