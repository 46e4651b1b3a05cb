// File: ledger/coupons/issue_coupon.h
//
// IssueCoupon: a coupon of one of the program's templates for a member.
#ifndef LOYALTY_LEDGER_COUPONS_ISSUE_COUPON_H_
#define LOYALTY_LEDGER_COUPONS_ISSUE_COUPON_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Writes a COUPON_ISSUE with a fresh code (coupons/codes.h) drawn by the
// writer, unused by construction: the writer draws again until no coupon
// has it. NOT_FOUND for an unknown template (COUPON_TEMPLATE_NOT_FOUND) or
// member; FAILED_PRECONDITION COUPON_BUDGET_SPENT / COUPON_LIMIT_REACHED
// when the template's issuance budget or per-member limit is reached.
struct IssueCouponCommand {
  static constexpr CommandInfo kInfo{.name = "IssueCoupon",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::IssueCouponRequest;
  using Response = loyalty::v1::IssueCouponResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<IssueCouponCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_ISSUE_COUPON_H_
