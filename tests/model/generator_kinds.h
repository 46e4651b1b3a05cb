// File: tests/model/generator_kinds.h
//
// The kind table's rows and what the kinds' builders share; included by
// generator.cc (the table) and by each domain's builders
// (points_generator.cc, members_generator.cc), by nothing else.
//
// Adding a domain: a <domain>_generator.cc with its builders in an
// anonymous namespace and one KindSpec per kind, declared below and listed
// in kKinds (generator.cc) at its Request index.
#ifndef LOYALTY_TESTS_MODEL_GENERATOR_KINDS_H_
#define LOYALTY_TESTS_MODEL_GENERATOR_KINDS_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "generator.h"
#include "model.h"

namespace loyalty::model {

// The contract's limits the builders aim at or past (see generator.cc).
inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
inline constexpr int kIdLengthMax = 64;
inline constexpr int64_t kPointsPerRequestMax = 1'000'000'000'000'000;

// One command kind: how often it is sent fresh (relative to the others),
// and its four builders (see generator.h).
struct KindSpec {
  const char* name;
  int weight;  // Relative frequency among fresh commands.
  Request (*fresh)(Generator&);
  Request (*boundary)(Generator&);
  std::string (*malform)(Generator&, Request*);
  void (*mutate)(Generator&, Request*);
};

// Points (points_generator.cc).
extern const KindSpec kEarnSpec;
extern const KindSpec kRedeemSpec;
extern const KindSpec kAdjustSpec;
extern const KindSpec kEventSpec;
extern const KindSpec kHoldSpec;
extern const KindSpec kCaptureSpec;
extern const KindSpec kReleaseSpec;
extern const KindSpec kReturnSpec;
// Members (members_generator.cc).
extern const KindSpec kEnrollSpec;
extern const KindSpec kLinkSpec;
extern const KindSpec kUnlinkSpec;
extern const KindSpec kTransferSpec;
extern const KindSpec kImportSpec;
extern const KindSpec kCloseSpec;
extern const KindSpec kMergeSpec;
// Coupons (coupons_generator.cc).
extern const KindSpec kIssueCouponSpec;
extern const KindSpec kRedeemCouponSpec;
extern const KindSpec kReserveCouponSpec;
extern const KindSpec kCommitCouponSpec;
extern const KindSpec kReleaseCouponSpec;
// Vouchers (vouchers_generator.cc).
extern const KindSpec kIssueVoucherSpec;
extern const KindSpec kRedeemVoucherSpec;
extern const KindSpec kTransferVoucherSpec;
extern const KindSpec kGiftVoucherSpec;
extern const KindSpec kClaimGiftSpec;
extern const KindSpec kRefundVoucherSpec;
extern const KindSpec kGenerateCouponSpec;  // Bulk coupon codes.
// Rewards catalog (rewards_generator.cc).
extern const KindSpec kRedeemRewardSpec;
extern const KindSpec kCancelRewardSpec;
// Codes on an earn: mostly the member's own coupons (one, sometimes
// several), now and then another's or an unknown code, with the basket
// nudged toward and away from what each coupon asks of it.
void AddCouponCodes(Generator& g, v1::EarnRequest* request);
// A malformed coupon_codes field (a typo, one code twice, six codes); the
// description of what is wrong.
std::string MalformCouponCodes(Generator& g, v1::EarnRequest* request);

// A coupon or voucher code (canonical) as a till may type it: printed, in
// lower case, without dashes or with spaces; and a printed code with one
// character changed, so its check character fails (vouchers_generator.cc).
std::string SpelledCode(Generator& g, const std::string& canonical);
std::string MistypedCode(Generator& g, const std::string& code);

template <typename T>
const T& PickFrom(Generator& g, const std::vector<T>& values) {
  return values[static_cast<size_t>(
      g.Uniform(0, static_cast<int64_t>(values.size()) - 1))];
}

// What the member can spend now: the balance a read shows, with what fell
// due since its last write (matured, expired, released) counted; 0 for a
// member in debt (a negative balance after a return).
int64_t Available(Generator& g, const std::string& member_id);

// Breaks the context on purpose (`admin`: of an admin-only command);
// returns what was broken.
std::string MalformContext(Generator& g, v1::RequestContext* context,
                           bool admin);
// Changes the context's content and keeps it valid.
void MutateContext(Generator& g, v1::RequestContext* context);

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_GENERATOR_KINDS_H_
