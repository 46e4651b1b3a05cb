#include "ledger/coupons/checkout.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/currency.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/bearer_coupons.h"
#include "ledger/coupons/codes.h"
#include "ledger/coupons/coupon_rules.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/generate_fold.h"
#include "ledger/coupons/templates.h"
#include "ledger/engine/batch.h"
#include "ledger/engine/rule_support.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::CouponCount;
using loyalty::storage::v1::CouponRecord;
using loyalty::storage::v1::MemberRecord;
using loyalty::v1::BasketLine;
using loyalty::v1::CouponTemplate;
using loyalty::v1::LedgerEntry;

__extension__ typedef __int128 Int128;

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& values,
              const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Whether `coupon_template` applies to `line` (its eligible categories and
// SKUs; none named: every line; a free item: only lines of that SKU).
bool CoversLine(const CouponTemplate& coupon_template, const BasketLine& line) {
  if (coupon_template.has_free_item_sku() &&
      line.sku() != coupon_template.free_item_sku()) {
    return false;
  }
  if (coupon_template.eligible_categories().empty() &&
      coupon_template.eligible_skus().empty()) {
    return true;
  }
  return (!line.category().empty() &&
          Contains(coupon_template.eligible_categories(), line.category())) ||
         Contains(coupon_template.eligible_skus(), line.sku());
}

// One coupon's discount on each line, from what is left of each (the rules
// in checkout.h). Zero everywhere for a points coupon.
std::vector<int64_t> DiscountLines(const CouponTemplate& coupon_template,
                                   const std::vector<bool>& covers,
                                   const std::vector<int64_t>& left_minor,
                                   const loyalty::v1::EarnRequest& request) {
  const size_t n = left_minor.size();
  std::vector<int64_t> discount(n, 0);
  switch (coupon_template.benefit_case()) {
    case CouponTemplate::kPercentOff:
      for (size_t i = 0; i < n; ++i) {
        if (!covers[i]) continue;
        discount[i] = static_cast<int64_t>(Int128{left_minor[i]} *
                                           coupon_template.percent_off() / 100);
      }
      break;
    case CouponTemplate::kAmountOff: {
      Int128 covered_left = 0;
      for (size_t i = 0; i < n; ++i) {
        if (covers[i]) covered_left += left_minor[i];
      }
      if (covered_left == 0) break;
      const Int128 amount = std::min<Int128>(
          coupon_template.amount_off().amount_minor(), covered_left);
      Int128 placed = 0;
      for (size_t i = 0; i < n; ++i) {
        if (!covers[i]) continue;
        discount[i] =
            static_cast<int64_t>(Int128{left_minor[i]} * amount / covered_left);
        placed += discount[i];
      }
      // The floors leave fewer units than there are lines whose share had a
      // remainder, and such a line always has room for one more.
      for (size_t i = 0; i < n && placed < amount; ++i) {
        if (!covers[i] || Int128{left_minor[i]} * amount % covered_left == 0) {
          continue;
        }
        LEDGER_CHECK(discount[i] < left_minor[i]);
        discount[i] += 1;
        placed += 1;
      }
      LEDGER_CHECK(placed == amount);
      break;
    }
    case CouponTemplate::kFreeItemSku:
      for (size_t i = 0; i < n; ++i) {
        if (!covers[i] || left_minor[i] == 0) continue;
        discount[i] =
            std::min(request.lines(static_cast<int>(i)).unit_price_minor(),
                     left_minor[i]);
        break;
      }
      break;
    default:  // Points coupons.
      break;
  }
  return discount;
}

// `refusal` with its message naming the code's field, so that a till with
// several codes on an order knows which one was refused. An unknown code
// stays one generic message.
absl::Status NamingField(const absl::Status& refusal, const std::string& field) {
  // A storage failure is not a refusal of the code: as it is.
  if (ReasonOf(refusal) == loyalty::v1::ERROR_REASON_UNSPECIFIED) {
    return refusal;
  }
  if (ReasonOf(refusal) == loyalty::v1::ERROR_REASON_COUPON_NOT_FOUND) {
    return WithReason(absl::NotFoundError(field + ": no such coupon"),
                      loyalty::v1::ERROR_REASON_COUPON_NOT_FOUND);
  }
  return WithReason(
      absl::Status(refusal.code(), absl::StrCat(field, ": ", refusal.message())),
      ReasonOf(refusal));
}

bool TakesMoneyOff(const CouponTemplate& coupon_template) {
  return coupon_template.has_amount_off() ||
         coupon_template.has_percent_off() ||
         coupon_template.has_free_item_sku();
}

}  // namespace

