#include "server/unknown_code_limiter.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/status_util.h"
#include "server/status_mapping.h"

namespace loyalty {

UnknownCodeLimiter::UnknownCodeLimiter(const Clock* clock,
                                       int64_t lookups_per_minute,
                                       size_t principals_max)
    : clock_(clock),
      lookups_per_minute_(lookups_per_minute),
      principals_max_(principals_max),
      capacity_units_(lookups_per_minute * kUnitsPerLookup) {
  LEDGER_CHECK(clock != nullptr);
  LEDGER_CHECK(lookups_per_minute >= kLookupsPerMinuteMin);
  LEDGER_CHECK(lookups_per_minute <= kLookupsPerMinuteMax);
  LEDGER_CHECK(principals_max >= 1);
}

void UnknownCodeLimiter::Refill(Bucket& bucket, int64_t now_ms) const {
  const int64_t elapsed_ms = now_ms - bucket.updated_at_ms;
  bucket.updated_at_ms = now_ms;
  if (elapsed_ms <= 0) return;
  // Compare before multiplying: a bucket untouched for years must not
  // overflow elapsed_ms * rate.
  if (elapsed_ms >= bucket.debt_units / lookups_per_minute_ + 1) {
    bucket.debt_units = 0;
  } else {
    bucket.debt_units -= elapsed_ms * lookups_per_minute_;
  }
  // Invariant: a bucket never refills past full.
  LEDGER_CHECK(bucket.debt_units >= 0);
}

absl::Status UnknownCodeLimiter::AdmitFrom(const Bucket& bucket,
                                           absl::string_view who) const {
  const int64_t short_units =
      bucket.debt_units + kUnitsPerLookup - capacity_units_;
  if (short_units <= 0) return absl::OkStatus();
  // Rounded up: after this long the bucket holds a whole lookup again.
  const int64_t wait_ms =
      (short_units + lookups_per_minute_ - 1) / lookups_per_minute_;
  return WithRetryAfterMs(
      WithReason(
          absl::ResourceExhaustedError(absl::StrCat(
              "too many unknown coupon codes from ", who, ": the limit is ",
              lookups_per_minute_,
              " a minute (--unknown-coupon-lookups-per-minute); the next "
              "lookup is allowed in ",
              wait_ms, " ms")),
          loyalty::v1::ERROR_REASON_UNKNOWN_CODE_LOOKUPS_LIMITED),
      wait_ms);
}

absl::Status UnknownCodeLimiter::Admit(absl::string_view principal) {
  const int64_t now_ms = clock_->NowMs();
  absl::MutexLock lock(&mutex_);
  auto it = buckets_.find(principal);
  if (it == buckets_.end()) {
    // Untracked: a full bucket of its own, unless the table is full and
    // untracked principals share one.
    if (buckets_.size() < principals_max_) return absl::OkStatus();
    Refill(shared_bucket_, now_ms);
    return AdmitFrom(shared_bucket_,
                     absl::StrCat("principal ", principal,
                                  ", which shares one allowance with every "
                                  "principal beyond the ",
                                  principals_max_, " tracked"));
  }
  Refill(it->second, now_ms);
  if (it->second.debt_units == 0) {
    buckets_.erase(it);  // Full again: nothing to remember.
    return absl::OkStatus();
  }
  return AdmitFrom(it->second, absl::StrCat("principal ", principal));
}

void UnknownCodeLimiter::Settle(absl::string_view principal,
                                const absl::Status& outcome) {
  // Voucher codes come from the same generator: guessing either kind of
  // code is charged alike.
  const loyalty::v1::ErrorReason reason = ReasonOf(outcome);
  if (reason != loyalty::v1::ERROR_REASON_COUPON_NOT_FOUND &&
      reason != loyalty::v1::ERROR_REASON_VOUCHER_NOT_FOUND &&
      reason != loyalty::v1::ERROR_REASON_REWARD_NOT_FOUND) {
    return;
  }
  const int64_t now_ms = clock_->NowMs();
  absl::MutexLock lock(&mutex_);
  Bucket& bucket = ChargedBucket(principal, now_ms);
  Refill(bucket, now_ms);
  bucket.debt_units += kUnitsPerLookup;
}

UnknownCodeLimiter::Bucket& UnknownCodeLimiter::ChargedBucket(
    absl::string_view principal, int64_t now_ms) {
  if (auto it = buckets_.find(principal); it != buckets_.end()) {
    return it->second;
  }
  if (buckets_.size() >= principals_max_) ForgetFullBuckets(now_ms);
  if (buckets_.size() >= principals_max_) return shared_bucket_;
  return buckets_
      .try_emplace(std::string(principal),
                   Bucket{.debt_units = 0, .updated_at_ms = now_ms})
      .first->second;
}

void UnknownCodeLimiter::ForgetFullBuckets(int64_t now_ms) {
  // Runs only for a charge that finds the table full, and the shared bucket
  // lets at most lookups_per_minute of those through a minute, so this
  // O(principals_max) walk stays rare.
  absl::erase_if(buckets_, [&](auto& entry) {
    Refill(entry.second, now_ms);
    return entry.second.debt_units == 0;
  });
}

size_t UnknownCodeLimiter::tracked_principals() const {
  absl::MutexLock lock(&mutex_);
  return buckets_.size();
}

}  // namespace loyalty
