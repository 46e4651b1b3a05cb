// File: tests/crash/test_program.h
//
// The loyalty program the crash and fault tests run loyaltyd with, written to
// a text-format file: EUR and USD at 1 point per whole 1.00. Its keys file
// has three API keys (stored as SHA-256 hex, as in production; the clear
// keys are here):
//   "pos-key"   principal pos-terminal, ROLE_POS, every store
//   "app-key"   principal app-backend,  ROLE_APP
//   "admin-key" principal operator,     ROLE_ADMIN
// Holds may last kHoldTimeoutMsMax at most (short, so that holds time out
// while a test runs), and a member may have kHoldsOpenPerMemberMax open.
// Returns take back spent points down to kNegativeBalanceFloorPoints
// (return policy ALLOW_NEGATIVE_BALANCE: the member owes the rest). Earned
// points stay pending for kReturnWindowDays after the order time: the load
// dates most orders further back (available at once) and some a few
// seconds less (pending until they mature while the test runs). Points
// expire at the end of
// the second calendar year after the year earned (so no lot of a run
// expires while it runs, but lots of imports earned last year expire a
// year before this year's). Members may transfer
// kTransferPointsPerTransferMax points at a time and kTransferPointsPerDayMax
// a day; phone numbers without a country code are Taiwanese.
#ifndef LOYALTY_TESTS_CRASH_TEST_PROGRAM_H_
#define LOYALTY_TESTS_CRASH_TEST_PROGRAM_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "loyalty/v1/keys.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::crash {

inline constexpr char kPosKey[] = "pos-key";
inline constexpr char kAppKey[] = "app-key";
inline constexpr char kAdminKey[] = "admin-key";

// The hold timeouts tests ask for; the program allows up to the maximum.
inline constexpr int64_t kHoldTimeoutMsMin = 1'000;
inline constexpr int64_t kHoldTimeoutMsMax = 3'000;
inline constexpr int kHoldsOpenPerMemberMax = 3;
inline constexpr int64_t kNegativeBalanceFloorPoints = -300;
inline constexpr int kReturnWindowDays = 1;
// Offline redemptions (offline_check.h): a small daily allowance per member,
// taken into debt down to the floor above when the member is short.
inline constexpr int64_t kOfflineAllowancePoints = 200;
inline constexpr char kProgramTimeZone[] = "Asia/Taipei";
inline constexpr char kDefaultPhoneRegion[] = "TW";
inline constexpr int kExpiryYearsAfterEarnYearEnd = 2;
inline constexpr int64_t kTransferPointsPerTransferMax = 200;
inline constexpr int64_t kTransferPointsPerDayMax = 3000;
inline constexpr char kCouponTemplateMulti[] = "crash-five-uses";
inline constexpr int kCouponUsesMulti = 5;
inline constexpr char kCouponTemplateSingle[] = "crash-one-use";
// Coupons issued by program rules (rule_coupon_check.h): an EUR order that
// paid 100.00 or more gets a coupon of kRuleCouponTemplate from the spend
// bonus kRuleCouponBonus (no points), in the earn's batch.
inline constexpr char kRuleCouponBonus[] = "crash-spend-100";
inline constexpr char kRuleCouponTemplate[] = "crash-thanks";
inline constexpr char kRuleCouponCurrency[] = "EUR";
inline constexpr int64_t kRuleCouponSpendMinor = 100'00;
// Vouchers (voucher_check.h): six units, so that tills race for the last
// ones; valid and claimable for longer than any run, so that no expiry or
// gift return is written while acknowledged requests are re-sent.
inline constexpr char kVoucherProduct[] = "crash-coffee-6";
inline constexpr int kVoucherUnits = 6;
// Rewards catalog (reward_check.h): a coupon with a small stock, so that
// members race for the last ones, and a voucher of no limit; both
// cancellable, so cancels race the stock too.
inline constexpr char kRewardCouponItem[] = "crash-reward-coupon";
inline constexpr int64_t kRewardCouponStock = 40;
inline constexpr int64_t kRewardCouponPoints = 5;
inline constexpr char kRewardVoucherItem[] = "crash-reward-coffees";
inline constexpr int64_t kRewardVoucherPoints = 8;
inline constexpr int64_t kRewardVoucherUnits = 2;

loyalty::v1::ProgramConfig CrashTestProgram();

// Writes CrashTestProgram() in text format to `path` (a .textproto name).
absl::Status WriteCrashTestProgram(const std::string& path);

// The keys file the crash and fault tests start loyaltyd with (above).
loyalty::v1::KeysFile CrashTestKeys();
// Writes CrashTestKeys() in text format to `path`.
absl::Status WriteCrashTestKeys(const std::string& path);

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_TEST_PROGRAM_H_
