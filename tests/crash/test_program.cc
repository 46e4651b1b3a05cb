#include "tests/crash/test_program.h"

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "ledger/common/hashing.h"

namespace loyalty::crash {

loyalty::v1::ProgramConfig CrashTestProgram() {
  loyalty::v1::ProgramConfig program;
  program.set_program_id("crash-test");
  program.set_display_name("Crash test rewards");
  for (const char* currency : {"EUR", "USD"}) {
    auto* rate = program.add_earn_rates();
    rate->set_rule_id(absl::StrCat("base-", currency));
    rate->set_currency(currency);
    rate->set_spend_minor_per_step(100);
    rate->set_points_per_step(1);
  }
  // Web earns get +20 up to 60 per member and 20,000 in all: the campaign
  // counts in member records and the head must survive every crash exactly
  // (VerifyLedger replays them), and a short run reaches both limits.
  auto* campaign = program.add_campaigns();
  campaign->set_rule_id("web-bonus");
  campaign->set_starts_at_ms(0);
  campaign->set_ends_at_ms(4'102'444'800'000);  // 2100-01-01.
  campaign->add_channels(loyalty::v1::CHANNEL_WEB);
  campaign->set_bonus_points(20);
  campaign->set_member_cap_points(60);
  campaign->set_budget_points(20'000);
  // Engagement events: their per-member counts (once ever, per day) must
  // survive every crash too.
  program.set_time_zone(kProgramTimeZone);
  auto* survey = program.add_engagement_events();
  survey->set_event_id("survey");
  survey->set_points(10);
  survey->set_max_per_day(3);
  auto* install = program.add_engagement_events();
  install->set_event_id("app-install");
  install->set_points(100);
  install->set_max_per_member(1);
  install->add_channels(loyalty::v1::CHANNEL_APP);
  // Short holds, few per member: holds time out during a run and hot
  // members reach TOO_MANY_HOLDS.
  program.set_hold_timeout_max_ms(kHoldTimeoutMsMax);
  program.set_holds_per_member_max(kHoldsOpenPerMemberMax);
  // Returns of spent points leave debt, down to a floor: a member's
  // available points may be negative.
  program.set_return_policy(loyalty::v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE);
  program.set_negative_balance_floor_points(kNegativeBalanceFloorPoints);
  // Tills' offline redemptions, synced: a member short of points goes into
  // debt (the same floor), one past the day's allowance is refused.
  program.mutable_offline_redemption()->set_points_per_member_day(
      kOfflineAllowancePoints);
  program.mutable_offline_redemption()->set_when_short(
      loyalty::v1::OFFLINE_SHORTFALL_POLICY_DEBT);
  // Pending points that mature during a run: earns of orders dated just
  // inside the window (workload.h).
  program.set_return_window_days(kReturnWindowDays);
  // Lots expire, so a transfer moves lots with different expiry dates (an
  // import's earned last year, an earn's this year) and must keep each.
  program.mutable_expiry()->set_years_after_earn_year_end(
      kExpiryYearsAfterEarnYearEnd);
  program.set_default_phone_region(kDefaultPhoneRegion);
  program.mutable_transfer_rules()->set_per_transfer_max_points(
      kTransferPointsPerTransferMax);
  program.mutable_transfer_rules()->set_per_day_max_points(
      kTransferPointsPerDayMax);
  // Coupons (coupon_check.h): one of five uses, so that clients race for
  // the last uses of a code, and a single-use one.
  for (const auto& [template_id, uses] :
       {std::pair{kCouponTemplateMulti, kCouponUsesMulti},
        std::pair{kCouponTemplateSingle, 1}}) {
    auto* coupon = program.add_coupon_templates();
    coupon->set_template_id(template_id);
    coupon->set_display_name("Crash test coupon");
    // Returning a whole order gives a single-use coupon used on it back.
    if (uses == 1) {
      coupon->set_return_policy(loyalty::v1::COUPON_RETURN_POLICY_RESTORE);
    }
    coupon->set_percent_off(10);
    coupon->set_valid_days_after_issue(30);
    coupon->set_uses_per_coupon(uses);
  }
  // Coupons issued by program rules: a spend bonus giving a coupon only.
  auto* thanks = program.add_coupon_templates();
  thanks->set_template_id(kRuleCouponTemplate);
  thanks->set_display_name("Crash test thank-you");
  thanks->set_percent_off(5);
  thanks->set_valid_days_after_issue(30);
  auto* spend_bonus = program.add_spend_bonuses();
  spend_bonus->set_rule_id(kRuleCouponBonus);
  spend_bonus->set_currency(kRuleCouponCurrency);
  spend_bonus->set_min_spend_minor(kRuleCouponSpendMinor);
  spend_bonus->set_coupon_template_id(kRuleCouponTemplate);
  auto* voucher = program.add_voucher_products();
  voucher->set_product_id(kVoucherProduct);
  voucher->set_display_name("Crash test coffees");
  voucher->set_sku("COFFEE");
  voucher->set_units_per_voucher_max(kVoucherUnits);
  voucher->set_valid_days_after_issue(30);
  voucher->set_refundable(true);
  voucher->set_gift_claim_days(7);
  auto* reward = program.add_reward_items();
  reward->set_item_id(kRewardCouponItem);
  reward->set_points_price(kRewardCouponPoints);
  reward->set_coupon_template_id(kCouponTemplateSingle);
  reward->set_stock(kRewardCouponStock);
  reward->set_cancellable(true);
  reward = program.add_reward_items();
  reward->set_item_id(kRewardVoucherItem);
  reward->set_points_price(kRewardVoucherPoints);
  reward->set_voucher_product_id(kVoucherProduct);
  reward->set_voucher_units(kRewardVoucherUnits);
  reward->set_cancellable(true);
  return program;
}

loyalty::v1::KeysFile CrashTestKeys() {
  loyalty::v1::KeysFile keys;
  auto add_key = [&](const std::string& principal, const std::string& key,
                     loyalty::v1::Role role) {
    loyalty::v1::ApiKey* api_key = keys.add_keys();
    api_key->set_principal(principal);
    api_key->set_key_sha256_hex(HexEncode(Sha256(key)));
    api_key->set_role(role);
    return api_key;
  };
  add_key("pos-terminal", kPosKey, loyalty::v1::ROLE_POS)
      ->set_all_stores(true);
  add_key("app-backend", kAppKey, loyalty::v1::ROLE_APP);
  add_key("operator", kAdminKey, loyalty::v1::ROLE_ADMIN);
  return keys;
}

absl::Status WriteCrashTestProgram(const std::string& path) {
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(CrashTestProgram(), &text)) {
    return absl::InternalError("cannot print the test program");
  }
  std::ofstream out(path, std::ios::trunc);
  out << "# proto-file: loyalty/v1/program.proto\n"
         "# proto-message: loyalty.v1.ProgramConfig\n"
      << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WriteCrashTestKeys(const std::string& path) {
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(CrashTestKeys(), &text)) {
    return absl::InternalError("cannot print the test keys");
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace loyalty::crash
