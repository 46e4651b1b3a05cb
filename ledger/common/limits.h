// File: ledger/common/limits.h
//
// Every limit the ledger enforces, in one place. Requests over a limit are
// INVALID_ARGUMENT naming the field; the core asserts them after validation.
#ifndef LOYALTY_LEDGER_COMMON_LIMITS_H_
#define LOYALTY_LEDGER_COMMON_LIMITS_H_

#include <cstdint>

namespace loyalty {

inline constexpr int kIdLengthMax = 64;  // member, order, store, sku
inline constexpr int kRequestIdLengthMax = 128;
inline constexpr int kCategoryLengthMax = 64;
inline constexpr int kBasketLinesMax = 200;
inline constexpr int kIdentifiersPerMemberMax = 8;
// Merged members form chains (A into B, then B into C); resolving an alias
// follows at most this many merges, so a corrupt loop cannot hang a read.
inline constexpr int kAliasChainMax = 1000;
inline constexpr int kCardNumberDigitsMin = 4;
inline constexpr int kCardNumberDigitsMax = 32;
inline constexpr int64_t kQuantityMax = 1'000'000;
inline constexpr int64_t kUnitPriceMinorMax = 1'000'000'000'000;        // 10^12
inline constexpr int64_t kPointsPerRequestMax = 1'000'000'000'000'000;  // 10^15
inline constexpr int kReasonCodeLengthMax = 32;
inline constexpr int kNoteLengthMax = 500;
inline constexpr int kPageSizeDefault = 50;
inline constexpr int kPageSizeMax = 500;
// Wallet: rows one ListWallet call reads at most. Unusable items are
// skipped when not asked for, so a page may need more rows than items; the
// bound keeps each call's work finite and a token continues past it.
inline constexpr int kWalletRowsScannedMax = 2000;
static_assert(kWalletRowsScannedMax >= kPageSizeMax);
// A client's occurred_at may run ahead of the server's clock by this much.
inline constexpr int64_t kOccurredAtFutureSkewMsMax = 24ll * 3600 * 1000;
inline constexpr int64_t kEarnPointsPerStepMax = 1'000'000;
inline constexpr int kVerifyProblemsMax = 100;
inline constexpr int kEarnBatchEventsMax = 1000;
// SubmitBatch: mutations in one call.
inline constexpr int kSubmitBatchMutationsMax = 1000;
inline constexpr int kImportRowsPerCallMax = 1000;
// A legacy balance (ImportMember).
inline constexpr int64_t kOpeningPointsMax = 1'000'000'000'000;  // 10^12
// Program transfer_rules.
inline constexpr int64_t kTransferPointsMax = 1'000'000'000'000;  // 10^12
inline constexpr int kDisplayNameBytesMax = 128;
// Program rules (program.proto).
inline constexpr int32_t kMultiplierPercentMin = 101;
inline constexpr int32_t kMultiplierPercentMax = 10'000;
inline constexpr int64_t kBonusPointsPerUnitMax = 1'000'000;
inline constexpr int64_t kBonusPointsMax = 1'000'000'000;
inline constexpr int kRuleDescriptionBytesMax = 128;
// Points states (program.proto return_window_days, expiry, holds).
inline constexpr int32_t kReturnWindowDaysMax = 365;
// How old an event may be when it arrives (program.proto
// event_age_max_hours): 0 means the default.
inline constexpr int32_t kEventAgeDefaultMaxHours = 72;
inline constexpr int32_t kEventAgeMaxHoursMax = 8760;
inline constexpr int32_t kExpiryMonthsMax = 120;
inline constexpr int32_t kExpiryYearsMax = 10;
inline constexpr int64_t kHoldTimeoutMinMs = 1'000;
inline constexpr int64_t kHoldTimeoutMaxMs = 7ll * 24 * 3600 * 1000;
inline constexpr int64_t kHoldTimeoutDefaultMaxMs = 24ll * 3600 * 1000;
inline constexpr int kHoldsPerMemberDefault = 10;
inline constexpr int kHoldsPerMemberMax = 100;
inline constexpr int64_t kNegativeFloorPointsMax = 1'000'000'000;
// The most points one member may redeem offline per day
// (ProgramConfig.offline_redemption.points_per_member_day).
inline constexpr int64_t kOfflineAllowancePointsMax = 1'000'000'000;
// Tiers (program.proto TierRules); the window fits the months a member
// record keeps (tiers.h kQualifyingMonthsKept).
inline constexpr int32_t kTierWindowMonthsMax = 36;
inline constexpr int32_t kTierGraceDaysMax = 365;
inline constexpr int32_t kTierMultiplierPercentMax = 1000;
// Members the periodic sweep settles per writer batch.
inline constexpr int kSweepMembersPerBatch = 256;
// Upcoming expiry dates a balance lists.
inline constexpr int kNextExpiringShown = 3;
// Bulk coupon codes (GenerateCoupons): codes per COUPON_GENERATE entry (one
// writer command each), codes per batch, and the request id's length, which
// leaves room for the "/<first index>" each chunk's request id appends.
inline constexpr int kCouponsPerGenerateChunkMax = 10'000;
inline constexpr int64_t kCouponBatchCountMax = 10'000'000;
inline constexpr int kGenerateRequestIdLengthMax = 100;

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_LIMITS_H_
