#include "server/rate_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "server/status_mapping.h"

namespace loyalty {

absl::Status RateLimiter::Admit(const std::string& principal,
                                const RateLimitSpec& limit) {
  // Invariant: the keys file's validation bounds both (keys_file.cc).
  LEDGER_CHECK(limit.calls_per_second >= 1 &&
               limit.calls_per_second <= RateLimitSpec::kCallsPerSecondMax);
  LEDGER_CHECK(limit.burst_calls >= limit.calls_per_second &&
               limit.burst_calls <= RateLimitSpec::kBurstCallsMax);
  const int64_t now_ms = clock_->NowMs();
  const int64_t capacity_micro = limit.burst_calls * kMicro;
  // calls_per_second * 10^6 / 1000 millionths of a call each millisecond.
  const int64_t refill_micro_per_ms = limit.calls_per_second * 1'000;
  absl::MutexLock lock(&mutex_);
  auto [it, added] = buckets_.try_emplace(principal);
  Bucket& bucket = it->second;
  if (added) {
    bucket.tokens_micro = capacity_micro;
  } else {
    // A clock that steps back refills nothing; the refill is capped so the
    // product cannot overflow (a full refill takes at most 10^6 s).
    const int64_t elapsed_ms =
        std::clamp<int64_t>(now_ms - bucket.updated_at_ms, 0,
                            capacity_micro / refill_micro_per_ms + 1);
    bucket.tokens_micro = std::min(
        capacity_micro, bucket.tokens_micro + elapsed_ms * refill_micro_per_ms);
  }
  bucket.updated_at_ms = now_ms;
  if (bucket.tokens_micro >= kMicro) {
    bucket.tokens_micro -= kMicro;
    return absl::OkStatus();
  }
  const int64_t wait_ms =
      (kMicro - bucket.tokens_micro + refill_micro_per_ms - 1) /
      refill_micro_per_ms;
  return WithRetryAfterMs(
      WithReason(absl::ResourceExhaustedError(absl::StrCat(
                     principal, " made more than ", limit.calls_per_second,
                     " calls a second (", limit.burst_calls,
                     " at once); retry in ", wait_ms, " ms")),
                 loyalty::v1::ERROR_REASON_RATE_LIMITED),
      wait_ms);
}

}  // namespace loyalty
