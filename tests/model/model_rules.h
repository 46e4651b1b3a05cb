// File: tests/model/model_rules.h
//
// What the reference model's files share (model.cc, points_model.cc,
// members_model.cc), and nothing else includes: overflow checks, the
// refusals any command may meet, and the points rules of a member's lots,
// holds and tier, which closes, transfers and merges apply too (defined in
// points_model.cc).
#ifndef LOYALTY_TESTS_MODEL_MODEL_RULES_H_
#define LOYALTY_TESTS_MODEL_MODEL_RULES_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "model.h"

namespace loyalty::model {

inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

inline bool FitsInt64(Int128 value) {
  return value >= kInt64Min && value <= kInt64Max;
}

// The end of the day `days` days after the day of `at_ms` in the
// program's zone (UTC+8, no DST): a voucher's expiry, a gift's claim code,
// a coupon's window.
inline int64_t ModelDayEndMs(int64_t at_ms, int32_t days) {
  constexpr int64_t kDayMs = 24ll * 3600 * 1000;
  constexpr int64_t kTaipeiOffsetMs = 8ll * 3600 * 1000;
  const int64_t local_day = (at_ms + kTaipeiOffsetMs) / kDayMs;
  return (local_day + days + 1) * kDayMs - kTaipeiOffsetMs;
}

inline Expected Rejected(absl::StatusCode code, v1::ErrorReason reason) {
  Expected expected;
  expected.code = code;
  expected.reason = reason;
  return expected;
}

inline Expected MemberNotFound() {
  return Rejected(absl::StatusCode::kNotFound,
                  v1::ERROR_REASON_MEMBER_NOT_FOUND);
}
inline Expected InsufficientPoints() {
  return Rejected(absl::StatusCode::kFailedPrecondition,
                  v1::ERROR_REASON_INSUFFICIENT_POINTS);
}
inline Expected BalanceOverflow() {
  return Rejected(absl::StatusCode::kFailedPrecondition,
                  v1::ERROR_REASON_BALANCE_OVERFLOW);
}
inline Expected InvalidArgument() {
  return Rejected(absl::StatusCode::kInvalidArgument,
                  v1::ERROR_REASON_INVALID_FIELD);
}

// A hold's id: "H" and its HOLD entry's sequence.
std::string HoldId(uint64_t sequence);
// The sequence of a well-formed hold id, or nullopt.
std::optional<uint64_t> ParseHoldId(const std::string& hold_id);

// Grants `points` into the available lots after paying off debt first.
void Credit(PointsState& p, uint64_t sequence, int64_t points,
            int64_t expires_at_ms);
// Takes `points` (at most what the lots hold), soonest expiry first.
std::vector<Lot> TakeFromLots(std::vector<Lot>& lots, int64_t points);
// OK when a grant of `points` keeps everything the member owns and the
// lifetime `total` it adds to within int64.
bool GrantFits(const Totals& t, int64_t total, int64_t points);

// The qualifying amount of the window of `rules` that contains `month`.
int64_t WindowAmountOf(const TierProgram& rules, const TierState& tier,
                       int64_t month);
// The highest tier whose threshold `qualifying` reaches.
int SupportedOf(const TierProgram& rules, int64_t qualifying);
// A TIER entry moving `tier` to `to` at `when_ms`, applied to `tier`.
ExpectedEntry TierMove(const TierProgram& rules, TierState& tier, int to,
                       int64_t qualifying, int64_t when_ms);
// Applies the earliest change due by `now_ms` to `p` (hold timeout,
// maturity, expiry, tier evaluation) and returns its entry; nullopt when
// nothing is due.
std::optional<ExpectedEntry> ApplyNextDue(PointsState& p, int64_t now_ms,
                                          const TierProgram& rules);

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_MODEL_RULES_H_
