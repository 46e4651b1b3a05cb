// Tests of how loyaltyctl shows coupons (clients/loyaltyctl/coupon_view.h):
// the coupons an order used, with discounts in minor units and a points
// coupon's points, and a coupon's checkout rules shown only when its
// template has them.
#include "clients/loyaltyctl/coupon_view.h"

#include <sstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "clients/loyaltyctl/format.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::AppliedCoupon;
using loyalty::v1::Coupon;

AppliedCoupon Applied(const std::string& code, const std::string& template_id,
                      int64_t discount_minor, int64_t points) {
  AppliedCoupon applied;
  applied.set_code(code);
  applied.set_template_id(template_id);
  applied.set_discount_minor(discount_minor);
  applied.set_points(points);
  return applied;
}

// The value of the field labelled `label`, or "(absent)".
std::string FieldValue(const std::vector<Field>& fields,
                       const std::string& label) {
  for (const Field& field : fields) {
    if (field.label == label) return field.value;
  }
  return "(absent)";
}

std::vector<std::string> Labels(const std::vector<Field>& fields) {
  std::vector<std::string> labels;
  for (const Field& field : fields) labels.push_back(field.label);
  return labels;
}

TEST_CASE("an order's coupons show code, template, discount and points",
          "[ctl][coupon]") {
  AppliedCoupons coupons;
  *coupons.Add() = Applied("S04H-W92F-53F1-DKD1-K", "spend-20-get-5", 500, 0);
  *coupons.Add() = Applied("0000-1111-2222-3333-X", "coffee-x2", 0, 12);
  std::ostringstream out;
  PrintAppliedCoupons(out, coupons);
  CHECK(out.str() ==
        "\n"
        "COUPON                 TEMPLATE               DISCOUNT  POINTS\n"
        "S04H-W92F-53F1-DKD1-K  spend-20-get-5  500 minor units       -\n"
        "0000-1111-2222-3333-X  coffee-x2                     -     +12\n");
}

TEST_CASE("an order without coupons prints no coupon table", "[ctl][coupon]") {
  std::ostringstream out;
  PrintAppliedCoupons(out, AppliedCoupons());
  CHECK(out.str().empty());
}

TEST_CASE("a validated coupon shows its discount, or its points",
          "[ctl][coupon]") {
  const Field discount = AppliedCouponField(Applied("C", "t", 1250, 0));
  CHECK(discount.label == "discount");
  CHECK(discount.value == "1250 minor units");
  const Field points = AppliedCouponField(Applied("C", "t", 0, 40));
  CHECK(points.label == "points");
  CHECK(points.value == "+40");
}

TEST_CASE("a coupon without checkout rules shows none of them",
          "[ctl][coupon]") {
  Coupon coupon;
  coupon.set_code("S04H-W92F-53F1-DKD1-K");
  coupon.set_template_id("welcome-10");
  coupon.set_percent_off(10);
  coupon.set_uses_allowed(1);
  coupon.set_state(loyalty::v1::COUPON_STATE_USABLE);
  const std::vector<Field> fields = CouponFields(coupon);
  CHECK(Labels(fields) ==
        std::vector<std::string>{"code", "template", "name", "member",
                                 "benefit", "uses", "valid from",
                                 "valid until", "state"});
  CHECK(FieldValue(fields, "benefit") == "10% off");
  CHECK(FieldValue(fields, "state") == "usable");
}

TEST_CASE("a coupon shows its template's checkout rules", "[ctl][coupon]") {
  Coupon coupon;
  coupon.mutable_amount_off()->set_amount_minor(500);
  coupon.mutable_amount_off()->set_currency("EUR");
  coupon.mutable_min_spend()->set_amount_minor(2000);
  coupon.mutable_min_spend()->set_currency("EUR");
  coupon.add_eligible_categories("grocery");
  coupon.add_eligible_categories("coffee");
  coupon.add_eligible_skus("MUG");
  coupon.set_combinable(true);
  const std::vector<Field> fields = CouponFields(coupon);
  CHECK(FieldValue(fields, "benefit") == "500 EUR minor units off");
  CHECK(FieldValue(fields, "min spend") == "2000 EUR minor units");
  CHECK(FieldValue(fields, "categories") == "grocery, coffee");
  CHECK(FieldValue(fields, "skus") == "MUG");
  CHECK(FieldValue(fields, "combinable") == "yes");
}

TEST_CASE("points coupons say what they add to the order", "[ctl][coupon]") {
  Coupon multiplier;
  multiplier.set_points_multiplier_percent(200);
  CHECK(FieldValue(CouponFields(multiplier), "benefit") ==
        "points x200% on the order");
  Coupon bonus;
  bonus.set_bonus_points(50);
  CHECK(FieldValue(CouponFields(bonus), "benefit") ==
        "50 bonus points on the order");
}

// Coupons issued by program rules.
TEST_CASE("a coupon a program rule issued names its rule", "[ctl][coupon]") {
  Coupon coupon;
  coupon.set_code("S04H-W92F-53F1-DKD1-K");
  coupon.set_template_id("gold-welcome");
  coupon.set_member_id("ann");
  coupon.set_percent_off(25);
  coupon.set_rule_id("gold");
  const std::vector<Field> fields = CouponFields(coupon);
  CHECK(Labels(fields) == std::vector<std::string>{"code", "template", "name",
                                                   "member", "rule", "benefit",
                                                   "uses", "valid from",
                                                   "valid until", "state"});
  CHECK(FieldValue(fields, "rule") == "gold");
  coupon.clear_rule_id();
  CHECK(FieldValue(CouponFields(coupon), "rule") == "(absent)");
}

TEST_CASE(
    "the coupons an earn's rules issued show code, template, rule and "
    "end of validity",
    "[ctl][coupon]") {
  IssuedCoupons coupons;
  Coupon* bonus = coupons.Add();
  bonus->set_code("S04H-W92F-53F1-DKD1-K");
  bonus->set_template_id("thank-you");
  bonus->set_rule_id("spend-50");
  bonus->set_valid_until_ms(1'700'000'000'000);
  Coupon* tier = coupons.Add();
  tier->set_code("0000-1111-2222-3333-X");
  tier->set_template_id("gold-welcome");
  tier->set_rule_id("gold");
  tier->set_valid_until_ms(1'700'000'000'000);
  std::ostringstream out;
  PrintIssuedCoupons(out, coupons);
  const std::string until = FormatTimeUtc(1'700'000'000'000);
  CHECK(out.str() ==
        "\n"
        "ISSUED COUPON          TEMPLATE      RULE      VALID UNTIL\n"
        "S04H-W92F-53F1-DKD1-K  thank-you     spend-50  " +
            until +
            "\n"
            "0000-1111-2222-3333-X  gold-welcome  gold      " +
            until + "\n");
  std::ostringstream none;
  PrintIssuedCoupons(none, IssuedCoupons());
  CHECK(none.str().empty());
}

}  // namespace
}  // namespace loyalty::ctl
