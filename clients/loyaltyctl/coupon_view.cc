// File: clients/loyaltyctl/coupon_view.cc

#include "clients/loyaltyctl/coupon_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/format.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::AppliedCoupon;
using loyalty::v1::Coupon;

std::string StateText(loyalty::v1::CouponState state) {
  switch (state) {
    case loyalty::v1::COUPON_STATE_USABLE:
      return "usable";
    case loyalty::v1::COUPON_STATE_NOT_YET_VALID:
      return "not valid yet";
    case loyalty::v1::COUPON_STATE_EXPIRED:
      return "expired";
    case loyalty::v1::COUPON_STATE_USED_UP:
      return "used up";
    case loyalty::v1::COUPON_STATE_RESERVED:
      return "reserved (every use left waits on an order)";
    case loyalty::v1::COUPON_STATE_CANCELLED:
      return "cancelled (a reward given back for its points)";
    default:
      return "-";
  }
}

// A points coupon takes nothing off; a discount coupon always takes
// something (the server refuses one that would take nothing).
bool IsPointsCoupon(const AppliedCoupon& applied) {
  return applied.discount_minor() == 0;
}

// The template's checkout rules that are set.
void AddCheckoutRuleFields(const Coupon& coupon, std::vector<Field>* fields) {
  if (coupon.has_min_spend()) {
    fields->push_back({"min spend", FormatMinorUnits(
                                        coupon.min_spend().amount_minor(),
                                        coupon.min_spend().currency())});
  }
  if (!coupon.eligible_categories().empty()) {
    fields->push_back(
        {"categories", absl::StrJoin(coupon.eligible_categories(), ", ")});
  }
  if (!coupon.eligible_skus().empty()) {
    fields->push_back({"skus", absl::StrJoin(coupon.eligible_skus(), ", ")});
  }
  if (coupon.combinable()) fields->push_back({"combinable", "yes"});
}

}  // namespace

std::string CouponStateText(loyalty::v1::CouponState state) {
  return StateText(state);
}

std::string CouponBenefitText(const Coupon& coupon) {
  switch (coupon.benefit_case()) {
    case Coupon::kAmountOff:
      return absl::StrCat(FormatMinorUnits(coupon.amount_off().amount_minor(),
                                           coupon.amount_off().currency()),
                          " off");
    case Coupon::kPercentOff:
      return absl::StrCat(coupon.percent_off(), "% off");
    case Coupon::kFreeItemSku:
      return absl::StrCat("free ", coupon.free_item_sku());
    case Coupon::kPointsMultiplierPercent:
      return absl::StrCat("points x", coupon.points_multiplier_percent(),
                          "% on the order");
    case Coupon::kBonusPoints:
      return absl::StrCat(coupon.bonus_points(), " bonus points on the order");
    case Coupon::BENEFIT_NOT_SET:
      break;
  }
  return "-";
}

std::vector<Field> CouponFields(const Coupon& coupon) {
  std::vector<Field> fields = {
      {"code", coupon.code()},
      {"template", coupon.template_id()},
      {"name", coupon.display_name()},
      // Bulk coupon codes: a bearer coupon has no owner, but its batch.
      {"member", coupon.batch_id().empty() ? coupon.member_id()
                                           : std::string("any (bearer code)")},
      {"benefit", CouponBenefitText(coupon)},
  };
  if (!coupon.batch_id().empty()) {
    fields.insert(fields.begin() + 4, {"batch", coupon.batch_id()});
  }
  if (!coupon.reward_item_id().empty()) {
    fields.push_back({"reward", coupon.reward_item_id()});
  }
  // Coupons issued by program rules: the tier or spend bonus that gave it.
  if (!coupon.rule_id().empty()) {
    fields.insert(fields.begin() + 4, {"rule", coupon.rule_id()});
  }
  AddCheckoutRuleFields(coupon, &fields);
  fields.push_back(
      {"uses", absl::StrCat(coupon.uses(), " of ", coupon.uses_allowed())});
  if (coupon.uses_reserved() > 0) {
    fields.push_back({"reserved", absl::StrCat(coupon.uses_reserved())});
  }
  fields.push_back({"valid from", FormatTimeUtc(coupon.valid_from_ms())});
  fields.push_back({"valid until", FormatTimeUtc(coupon.valid_until_ms())});
  fields.push_back({"state", StateText(coupon.state())});
  return fields;
}

Field AppliedCouponField(const AppliedCoupon& applied) {
  if (IsPointsCoupon(applied)) {
    return {"points", FormatPointsDelta(applied.points())};
  }
  return {"discount", FormatMinorUnits(applied.discount_minor(), "")};
}

void PrintAppliedCoupons(std::ostream& out, const AppliedCoupons& coupons) {
  if (coupons.empty()) return;
  Table table({{"COUPON", Table::Align::kLeft},
               {"TEMPLATE", Table::Align::kLeft},
               {"DISCOUNT", Table::Align::kRight},
               {"POINTS", Table::Align::kRight}});
  for (const AppliedCoupon& applied : coupons) {
    const bool points_coupon = IsPointsCoupon(applied);
    table.AddRow({applied.code(), applied.template_id(),
                  points_coupon ? "-"
                                : FormatMinorUnits(applied.discount_minor(), ""),
                  points_coupon ? FormatPointsDelta(applied.points()) : "-"});
  }
  out << '\n';
  table.Print(out);
}

void PrintIssuedCoupons(std::ostream& out, const IssuedCoupons& coupons) {
  if (coupons.empty()) return;
  Table table({{"ISSUED COUPON", Table::Align::kLeft},
               {"TEMPLATE", Table::Align::kLeft},
               {"RULE", Table::Align::kLeft},
               {"VALID UNTIL", Table::Align::kLeft}});
  for (const Coupon& coupon : coupons) {
    table.AddRow({coupon.code(), coupon.template_id(), coupon.rule_id(),
                  FormatTimeUtc(coupon.valid_until_ms())});
  }
  out << '\n';
  table.Print(out);
}

}  // namespace loyalty::ctl
