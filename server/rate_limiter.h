// File: server/rate_limiter.h
//
// Per-principal call rate limits, set per role in the keys file
// (rate_limits; keys.proto), so one misbehaving till or partner cannot
// starve the others. Each principal of a limited role has a token bucket of
// `burst_calls` calls that refills at `calls_per_second`, continuously;
// every call takes one token, refused calls included. An empty bucket is
// RESOURCE_EXHAUSTED (RATE_LIMITED) saying in how many ms the next call is
// allowed (also as retry-after metadata, status_mapping.h).
//
// Thread-safe: one lock and one hash lookup per call. Buckets are kept per
// principal name; principals come from the keys file, so they are few.
#ifndef LOYALTY_SERVER_RATE_LIMITER_H_
#define LOYALTY_SERVER_RATE_LIMITER_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "ledger/common/clock.h"
#include "server/keys_file.h"

namespace loyalty {

class RateLimiter {
 public:
  // `clock` outlives the limiter.
  explicit RateLimiter(const Clock* clock) : clock_(clock) {}

  // Takes one call from `principal`'s bucket under `limit` (a bucket starts
  // full; a smaller limit after a reload caps it). OK, or ResourceExhausted
  // with reason RATE_LIMITED and the wait as a retry hint.
  absl::Status Admit(const std::string& principal, const RateLimitSpec& limit);

 private:
  // Tokens in millionths of a call, so refills of a fraction of a call per
  // millisecond add up exactly. At most kBurstCallsMax * 10^6 = 10^12.
  struct Bucket {
    int64_t tokens_micro = 0;
    int64_t updated_at_ms = 0;
  };
  static constexpr int64_t kMicro = 1'000'000;

  const Clock* const clock_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_RATE_LIMITER_H_