absl::Status CanonicalizeCouponCodes(loyalty::v1::EarnRequest& request) {
  if (request.coupon_codes_size() > kCouponsPerOrderMax) {
    return InvalidField(
        "coupon_codes",
        absl::StrCat("at most ", kCouponsPerOrderMax, " coupons per order"));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < request.coupon_codes_size(); ++i) {
    const std::string field = absl::StrCat("coupon_codes[", i, "]");
    LEDGER_ASSIGN_OR_RETURN(std::string canonical,
                            ParseCouponCode(request.coupon_codes(i), field));
    if (!seen.insert(canonical).second) {
      return InvalidField(field, "names the same coupon as an earlier code");
    }
    request.set_coupon_codes(i, std::move(canonical));
  }
  return absl::OkStatus();
}

absl::StatusOr<CouponCheckout> CheckOutCoupons(
    const Rules& rules, const loyalty::v1::EarnRequest& request, int64_t now_ms,
    int64_t order_time_ms, CouponLoader load) {
  const loyalty::v1::ProgramConfig& program = rules.program;
  LEDGER_CHECK(request.coupon_codes_size() > 0);
  const int count = request.coupon_codes_size();

  // 1. Each coupon on its own.
  std::vector<PresentedCoupon> presented;
  std::vector<const CouponTemplate*> templates;
  // Bulk coupon codes: bearer codes of each template earlier in this order.
  absl::flat_hash_map<std::string, int64_t> bearer_uses_in_order;
  for (int c = 0; c < count; ++c) {
    const std::string field = absl::StrCat("coupon_codes[", c, "]");
    absl::StatusOr<PresentedCoupon> loaded = load(request.coupon_codes(c));
    if (!loaded.ok()) return NamingField(loaded.status(), field);
    PresentedCoupon coupon = *std::move(loaded);
    const CouponTemplate* coupon_template =
        FindCouponTemplate(program, coupon.record.template_id());
    absl::Status usable = CheckCouponUsable(coupon.record, coupon_template,
                                            now_ms, request.context());
    if (!usable.ok()) return NamingField(usable, field);
    if (coupon_template == nullptr) {
      return WithReason(
          absl::NotFoundError(absl::StrCat(
              "coupon_codes[", c, "]: the coupon's template \"",
              coupon.record.template_id(), "\" is no longer in the program")),
          loyalty::v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
    }
    if (fold::IsBearerCoupon(coupon.record)) {
      int64_t& in_order = bearer_uses_in_order[coupon.record.template_id()];
      absl::Status within =
          CheckBearerLimit(coupon.record, coupon_template, request.member_id(),
                           coupon.member_bearer_uses + in_order);
      if (!within.ok()) return NamingField(within, field);
      ++in_order;
    }
    const std::string currency = CouponCurrency(*coupon_template);
    if (!currency.empty() && currency != request.currency()) {
      return CouponRefused(
          loyalty::v1::ERROR_REASON_COUPON_WRONG_CURRENCY,
          absl::StrCat("coupon_codes[", c, "]: the coupon is for orders in ",
                       currency, ", this order is in ", request.currency()));
    }
    presented.push_back(std::move(coupon));
    templates.push_back(coupon_template);
  }
  // 2. Together.
  if (count > 1) {
    for (int c = 0; c < count; ++c) {
      if (!templates[c]->combinable()) {
        return CouponRefused(
            loyalty::v1::ERROR_REASON_COUPON_NOT_COMBINABLE,
            absl::StrCat("coupon_codes[", c,
                         "]: the coupon cannot be "
                         "combined with other coupons on one order"));
      }
    }
  }
  // 3. Against the basket, each on what the ones before it left.
  const size_t line_count = static_cast<size_t>(request.lines_size());
  std::vector<int64_t> left_minor(line_count);
  for (size_t i = 0; i < line_count; ++i) {
    const BasketLine& line = request.lines(static_cast<int>(i));
    if (__builtin_mul_overflow(line.quantity(), line.unit_price_minor(),
                               &left_minor[i])) {
      return InvalidField(absl::StrCat("lines[", i, "]"),
                          "quantity x unit_price_minor overflows int64");
    }
  }
  CouponCheckout checkout;
  EarnCouponEffects effects;
  effects.line_discount_minor.assign(line_count, 0);
  effects.earn_on_gross =
      program.coupon_earn_basis() == loyalty::v1::COUPON_EARN_BASIS_GROSS;
  // Discounts this order already takes from each template's budget.
  absl::flat_hash_map<std::string, int64_t> order_given_minor;
  std::vector<int> points_coupon_of;  // Index into applied, per points coupon.
  for (int c = 0; c < count; ++c) {
    const CouponTemplate& coupon_template = *templates[c];
    const std::string field = absl::StrCat("coupon_codes[", c, "]");
    std::vector<bool> covers(line_count);
    bool any = false;
    Int128 covered_spend = 0;
    for (size_t i = 0; i < line_count; ++i) {
      covers[i] =
          CoversLine(coupon_template, request.lines(static_cast<int>(i)));
      if (!covers[i]) continue;
      any = true;
      covered_spend +=
          request.lines(static_cast<int>(i)).quantity() *
          Int128{request.lines(static_cast<int>(i)).unit_price_minor()};
    }
    if (!any) {
      return CouponRefused(
          loyalty::v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES,
          absl::StrCat(field,
                       ": no line of the basket is one the coupon "
                       "applies to"));
    }
    if (coupon_template.has_min_spend() &&
        covered_spend < coupon_template.min_spend().amount_minor()) {
      return CouponRefused(
          loyalty::v1::ERROR_REASON_COUPON_BASKET_TOO_SMALL,
          absl::StrCat(
              field, ": the coupon needs ",
              FormatMinorAmount(coupon_template.min_spend().amount_minor(),
                                request.currency()),
              " of the lines it applies to; the basket has ",
              FormatMinorAmount(static_cast<int64_t>(covered_spend),
                                request.currency())));
    }
    loyalty::v1::AppliedCoupon& applied = checkout.applied.emplace_back();
    applied.set_code(FormatCouponCode(presented[c].record.code()));
    applied.set_template_id(coupon_template.template_id());
    applied.set_display_name(coupon_template.display_name());
    if (!TakesMoneyOff(coupon_template)) {
      EarnCouponEffects::PointsCoupon& points =
          effects.points_coupons.emplace_back();
      points.template_id = coupon_template.template_id();
      points.description =
          coupon_template.display_name().empty()
              ? absl::StrCat("coupon ", coupon_template.template_id())
              : coupon_template.display_name();
      points.covers_line = covers;
      points.multiplier_percent = coupon_template.points_multiplier_percent();
      points.bonus_points = coupon_template.bonus_points();
      points_coupon_of.push_back(c);
      continue;
    }
    const std::vector<int64_t> discount =
        DiscountLines(coupon_template, covers, left_minor, request);
    int64_t total = 0;
    for (int64_t d : discount) total += d;  // At most the basket: fits.
    if (total == 0) {
      return CouponRefused(
          loyalty::v1::ERROR_REASON_COUPON_NO_ELIGIBLE_LINES,
          absl::StrCat(field,
                       ": nothing is left to take off the lines the "
                       "coupon applies to"));
    }
    if (coupon_template.has_discount_budget()) {
      int64_t& given = order_given_minor[coupon_template.template_id()];
      const int64_t budget_left =
          coupon_template.discount_budget().amount_minor() -
          presented[c].template_discount_given_minor - given;
      if (total > budget_left) {
        return CouponRefused(
            loyalty::v1::ERROR_REASON_COUPON_DISCOUNT_BUDGET_SPENT,
            absl::StrCat(field, ": the coupon would take off ",
                         FormatMinorAmount(total, request.currency()),
                         " but its template's discount budget has ",
                         FormatMinorAmount(std::max<int64_t>(budget_left, 0),
                                           request.currency()),
                         " left"));
      }
      given += total;
    }
    for (size_t i = 0; i < line_count; ++i) {
      if (discount[i] == 0) continue;
      left_minor[i] -= discount[i];
      effects.line_discount_minor[i] += discount[i];
      loyalty::v1::LineDiscount* line = applied.add_lines();
      line->set_line_index(static_cast<int32_t>(i));
      line->set_discount_minor(discount[i]);
    }
    applied.set_discount_minor(total);
    checkout.discount_minor += total;
  }

  absl::StatusOr<EarnComputation> earn =
      ComputeEarn(program, request, order_time_ms, &effects);
  if (!earn.ok()) {
    // The basket's own points fit (Earn checked them before queueing): only
    // a points coupon's extra can overflow, which is a question of what the
    // member may hold, not a malformed request.
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "the points of this order with its coupons overflow: ",
            earn.status().message())),
        loyalty::v1::ERROR_REASON_BALANCE_OVERFLOW);
  }
  checkout.earn = *std::move(earn);
  for (size_t p = 0; p < points_coupon_of.size(); ++p) {
    checkout.applied[points_coupon_of[p]].set_points(
        checkout.earn.coupon_points[p]);
  }
  for (PresentedCoupon& coupon : presented) {
    checkout.coupons.push_back(std::move(coupon.record));
  }
  return checkout;
}

