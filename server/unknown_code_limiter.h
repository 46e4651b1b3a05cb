// File: server/unknown_code_limiter.h
//
// Rate limits each principal's lookups of coupon codes that do not exist,
// so nobody can enumerate codes (README "Coupons"). Every call that names a
// coupon code (GetCoupon, ValidateCoupon, RedeemCoupon) goes through two
// steps, in the server's method table:
//
//   absl::Status admitted = limiter.Admit(principal.name);
//   if (!admitted.ok()) return call->FinishWithError(admitted);
//   absl::Status outcome = Serve(call);  // Looks the code up.
//   limiter.Settle(principal.name, outcome);
//
// Admit refuses every call of a principal whose allowance is spent, found
// codes included, before the code is read: a refusal says nothing about
// which codes exist. Settle charges one lookup when the outcome is
// COUPON_NOT_FOUND and nothing otherwise, so callers who present real codes
// are never limited.
//
// Each principal has a token bucket that holds `lookups_per_minute` lookups
// (a whole minute's allowance may be spent at once) and refills at
// `lookups_per_minute` a minute, continuously. A principal whose bucket is
// full is not stored at all; one is forgotten as soon as a look at it finds
// it full again. At most `principals_max` principals are tracked; past that
// (see Settle) the untracked ones share one extra bucket of the same size,
// so the cap bounds memory without ever lifting the limit.
//
// Thread-safe. Admit costs one lock and one hash lookup.
#ifndef LOYALTY_SERVER_UNKNOWN_CODE_LIMITER_H_
#define LOYALTY_SERVER_UNKNOWN_CODE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "ledger/common/clock.h"

namespace loyalty {

class UnknownCodeLimiter {
 public:
  // The bounds of lookups_per_minute. Zero is no limit and is refused: the
  // promise is that nobody can enumerate codes, and a deployment that wants
  // a looser limit sets a larger one. The upper bound keeps the bucket's
  // integer arithmetic far from overflow (see Bucket).
  static constexpr int64_t kLookupsPerMinuteMin = 1;
  static constexpr int64_t kLookupsPerMinuteMax = 60'000;
  // Principals are the program's API keys, so a deployment has far fewer;
  // the cap guards memory against a program with very many keys.
  static constexpr size_t kPrincipalsMaxDefault = 10'000;

  // `clock` must outlive the limiter. lookups_per_minute must lie in
  // [kLookupsPerMinuteMin, kLookupsPerMinuteMax] and principals_max be at
  // least 1 (the server checks its flag before; a bad value here is a bug
  // and aborts).
  UnknownCodeLimiter(const Clock* clock, int64_t lookups_per_minute,
                     size_t principals_max = kPrincipalsMaxDefault);
  UnknownCodeLimiter(const UnknownCodeLimiter&) = delete;
  UnknownCodeLimiter& operator=(const UnknownCodeLimiter&) = delete;

  // OK when `principal` may look a code up now: it has at least one lookup
  // left. Otherwise ResourceExhausted with reason
  // UNKNOWN_CODE_LOOKUPS_LIMITED, and a message naming the limit and how
  // long until the next lookup is allowed. Charges nothing.
  absl::Status Admit(absl::string_view principal);

  // Records the outcome of a lookup Admit allowed: COUPON_NOT_FOUND or
  // VOUCHER_NOT_FOUND (as
  // ReasonOf reads it) takes one lookup from `principal`'s bucket; any other
  // outcome (a found code, a malformed one, an unknown member) takes
  // nothing. Lookups admitted concurrently while one was left may all
  // charge it, so a bucket can go below empty; that debt is waited out at
  // the refill rate, so over any stretch of time a principal gets no more
  // than one full bucket plus the refill.
  //
  // At the cap: a charge for an untracked principal when principals_max are
  // tracked first forgets every tracked principal whose bucket is full
  // again; if none is, the charge goes to the shared bucket, and Admit
  // judges every untracked principal by that bucket for as long as the
  // table stays full.
  void Settle(absl::string_view principal, const absl::Status& outcome);

  int64_t lookups_per_minute() const { return lookups_per_minute_; }
  // Principals with a bucket that is not full (for tests).
  size_t tracked_principals() const;

 private:
  // A bucket as a debt: how much of a full bucket is spent, in units of
  // 1/60'000 lookup (kUnitsPerLookup), as of updated_at_ms. With that unit a
  // refill of lookups_per_minute a minute repays exactly lookups_per_minute
  // units every millisecond, so all the arithmetic stays in integers.
  // Invariant: debt_units >= 0; 0 is a full bucket.
  struct Bucket {
    int64_t debt_units = 0;
    int64_t updated_at_ms = 0;
  };
  static constexpr int64_t kUnitsPerLookup = 60'000;  // Milliseconds a minute.
  // The largest debt is a full bucket plus one lookup per call in flight,
  // and Refill never multiplies past the debt, so no sum or product comes
  // near INT64_MAX.
  static_assert(kLookupsPerMinuteMax * kUnitsPerLookup < (int64_t{1} << 40));

  // Brings `bucket` to `now_ms`: repays what the time since updated_at_ms
  // refilled. A clock that went back refills nothing.
  void Refill(Bucket& bucket, int64_t now_ms) const;
  // OK when `bucket` (refilled to now) has a whole lookup left; the
  // refusal names `who` spent it.
  absl::Status AdmitFrom(const Bucket& bucket, absl::string_view who) const;
  // The bucket a charge for `principal` goes to: its own (made if there is
  // room, after forgetting full ones at the cap), else the shared one.
  // REQUIRES: mutex_ is held.
  Bucket& ChargedBucket(absl::string_view principal, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Forgets every tracked principal whose bucket has refilled.
  // REQUIRES: mutex_ is held.
  void ForgetFullBuckets(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Clock* const clock_;
  const int64_t lookups_per_minute_;
  const size_t principals_max_;
  // A full bucket's debt limit: one minute's allowance.
  const int64_t capacity_units_;

  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
  // Charged for untracked principals while buckets_ is full.
  Bucket shared_bucket_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_UNKNOWN_CODE_LIMITER_H_
