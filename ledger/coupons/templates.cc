#include "ledger/coupons/templates.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/coupons_fold.h"
#include "ledger/coupons/codes.h"

namespace loyalty {
namespace {

using loyalty::v1::CouponTemplate;

bool HasEarnCurrency(const loyalty::v1::ProgramConfig& program,
                     absl::string_view currency) {
  for (const auto& rate : program.earn_rates()) {
    if (rate.currency() == currency) return true;
  }
  return false;
}

absl::Status ValidateTemplate(const loyalty::v1::ProgramConfig& program,
                              const CouponTemplate& t,
                              const std::string& path) {
  LEDGER_RETURN_IF_ERROR(ValidateId(t.template_id(), path + ".template_id"));
  LEDGER_RETURN_IF_ERROR(ValidateText(t.display_name(), path + ".display_name",
                                      kDisplayNameBytesMax));
  switch (t.benefit_case()) {
    case CouponTemplate::kAmountOff:
      if (t.amount_off().amount_minor() < 1 ||
          t.amount_off().amount_minor() > kUnitPriceMinorMax) {
        return InvalidField(path + ".amount_off.amount_minor",
                            absl::StrCat("must be between 1 and ",
                                         kUnitPriceMinorMax));
      }
      if (!HasEarnCurrency(program, t.amount_off().currency())) {
        return InvalidField(path + ".amount_off.currency",
                            absl::StrCat("\"", t.amount_off().currency(),
                                         "\" is not one of the program's "
                                         "earn_rates currencies"));
      }
      break;
    case CouponTemplate::kPercentOff:
      if (t.percent_off() < 1 || t.percent_off() > 100) {
        return InvalidField(path + ".percent_off", "must be between 1 and 100");
      }
      break;
    case CouponTemplate::kFreeItemSku:
      LEDGER_RETURN_IF_ERROR(ValidateToken(
          t.free_item_sku(), path + ".free_item_sku", kIdLengthMax, true));
      break;
    case CouponTemplate::kPointsMultiplierPercent:
      if (t.points_multiplier_percent() < kCouponMultiplierPercentMin ||
          t.points_multiplier_percent() > kCouponMultiplierPercentMax) {
        return InvalidField(path + ".points_multiplier_percent",
                            absl::StrCat("must be between ",
                                         kCouponMultiplierPercentMin, " and ",
                                         kCouponMultiplierPercentMax));
      }
      break;
    case CouponTemplate::kBonusPoints:
      if (t.bonus_points() < 1 || t.bonus_points() > kCouponBonusPointsMax) {
        return InvalidField(path + ".bonus_points",
                            absl::StrCat("must be between 1 and ",
                                         kCouponBonusPointsMax));
      }
      break;
    case CouponTemplate::BENEFIT_NOT_SET:
      return InvalidField(path + ".benefit",
                          "set one of amount_off, percent_off, free_item_sku, "
                          "points_multiplier_percent, bonus_points");
  }
  // Every amount the template names is in one currency, the template's.
  std::string currency;
  std::string currency_field;
  auto amount = [&](const loyalty::v1::MinorAmount& value,
                    const std::string& field) -> absl::Status {
    if (value.amount_minor() < 1 || value.amount_minor() > kUnitPriceMinorMax) {
      return InvalidField(field + ".amount_minor",
                          absl::StrCat("must be between 1 and ",
                                       kUnitPriceMinorMax));
    }
    if (!HasEarnCurrency(program, value.currency())) {
      return InvalidField(field + ".currency",
                          absl::StrCat("\"", value.currency(),
                                       "\" is not one of the program's "
                                       "earn_rates currencies"));
    }
    return absl::OkStatus();
  };
  auto same_currency = [&](const std::string& value,
                           const std::string& field) -> absl::Status {
    if (currency.empty()) {
      currency = value;
      currency_field = field;
    } else if (value != currency) {
      return InvalidField(field, absl::StrCat("is ", value, " but ",
                                              currency_field, " is ", currency,
                                              ": a template has one currency"));
    }
    return absl::OkStatus();
  };
  if (t.has_amount_off()) {
    LEDGER_RETURN_IF_ERROR(
        same_currency(t.amount_off().currency(), path + ".amount_off.currency"));
  }
  if (t.has_min_spend()) {
    LEDGER_RETURN_IF_ERROR(amount(t.min_spend(), path + ".min_spend"));
    LEDGER_RETURN_IF_ERROR(
        same_currency(t.min_spend().currency(), path + ".min_spend.currency"));
  }
  if (t.has_discount_budget()) {
    if (t.has_points_multiplier_percent() || t.has_bonus_points()) {
      return InvalidField(path + ".discount_budget",
                          "a points coupon takes nothing off an order");
    }
    LEDGER_RETURN_IF_ERROR(
        amount(t.discount_budget(), path + ".discount_budget"));
    LEDGER_RETURN_IF_ERROR(same_currency(t.discount_budget().currency(),
                                         path + ".discount_budget.currency"));
  }
  if (!loyalty::v1::CouponReturnPolicy_IsValid(t.return_policy())) {
    return InvalidField(path + ".return_policy", "names an unknown policy");
  }
  // As every rule of the program, a coupon names only listed categories.
  for (const std::string& category : t.eligible_categories()) {
    if (std::find(program.categories().begin(), program.categories().end(),
                  category) == program.categories().end()) {
      return InvalidField(path + ".eligible_categories",
                          absl::StrCat("unknown category \"", category,
                                       "\"; list it in categories"));
    }
  }
  for (const std::string& sku : t.eligible_skus()) {
    LEDGER_RETURN_IF_ERROR(
        ValidateToken(sku, path + ".eligible_skus", kIdLengthMax, true));
  }
  const bool fixed = t.valid_from_ms() != 0 || t.valid_until_ms() != 0;
  if (fixed == (t.valid_days_after_issue() != 0)) {
    return InvalidField(path + ".valid_days_after_issue",
                        "set either valid_from_ms and valid_until_ms, or "
                        "valid_days_after_issue");
  }
  if (fixed && (t.valid_from_ms() <= 0 ||
                t.valid_until_ms() <= t.valid_from_ms())) {
    return InvalidField(path + ".valid_until_ms",
                        "the window needs 0 < valid_from_ms < valid_until_ms");
  }
  if (!fixed && (t.valid_days_after_issue() < 1 ||
                 t.valid_days_after_issue() > kCouponValidDaysMax)) {
    return InvalidField(path + ".valid_days_after_issue",
                        absl::StrCat("must be between 1 and ",
                                     kCouponValidDaysMax));
  }
  if (t.uses_per_coupon() < 0 || t.uses_per_coupon() > kCouponUsesMax) {
    return InvalidField(path + ".uses_per_coupon",
                        absl::StrCat("must be between 0 (one use) and ",
                                     kCouponUsesMax));
  }
  if (t.per_member_limit() < 0 ||
      t.per_member_limit() > kCouponPerMemberLimitMax) {
    return InvalidField(path + ".per_member_limit",
                        absl::StrCat("must be between 0 (no limit) and ",
                                     kCouponPerMemberLimitMax));
  }
  if (t.issuance_budget() < 0 || t.issuance_budget() > kCouponIssuanceBudgetMax) {
    return InvalidField(path + ".issuance_budget",
                        absl::StrCat("must be between 0 (no limit) and ",
                                     kCouponIssuanceBudgetMax));
  }
  absl::flat_hash_set<int> channels;
  for (int channel : t.channels()) {
    if (channel == loyalty::v1::CHANNEL_UNSPECIFIED ||
        !loyalty::v1::Channel_IsValid(channel)) {
      return InvalidField(path + ".channels", "names an unknown channel");
    }
    if (!channels.insert(channel).second) {
      return InvalidField(path + ".channels", "names a channel twice");
    }
  }
  for (const std::string& store_id : t.store_ids()) {
    LEDGER_RETURN_IF_ERROR(
        ValidateToken(store_id, path + ".store_ids", kIdLengthMax, true));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCouponTemplates(const loyalty::v1::ProgramConfig& program) {
  if (!loyalty::v1::CouponEarnBasis_IsValid(program.coupon_earn_basis())) {
    return InvalidField("coupon_earn_basis", "names an unknown basis");
  }
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < program.coupon_templates_size(); ++i) {
    const CouponTemplate& t = program.coupon_templates(i);
    const std::string path = absl::StrCat("coupon_templates[", i, "]");
    LEDGER_RETURN_IF_ERROR(ValidateTemplate(program, t, path));
    if (!ids.insert(t.template_id()).second) {
      return InvalidField(path + ".template_id",
                          absl::StrCat("\"", t.template_id(),
                                       "\" is used by an earlier template"));
    }
  }
  return absl::OkStatus();
}

const CouponTemplate* FindCouponTemplate(
    const loyalty::v1::ProgramConfig& program, absl::string_view template_id) {
  for (const CouponTemplate& t : program.coupon_templates()) {
    if (t.template_id() == template_id) return &t;
  }
  return nullptr;
}

std::string CouponCurrency(const CouponTemplate& coupon_template) {
  if (coupon_template.has_amount_off()) {
    return coupon_template.amount_off().currency();
  }
  if (coupon_template.has_min_spend()) {
    return coupon_template.min_spend().currency();
  }
  if (coupon_template.has_discount_budget()) {
    return coupon_template.discount_budget().currency();
  }
  return std::string();
}

bool CouponNeedsBasket(const CouponTemplate& coupon_template) {
  return coupon_template.has_min_spend() ||
         coupon_template.has_discount_budget() ||
         coupon_template.has_points_multiplier_percent() ||
         coupon_template.has_bonus_points();
}

int32_t CouponUsesAllowed(const CouponTemplate& coupon_template) {
  return coupon_template.uses_per_coupon() == 0
             ? 1
             : coupon_template.uses_per_coupon();
}

CouponWindow CouponWindowFor(const CouponTemplate& coupon_template,
                             absl::TimeZone time_zone, int64_t issued_at_ms) {
  if (coupon_template.valid_days_after_issue() == 0) {
    return {coupon_template.valid_from_ms(), coupon_template.valid_until_ms()};
  }
  const absl::CivilDay issued_on = absl::ToCivilDay(
      absl::FromUnixMillis(issued_at_ms), time_zone);
  // The end of day issued_on + N is the start of day issued_on + N + 1.
  const absl::CivilDay after_last =
      issued_on + coupon_template.valid_days_after_issue() + 1;
  return {issued_at_ms,
          absl::ToUnixMillis(absl::FromCivil(after_last, time_zone))};
}

loyalty::v1::Coupon CouponView(const loyalty::storage::v1::CouponRecord& record,
                               const CouponTemplate* coupon_template,
                               int64_t now_ms) {
  loyalty::v1::Coupon coupon;
  coupon.set_code(FormatCouponCode(record.code()));
  coupon.set_template_id(record.template_id());
  coupon.set_member_id(record.member_id());
  coupon.set_valid_from_ms(record.valid_from_ms());
  coupon.set_valid_until_ms(record.valid_until_ms());
  coupon.set_uses_allowed(record.uses_allowed());
  coupon.set_uses(record.uses());
  const int32_t reserved = fold::ActiveReservations(record, now_ms);
  coupon.set_uses_reserved(reserved);
  coupon.set_issued_sequence(record.issued_sequence());
  coupon.set_batch_id(record.batch_id());  // Bulk coupon codes.
  coupon.set_rule_id(record.rule_id());    // Issued by a program rule.
  if (coupon_template != nullptr) {
    coupon.set_display_name(coupon_template->display_name());
    switch (coupon_template->benefit_case()) {
      case CouponTemplate::kAmountOff:
        *coupon.mutable_amount_off() = coupon_template->amount_off();
        break;
      case CouponTemplate::kPercentOff:
        coupon.set_percent_off(coupon_template->percent_off());
        break;
      case CouponTemplate::kFreeItemSku:
        coupon.set_free_item_sku(coupon_template->free_item_sku());
        break;
      case CouponTemplate::kPointsMultiplierPercent:
        coupon.set_points_multiplier_percent(
            coupon_template->points_multiplier_percent());
        break;
      case CouponTemplate::kBonusPoints:
        coupon.set_bonus_points(coupon_template->bonus_points());
        break;
      case CouponTemplate::BENEFIT_NOT_SET:
        break;
    }
    if (coupon_template->has_min_spend()) {
      *coupon.mutable_min_spend() = coupon_template->min_spend();
    }
    *coupon.mutable_eligible_categories() =
        coupon_template->eligible_categories();
    *coupon.mutable_eligible_skus() = coupon_template->eligible_skus();
    coupon.set_combinable(coupon_template->combinable());
  }
  coupon.set_reward_item_id(record.reward_item_id());
  if (record.cancelled()) {
    coupon.set_state(loyalty::v1::COUPON_STATE_CANCELLED);
  } else if (record.uses() >= record.uses_allowed()) {
    coupon.set_state(loyalty::v1::COUPON_STATE_USED_UP);
  } else if (now_ms < record.valid_from_ms()) {
    coupon.set_state(loyalty::v1::COUPON_STATE_NOT_YET_VALID);
  } else if (now_ms >= record.valid_until_ms()) {
    coupon.set_state(loyalty::v1::COUPON_STATE_EXPIRED);
  } else if (record.uses() + reserved >= record.uses_allowed()) {
    coupon.set_state(loyalty::v1::COUPON_STATE_RESERVED);
  } else {
    coupon.set_state(loyalty::v1::COUPON_STATE_USABLE);
  }
  return coupon;
}

}  // namespace loyalty