absl::StatusOr<PresentedCoupon> LoadPresentedCoupon(
    const std::string& code, const std::string& member_id, Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(
      CouponRecord * coupon,
      batch.LoadRecord<CouponRecord>(Family::kCoupons, CouponKey(code)));
  if (coupon->code().empty()) return CouponNotFound();
  LEDGER_RETURN_IF_ERROR(CheckPresentedBy(*coupon, member_id, batch));
  LEDGER_ASSIGN_OR_RETURN(const int64_t bearer_uses,
                          BearerUsesOf(*coupon, member_id, batch));
  LEDGER_ASSIGN_OR_RETURN(CouponCount * template_count,
                          batch.LoadRecord<CouponCount>(
                              Family::kCouponCounts,
                              CouponTemplateCountKey(coupon->template_id())));
  PresentedCoupon presented;
  presented.record = *coupon;
  presented.template_discount_given_minor =
      template_count->discount_given_minor();
  presented.member_bearer_uses = bearer_uses;
  return presented;
}

void RecordCouponUses(const loyalty::v1::RequestContext& context,
                      const std::string& principal, const std::string& order_id,
                      const std::string& currency,
                      const CouponCheckout& checkout, MemberRecord* member,
                      Batch& batch) {
  LEDGER_CHECK(checkout.coupons.size() == checkout.applied.size());
  for (size_t c = 0; c < checkout.coupons.size(); ++c) {
    const std::string& code = checkout.coupons[c].code();
    const std::string template_key =
        CouponTemplateCountKey(checkout.coupons[c].template_id());
    // Loaded by LoadPresentedCoupon in this batch: no read fails now.
    absl::StatusOr<CouponRecord*> coupon =
        batch.LoadRecord<CouponRecord>(Family::kCoupons, CouponKey(code));
    absl::StatusOr<CouponCount*> template_count =
        batch.LoadRecord<CouponCount>(Family::kCouponCounts, template_key);
    LEDGER_CHECK(coupon.ok() && template_count.ok());
    const int64_t discount_minor = checkout.applied[c].discount_minor();

    LedgerEntry entry =
        EntryFor(context, principal, loyalty::v1::ENTRY_KIND_COUPON_REDEEM,
                 member->member_id());
    entry.set_order_id(order_id);
    loyalty::v1::CouponRedeemed* redeemed = entry.mutable_coupon_redeemed();
    redeemed->set_code(code);
    redeemed->set_template_id((*coupon)->template_id());
    redeemed->set_uses_after((*coupon)->uses() + 1);
    if (discount_minor > 0) {
      redeemed->set_discount_minor(discount_minor);
      redeemed->set_currency(currency);
    }
    LedgerEntry appended = batch.Append(std::move(entry), member);
    // Invariant: CheckOutCoupons checked what the fold checks.
    LEDGER_CHECK(
        fold::FoldCouponEntry(appended, *coupon, *template_count, nullptr)
            .ok());
    batch.StageRecord(Family::kCoupons, CouponKey(code));
    RecordBearerUse(appended, **coupon, batch);
    // The count changes only by a discount.
    if (discount_minor > 0) {
      batch.StageRecord(Family::kCouponCounts, template_key);
    }
  }
}

}  // namespace loyalty
