// File: ledger/coupons/templates.h
//
// The program's coupon templates: their validation (at start, with
// field-named errors), lookup, and what a template gives a coupon issued
// from it (its validity window and uses).
#ifndef LOYALTY_LEDGER_COUPONS_TEMPLATES_H_
#define LOYALTY_LEDGER_COUPONS_TEMPLATES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty {

inline constexpr int32_t kCouponUsesMax = 1000;
inline constexpr int32_t kCouponPerMemberLimitMax = 1000;
inline constexpr int64_t kCouponIssuanceBudgetMax = 1'000'000'000;
inline constexpr int32_t kCouponValidDaysMax = 3650;
inline constexpr int32_t kCouponMultiplierPercentMin = 101;
inline constexpr int32_t kCouponMultiplierPercentMax = 1000;
inline constexpr int64_t kCouponBonusPointsMax = 1'000'000'000;

// Every template of `program` (coupon_templates[i].field: problem).
absl::Status ValidateCouponTemplates(const loyalty::v1::ProgramConfig& program);

// The template with `template_id`, or null.
const loyalty::v1::CouponTemplate* FindCouponTemplate(
    const loyalty::v1::ProgramConfig& program, absl::string_view template_id);

// The one currency the template's amounts name, or "" (any order's).
std::string CouponCurrency(const loyalty::v1::CouponTemplate& coupon_template);

// Whether the template has rules only a basket can check (a minimum spend,
// a discount budget, a points benefit): RedeemCoupon refuses its coupons.
bool CouponNeedsBasket(const loyalty::v1::CouponTemplate& coupon_template);

// Uses a coupon of `coupon_template` allows (uses_per_coupon, 0 meaning 1).
int32_t CouponUsesAllowed(const loyalty::v1::CouponTemplate& coupon_template);

struct CouponWindow {
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;  // Exclusive.
};
// When a coupon issued at `issued_at_ms` may be used: the template's fixed
// window, or from issue to the end of the day valid_days_after_issue days
// later in `time_zone`.
CouponWindow CouponWindowFor(const loyalty::v1::CouponTemplate& coupon_template,
                             absl::TimeZone time_zone, int64_t issued_at_ms);

// The coupon as the contract shows it at `now_ms`; `coupon_template` may be
// null (a template the program no longer has: no name, no benefit).
loyalty::v1::Coupon CouponView(
    const loyalty::storage::v1::CouponRecord& record,
    const loyalty::v1::CouponTemplate* coupon_template, int64_t now_ms);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COUPONS_TEMPLATES_H_
