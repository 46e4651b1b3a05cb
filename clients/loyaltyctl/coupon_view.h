// File: clients/loyaltyctl/coupon_view.h
//
// How loyaltyctl shows coupons to people: a coupon as GetCoupon and
// ValidateCoupon answer it (`coupon show`, `issue`, `validate`, `redeem`),
// and the coupons an order used at checkout (`earn` and `quote` with
// --coupon, `coupon validate` with a basket). Money is in minor units, as
// the contract carries it. --json prints the responses themselves.

#ifndef LOYALTY_CLIENTS_LOYALTYCTL_COUPON_VIEW_H_
#define LOYALTY_CLIENTS_LOYALTYCTL_COUPON_VIEW_H_

#include <google/protobuf/repeated_ptr_field.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "clients/loyaltyctl/table.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty::ctl {

using AppliedCoupons =
    google::protobuf::RepeatedPtrField<loyalty::v1::AppliedCoupon>;

// "usable", "not valid yet", "expired", "used up", "reserved (...)".
std::string CouponStateText(loyalty::v1::CouponState state);

// What the coupon is worth: "10% off", "500 EUR minor units off",
// "free COFFEE-S", "points x200% on the order", "50 bonus points on the
// order"; "-" when the template is gone from the program.
std::string CouponBenefitText(const loyalty::v1::Coupon& coupon);

// The coupon as fields: code, template, name, member, (batch or rule when
// set), benefit, then its
// checkout rules when its template has them (min spend, categories, SKUs,
// "combinable: yes"; a coupon without them is used alone on any line and
// basket), then uses, window and state.
std::vector<Field> CouponFields(const loyalty::v1::Coupon& coupon);

// What one applied coupon did to the order: "discount: N minor units" for a
// discount coupon, "points: +N" for a points coupon (which takes nothing
// off).
Field AppliedCouponField(const loyalty::v1::AppliedCoupon& applied);

// One row per coupon an order used, in the request's order: COUPON (as
// printed), TEMPLATE, DISCOUNT (minor units), POINTS (a points coupon's
// breakdown line); "-" where a coupon has none. Prints nothing for none.
void PrintAppliedCoupons(std::ostream& out, const AppliedCoupons& coupons);

using IssuedCoupons = google::protobuf::RepeatedPtrField<loyalty::v1::Coupon>;

// Coupons issued by program rules: one row per coupon an earn's rules
// issued (EarnResponse.issued_coupons), in entry order: ISSUED COUPON (as
// printed), TEMPLATE, RULE (the tier or spend bonus), VALID UNTIL. Prints
// nothing for none.
void PrintIssuedCoupons(std::ostream& out, const IssuedCoupons& coupons);

}  // namespace loyalty::ctl

#endif  // LOYALTY_CLIENTS_LOYALTYCTL_COUPON_VIEW_H_
