#include "ledger/common/program.h"

#include <fstream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/common/currency.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"
#include "ledger/common/text_format_errors.h"
#include "ledger/common/validation.h"
#include "ledger/coupons/templates.h"
#include "ledger/members/identifiers.h"
#include "ledger/rewards/catalog.h"
#include "ledger/vouchers/products.h"

namespace loyalty {
namespace {

using loyalty::v1::EarnRate;
using loyalty::v1::ProgramConfig;

absl::Status ValidateEarnRate(const EarnRate& rate, const std::string& path) {
  // Rule ids are stored in every entry's breakdown: keep them plain ids.
  LEDGER_RETURN_IF_ERROR(ValidateId(rate.rule_id(), path + ".rule_id"));
  if (!CurrencyMinorDigits(rate.currency()).has_value()) {
    return InvalidField(
        path + ".currency",
        absl::StrCat("\"", rate.currency(), "\" is not an ISO 4217 code"));
  }
  if (rate.spend_minor_per_step() <= 0) {
    return InvalidField(path + ".spend_minor_per_step", "must be positive");
  }
  if (rate.points_per_step() < 0 ||
      rate.points_per_step() > kEarnPointsPerStepMax) {
    return InvalidField(
        path + ".points_per_step",
        absl::StrCat("must be between 0 and ", kEarnPointsPerStepMax));
  }
  return absl::OkStatus();
}

absl::Status ValidateEarnRates(const ProgramConfig& program) {
  if (program.earn_rates().empty()) {
    return InvalidField("earn_rates",
                        "the program needs at least one currency");
  }
  absl::flat_hash_set<std::string> rule_ids;
  absl::flat_hash_set<std::string> currencies;
  for (int i = 0; i < program.earn_rates_size(); ++i) {
    const EarnRate& rate = program.earn_rates(i);
    std::string path = absl::StrCat("earn_rates[", i, "]");
    LEDGER_RETURN_IF_ERROR(ValidateEarnRate(rate, path));
    if (!rule_ids.insert(rate.rule_id()).second) {
      return InvalidField(
          path + ".rule_id",
          absl::StrCat("\"", rate.rule_id(), "\" is used by an earlier rule"));
    }
    if (!currencies.insert(rate.currency()).second) {
      return InvalidField(
          path + ".currency",
          absl::StrCat(rate.currency(), " has an earlier earn rate"));
    }
  }
  return absl::OkStatus();
}

// Rule ids are unique across every kind of rule: an entry's breakdown names
// the rule by id alone.
class RuleIds {
 public:
  absl::Status Add(const std::string& rule_id, const std::string& path) {
    LEDGER_RETURN_IF_ERROR(ValidateId(rule_id, path));
    if (!ids_.insert(rule_id).second) {
      return InvalidField(
          path, absl::StrCat("\"", rule_id, "\" is used by an earlier rule"));
    }
    return absl::OkStatus();
  }

 private:
  absl::flat_hash_set<std::string> ids_;
};

absl::Status ValidateKnownCategory(
    const absl::flat_hash_set<std::string>& categories,
    const std::string& category, const std::string& path) {
  if (!categories.contains(category)) {
    return InvalidField(path, absl::StrCat("unknown category \"", category,
                                           "\"; list it in categories"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMultiplierOrBonus(int32_t multiplier_percent,
                                       int64_t bonus_points,
                                       int64_t bonus_points_max,
                                       const std::string& path,
                                       absl::string_view bonus_field) {
  if ((multiplier_percent != 0) == (bonus_points != 0)) {
    return InvalidField(path, absl::StrCat("set exactly one of "
                                           "multiplier_percent and ",
                                           bonus_field));
  }
  if (multiplier_percent != 0 && (multiplier_percent < kMultiplierPercentMin ||
                                  multiplier_percent > kMultiplierPercentMax)) {
    return InvalidField(
        path + ".multiplier_percent",
        absl::StrCat("must be between ", kMultiplierPercentMin, " and ",
                     kMultiplierPercentMax, " (100 would change nothing)"));
  }
  if (bonus_points != 0 &&
      (bonus_points < 1 || bonus_points > bonus_points_max)) {
    return InvalidField(
        absl::StrCat(path, ".", bonus_field),
        absl::StrCat("must be between 1 and ", bonus_points_max));
  }
  return absl::OkStatus();
}

absl::Status ValidateDescription(const std::string& description,
                                 const std::string& path) {
  return ValidateText(description, path + ".description",
                      kRuleDescriptionBytesMax);
}

absl::Status ValidateCategories(const ProgramConfig& program,
                                absl::flat_hash_set<std::string>* categories) {
  for (int i = 0; i < program.categories_size(); ++i) {
    std::string path = absl::StrCat("categories[", i, "]");
    LEDGER_RETURN_IF_ERROR(ValidateId(program.categories(i), path));
    if (!categories->insert(program.categories(i)).second) {
      return InvalidField(path, absl::StrCat("\"", program.categories(i),
                                             "\" is listed twice"));
    }
  }
  absl::flat_hash_set<std::string> excluded;
  for (int i = 0; i < program.excluded_categories_size(); ++i) {
    std::string path = absl::StrCat("excluded_categories[", i, "]");
    LEDGER_RETURN_IF_ERROR(ValidateKnownCategory(
        *categories, program.excluded_categories(i), path));
    if (!excluded.insert(program.excluded_categories(i)).second) {
      return InvalidField(path,
                          absl::StrCat("\"", program.excluded_categories(i),
                                       "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProductRules(
    const ProgramConfig& program,
    const absl::flat_hash_set<std::string>& categories, RuleIds* rule_ids) {
  absl::flat_hash_set<std::string> matched;  // "category:x" / "sku:y"
  for (int i = 0; i < program.product_rules_size(); ++i) {
    const loyalty::v1::ProductRule& rule = program.product_rules(i);
    std::string path = absl::StrCat("product_rules[", i, "]");
    LEDGER_RETURN_IF_ERROR(rule_ids->Add(rule.rule_id(), path + ".rule_id"));
    LEDGER_RETURN_IF_ERROR(ValidateDescription(rule.description(), path));
    if (rule.category().empty() == rule.sku().empty()) {
      return InvalidField(path, "set exactly one of category and sku");
    }
    std::string match_key;
    if (!rule.category().empty()) {
      LEDGER_RETURN_IF_ERROR(ValidateKnownCategory(categories, rule.category(),
                                                   path + ".category"));
      if (absl::c_linear_search(program.excluded_categories(),
                                rule.category())) {
        return InvalidField(
            path + ".category",
            absl::StrCat("\"", rule.category(), "\" is excluded from earning"));
      }
      match_key = "category:" + rule.category();
    } else {
      LEDGER_RETURN_IF_ERROR(ValidateId(rule.sku(), path + ".sku"));
      match_key = "sku:" + rule.sku();
    }
    if (!matched.insert(match_key).second) {
      return InvalidField(path, absl::StrCat("an earlier product rule already "
                                             "covers ",
                                             match_key));
    }
    LEDGER_RETURN_IF_ERROR(ValidateMultiplierOrBonus(
        rule.multiplier_percent(), rule.bonus_points_per_unit(),
        kBonusPointsPerUnitMax, path, "bonus_points_per_unit"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCampaigns(
    const ProgramConfig& program,
    const absl::flat_hash_set<std::string>& categories, RuleIds* rule_ids) {
  for (int i = 0; i < program.campaigns_size(); ++i) {
    const loyalty::v1::Campaign& campaign = program.campaigns(i);
    std::string path = absl::StrCat("campaigns[", i, "]");
    LEDGER_RETURN_IF_ERROR(
        rule_ids->Add(campaign.rule_id(), path + ".rule_id"));
    LEDGER_RETURN_IF_ERROR(ValidateDescription(campaign.description(), path));
    if (campaign.starts_at_ms() < 0) {
      return InvalidField(path + ".starts_at_ms", "must not be negative");
    }
    if (campaign.ends_at_ms() <= campaign.starts_at_ms()) {
      return InvalidField(path + ".ends_at_ms", "must be after starts_at_ms");
    }
    for (int c = 0; c < campaign.channels_size(); ++c) {
      if (campaign.channels(c) == loyalty::v1::CHANNEL_UNSPECIFIED) {
        return InvalidField(absl::StrCat(path, ".channels[", c, "]"),
                            "CHANNEL_UNSPECIFIED is not a channel");
      }
    }
    for (int s = 0; s < campaign.store_ids_size(); ++s) {
      LEDGER_RETURN_IF_ERROR(ValidateId(
          campaign.store_ids(s), absl::StrCat(path, ".store_ids[", s, "]")));
    }
    for (int c = 0; c < campaign.categories_size(); ++c) {
      LEDGER_RETURN_IF_ERROR(
          ValidateKnownCategory(categories, campaign.categories(c),
                                absl::StrCat(path, ".categories[", c, "]")));
    }
    for (int s = 0; s < campaign.skus_size(); ++s) {
      LEDGER_RETURN_IF_ERROR(
          ValidateId(campaign.skus(s), absl::StrCat(path, ".skus[", s, "]")));
    }
    LEDGER_RETURN_IF_ERROR(ValidateMultiplierOrBonus(
        campaign.multiplier_percent(), campaign.bonus_points(), kBonusPointsMax,
        path, "bonus_points"));
    if (campaign.member_cap_points() < 0 ||
        campaign.member_cap_points() > kPointsPerRequestMax) {
      return InvalidField(
          path + ".member_cap_points",
          absl::StrCat("must be 0 (no cap) or up to ", kPointsPerRequestMax));
    }
    if (campaign.budget_points() < 0 ||
        campaign.budget_points() > kPointsPerRequestMax) {
      return InvalidField(path + ".budget_points",
                          absl::StrCat("must be 0 (no budget) or up to ",
                                       kPointsPerRequestMax));
    }
  }
  return absl::OkStatus();
}

// Coupons issued by program rules: `template_id` (empty: none) must be
// one of the program's coupon templates.
absl::Status ValidateRuleCouponTemplate(const ProgramConfig& program,
                                        const std::string& template_id,
                                        const std::string& path) {
  if (template_id.empty() ||
      FindCouponTemplate(program, template_id) != nullptr) {
    return absl::OkStatus();
  }
  return InvalidField(path, absl::StrCat("\"", template_id,
                                         "\" is not one of the program's "
                                         "coupon_templates"));
}

absl::Status ValidateSpendBonuses(const ProgramConfig& program,
                                  RuleIds* rule_ids) {
  for (int i = 0; i < program.spend_bonuses_size(); ++i) {
    const loyalty::v1::SpendBonus& bonus = program.spend_bonuses(i);
    std::string path = absl::StrCat("spend_bonuses[", i, "]");
    LEDGER_RETURN_IF_ERROR(rule_ids->Add(bonus.rule_id(), path + ".rule_id"));
    LEDGER_RETURN_IF_ERROR(ValidateDescription(bonus.description(), path));
    if (FindEarnRate(program, bonus.currency()) == nullptr) {
      return InvalidField(path + ".currency",
                          absl::StrCat("\"", bonus.currency(),
                                       "\" has no earn rate in this program"));
    }
    if (bonus.min_spend_minor() <= 0) {
      return InvalidField(path + ".min_spend_minor", "must be positive");
    }
    // Coupons issued by program rules: a bonus gives points, a coupon or
    // both, never nothing.
    LEDGER_RETURN_IF_ERROR(ValidateRuleCouponTemplate(
        program, bonus.coupon_template_id(), path + ".coupon_template_id"));
    if (bonus.bonus_points() == 0 && bonus.coupon_template_id().empty()) {
      return InvalidField(path + ".bonus_points",
                          "give bonus points or a coupon_template_id "
                          "(neither is set)");
    }
    if (bonus.bonus_points() < 0 || bonus.bonus_points() > kBonusPointsMax) {
      return InvalidField(
          path + ".bonus_points",
          absl::StrCat("must be between 1 and ", kBonusPointsMax,
                       " (or 0 with a coupon_template_id)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEvents(const ProgramConfig& program, RuleIds* rule_ids) {
  for (int i = 0; i < program.engagement_events_size(); ++i) {
    const loyalty::v1::EngagementEvent& event = program.engagement_events(i);
    std::string path = absl::StrCat("engagement_events[", i, "]");
    LEDGER_RETURN_IF_ERROR(rule_ids->Add(event.event_id(), path + ".event_id"));
    LEDGER_RETURN_IF_ERROR(ValidateDescription(event.description(), path));
    if (event.points() < 1 || event.points() > kBonusPointsMax) {
      return InvalidField(
          path + ".points",
          absl::StrCat("must be between 1 and ", kBonusPointsMax));
    }
    if (event.starts_at_ms() < 0) {
      return InvalidField(path + ".starts_at_ms", "must not be negative");
    }
    if (event.ends_at_ms() < 0 ||
        (event.ends_at_ms() != 0 &&
         event.ends_at_ms() <= event.starts_at_ms())) {
      return InvalidField(path + ".ends_at_ms",
                          "must be 0 (open) or after starts_at_ms");
    }
    if (event.max_per_member() < 0) {
      return InvalidField(path + ".max_per_member",
                          "must be 0 (no limit) or positive");
    }
    if (event.max_per_day() < 0) {
      return InvalidField(path + ".max_per_day",
                          "must be 0 (no limit) or positive");
    }
    for (int c = 0; c < event.channels_size(); ++c) {
      if (event.channels(c) == loyalty::v1::CHANNEL_UNSPECIFIED) {
        return InvalidField(absl::StrCat(path, ".channels[", c, "]"),
                            "CHANNEL_UNSPECIFIED is not a channel");
      }
    }
  }
  return ProgramTimeZone(program).status();
}

absl::Status ValidateTiers(const ProgramConfig& program, RuleIds* rule_ids) {
  const loyalty::v1::TierRules& rules = program.tier_rules();
  if (rules.tiers_size() == 0) {
    if (rules.basis() != loyalty::v1::TIER_BASIS_UNSPECIFIED ||
        rules.window_months() != 0 || !rules.spend_currency().empty()) {
      return InvalidField("tier_rules.tiers", "list at least one tier");
    }
    return absl::OkStatus();
  }
  if (rules.basis() != loyalty::v1::TIER_BASIS_QUALIFYING_POINTS &&
      rules.basis() != loyalty::v1::TIER_BASIS_SPEND) {
    return InvalidField("tier_rules.basis",
                        "must be TIER_BASIS_QUALIFYING_POINTS or "
                        "TIER_BASIS_SPEND");
  }
  if (rules.basis() == loyalty::v1::TIER_BASIS_SPEND) {
    if (FindEarnRate(program, rules.spend_currency()) == nullptr) {
      return InvalidField("tier_rules.spend_currency",
                          absl::StrCat("\"", rules.spend_currency(),
                                       "\" is not one of the earn_rates "
                                       "currencies"));
    }
  } else if (!rules.spend_currency().empty()) {
    return InvalidField("tier_rules.spend_currency",
                        "is only for TIER_BASIS_SPEND");
  }
  if (rules.window_months() < 1 ||
      rules.window_months() > kTierWindowMonthsMax) {
    return InvalidField("tier_rules.window_months",
                        absl::StrCat("must be 1..", kTierWindowMonthsMax,
                                     ", got ", rules.window_months()));
  }
  if (rules.grace_days() < 0 || rules.grace_days() > kTierGraceDaysMax) {
    return InvalidField("tier_rules.grace_days",
                        absl::StrCat("must be 0..", kTierGraceDaysMax, ", got ",
                                     rules.grace_days()));
  }
  for (int i = 0; i < rules.tiers_size(); ++i) {
    const loyalty::v1::Tier& tier = rules.tiers(i);
    const std::string path = absl::StrCat("tier_rules.tiers[", i, "]");
    LEDGER_RETURN_IF_ERROR(rule_ids->Add(tier.tier_id(), path + ".tier_id"));
    LEDGER_RETURN_IF_ERROR(ValidateText(
        tier.display_name(), path + ".display_name", kRuleDescriptionBytesMax));
    if (i == 0 && tier.threshold() != 0) {
      return InvalidField(path + ".threshold",
                          "the first (lowest) tier must have threshold 0");
    }
    if (tier.threshold() < 0 || tier.threshold() > kPointsPerRequestMax) {
      return InvalidField(path + ".threshold",
                          absl::StrCat("must be 0..", kPointsPerRequestMax));
    }
    if (i > 0 && tier.threshold() <= rules.tiers(i - 1).threshold()) {
      return InvalidField(
          path + ".threshold",
          absl::StrCat("thresholds must increase: ", tier.threshold(),
                       " is not above tiers[", i - 1, "]'s ",
                       rules.tiers(i - 1).threshold()));
    }
    // Coupons issued by program rules: only an upgrade reaches a tier, and
    // nobody is upgraded to the first one.
    if (i == 0 && !tier.upgrade_coupon_template_id().empty()) {
      return InvalidField(path + ".upgrade_coupon_template_id",
                          "the first (lowest) tier is never reached by an "
                          "upgrade: it may not name an upgrade coupon");
    }
    LEDGER_RETURN_IF_ERROR(
        ValidateRuleCouponTemplate(program, tier.upgrade_coupon_template_id(),
                                   path + ".upgrade_coupon_template_id"));
    if (tier.multiplier_percent() != 0 &&
        (tier.multiplier_percent() < 100 ||
         tier.multiplier_percent() > kTierMultiplierPercentMax)) {
      return InvalidField(
          path + ".multiplier_percent",
          absl::StrCat("must be 100..", kTierMultiplierPercentMax,
                       " (or 0 for none), got ", tier.multiplier_percent()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRules(const ProgramConfig& program) {
  absl::flat_hash_set<std::string> categories;
  LEDGER_RETURN_IF_ERROR(ValidateCategories(program, &categories));
  RuleIds rule_ids;
  for (int i = 0; i < program.earn_rates_size(); ++i) {
    // Already validated; registered so no other rule reuses their ids.
    LEDGER_RETURN_IF_ERROR(
        rule_ids.Add(program.earn_rates(i).rule_id(),
                     absl::StrCat("earn_rates[", i, "].rule_id")));
  }
  LEDGER_RETURN_IF_ERROR(ValidateProductRules(program, categories, &rule_ids));
  LEDGER_RETURN_IF_ERROR(ValidateCampaigns(program, categories, &rule_ids));
  LEDGER_RETURN_IF_ERROR(ValidateSpendBonuses(program, &rule_ids));
  LEDGER_RETURN_IF_ERROR(ValidateEvents(program, &rule_ids));
  return ValidateTiers(program, &rule_ids);
}

absl::Status ValidatePointsPolicy(const ProgramConfig& program) {
  if (program.return_window_days() < 0 ||
      program.return_window_days() > kReturnWindowDaysMax) {
    return InvalidField(
        "return_window_days",
        absl::StrCat("must be 0..", kReturnWindowDaysMax, " days, got ",
                     program.return_window_days()));
  }
  if (program.event_age_max_hours() < 0 ||
      program.event_age_max_hours() > kEventAgeMaxHoursMax) {
    return InvalidField(
        "event_age_max_hours",
        absl::StrCat("must be 0 (the default, ", kEventAgeDefaultMaxHours,
                     ") to ", kEventAgeMaxHoursMax, " hours, got ",
                     program.event_age_max_hours()));
  }
  const loyalty::v1::PointsExpiry& expiry = program.expiry();
  if (expiry.rule_case() == loyalty::v1::PointsExpiry::kMonthsAfterEarn &&
      (expiry.months_after_earn() < 1 ||
       expiry.months_after_earn() > kExpiryMonthsMax)) {
    return InvalidField("expiry.months_after_earn",
                        absl::StrCat("must be 1..", kExpiryMonthsMax, ", got ",
                                     expiry.months_after_earn()));
  }
  if (expiry.rule_case() == loyalty::v1::PointsExpiry::kYearsAfterEarnYearEnd &&
      (expiry.years_after_earn_year_end() < 0 ||
       expiry.years_after_earn_year_end() > kExpiryYearsMax)) {
    return InvalidField("expiry.years_after_earn_year_end",
                        absl::StrCat("must be 0..", kExpiryYearsMax, ", got ",
                                     expiry.years_after_earn_year_end()));
  }
  if (program.hold_timeout_max_ms() != 0 &&
      (program.hold_timeout_max_ms() < kHoldTimeoutMinMs ||
       program.hold_timeout_max_ms() > kHoldTimeoutMaxMs)) {
    return InvalidField(
        "hold_timeout_max_ms",
        absl::StrCat("must be 0 (one day) or ", kHoldTimeoutMinMs, "..",
                     kHoldTimeoutMaxMs, " ms, got ",
                     program.hold_timeout_max_ms()));
  }
  if (!loyalty::v1::ReturnPolicy_IsValid(program.return_policy())) {
    return InvalidField("return_policy", "unknown policy");
  }
  const loyalty::v1::OfflineRedemptionRules& offline =
      program.offline_redemption();
  if (offline.points_per_member_day() < 0 ||
      offline.points_per_member_day() > kOfflineAllowancePointsMax) {
    return InvalidField(
        "offline_redemption.points_per_member_day",
        absl::StrCat("must be 0 (none) to ", kOfflineAllowancePointsMax,
                     ", got ", offline.points_per_member_day()));
  }
  if (!loyalty::v1::OfflineShortfallPolicy_IsValid(offline.when_short())) {
    return InvalidField("offline_redemption.when_short", "unknown policy");
  }
  // Both policies that may take a member below zero share the one floor.
  const bool negative_allowed =
      program.return_policy() ==
          loyalty::v1::RETURN_POLICY_ALLOW_NEGATIVE_BALANCE ||
      offline.when_short() == loyalty::v1::OFFLINE_SHORTFALL_POLICY_DEBT;
  if (negative_allowed &&
      (program.negative_balance_floor_points() >= 0 ||
       program.negative_balance_floor_points() < -kNegativeFloorPointsMax)) {
    return InvalidField(
        "negative_balance_floor_points",
        absl::StrCat("must be -", kNegativeFloorPointsMax,
                     "..-1 with RETURN_POLICY_ALLOW_NEGATIVE_BALANCE or "
                     "OFFLINE_SHORTFALL_POLICY_DEBT, got ",
                     program.negative_balance_floor_points()));
  }
  if (!negative_allowed && program.negative_balance_floor_points() != 0) {
    return InvalidField("negative_balance_floor_points",
                        "is only for RETURN_POLICY_ALLOW_NEGATIVE_BALANCE or "
                        "OFFLINE_SHORTFALL_POLICY_DEBT");
  }
  if (program.holds_per_member_max() < 0 ||
      program.holds_per_member_max() > kHoldsPerMemberMax) {
    return InvalidField("holds_per_member_max",
                        absl::StrCat("must be 0 (", kHoldsPerMemberDefault,
                                     ") or 1..", kHoldsPerMemberMax, ", got ",
                                     program.holds_per_member_max()));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t EventAgeMaxMs(const ProgramConfig& program) {
  const int64_t hours = program.event_age_max_hours() == 0
                            ? kEventAgeDefaultMaxHours
                            : program.event_age_max_hours();
  return hours * 3'600'000;
}

int64_t HoldTimeoutMaxMs(const ProgramConfig& program) {
  return program.hold_timeout_max_ms() == 0 ? kHoldTimeoutDefaultMaxMs
                                            : program.hold_timeout_max_ms();
}

int HoldsPerMemberMax(const ProgramConfig& program) {
  return program.holds_per_member_max() == 0 ? kHoldsPerMemberDefault
                                             : program.holds_per_member_max();
}

namespace {

// Phone region and transfer limits (members across channels).
absl::Status ValidateMemberRules(const ProgramConfig& program) {
  if (!program.default_phone_region().empty() &&
      !IsKnownPhoneRegion(program.default_phone_region())) {
    return InvalidField("default_phone_region",
                        absl::StrCat("\"", program.default_phone_region(),
                                     "\" is not an ISO 3166 region such as "
                                     "\"TW\" or \"DE\""));
  }
  if (!program.has_transfer_rules()) return absl::OkStatus();
  const loyalty::v1::TransferRules& rules = program.transfer_rules();
  if (rules.per_transfer_max_points() < 1 ||
      rules.per_transfer_max_points() > kTransferPointsMax) {
    return InvalidField(
        "transfer_rules.per_transfer_max_points",
        absl::StrCat("must be between 1 and ", kTransferPointsMax));
  }
  if (rules.per_day_max_points() < rules.per_transfer_max_points() ||
      rules.per_day_max_points() > kPointsPerRequestMax) {
    return InvalidField("transfer_rules.per_day_max_points",
                        absl::StrCat("must be between per_transfer_max_points "
                                     "and ",
                                     kPointsPerRequestMax));
  }
  return absl::OkStatus();
}

// Programs written before the keys file still list api_keys, which the
// parser then calls an unknown field: say where the keys went.
std::string MovedFieldHint(absl::string_view parse_error) {
  if (!absl::StrContains(parse_error, "api_keys") &&
      !absl::StrContains(parse_error, "apiKeys")) {
    return "";
  }
  return " (API keys moved out of the program into the keys file: "
         "loyaltyd --keys-file; README, \"API keys and roles\")";
}

}  // namespace

absl::Status ValidateProgram(const ProgramConfig& program) {
  LEDGER_RETURN_IF_ERROR(ValidateId(program.program_id(), "program_id"));
  LEDGER_RETURN_IF_ERROR(ValidateText(program.display_name(), "display_name",
                                      kDisplayNameBytesMax));
  LEDGER_RETURN_IF_ERROR(ValidateEarnRates(program));
  LEDGER_RETURN_IF_ERROR(ValidateRules(program));
  LEDGER_RETURN_IF_ERROR(ValidatePointsPolicy(program));
  LEDGER_RETURN_IF_ERROR(ValidateMemberRules(program));
  LEDGER_RETURN_IF_ERROR(ValidateCouponTemplates(program));
  LEDGER_RETURN_IF_ERROR(ValidateVoucherProducts(program));
  return ValidateRewardItems(program);
}

absl::StatusOr<ProgramConfig> ParseProgram(absl::string_view text,
                                           ProgramFormat format,
                                           absl::string_view source_name) {
  ProgramConfig program;
  if (format == ProgramFormat::kTextProto) {
    google::protobuf::TextFormat::Parser parser;
    FirstErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(std::string(text), &program)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_name, ": ", errors.first_error(),
          MovedFieldHint(errors.first_error())));
    }
  } else {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(
        std::string(text), &program, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": ", status.message().as_string(),
                       MovedFieldHint(status.message().as_string())));
    }
  }
  absl::Status valid = ValidateProgram(program);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", valid.message()));
  }
  return program;
}

absl::StatusOr<ProgramConfig> LoadProgramFile(const std::string& path) {
  ProgramFormat format;
  if (absl::EndsWith(path, ".json")) {
    format = ProgramFormat::kJson;
  } else if (absl::EndsWith(path, ".textproto") ||
             absl::EndsWith(path, ".txtpb") || absl::EndsWith(path, ".pbtxt")) {
    format = ProgramFormat::kTextProto;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": unknown program format; use .textproto, .txtpb, .pbtxt or "
        ".json"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  return ParseProgram(contents.str(), format, path);
}

absl::StatusOr<absl::TimeZone> ProgramTimeZone(const ProgramConfig& program) {
  if (program.time_zone().empty()) return absl::UTCTimeZone();
  absl::TimeZone zone;
  // LoadTimeZone reads the system's tzdata; it knows "UTC" without it.
  if (!absl::LoadTimeZone(program.time_zone(), &zone)) {
    return InvalidField(
        "time_zone", absl::StrCat("unknown time zone \"", program.time_zone(),
                                  "\"; use an IANA name like "
                                  "\"Europe/Berlin\""));
  }
  return zone;
}

const loyalty::v1::EngagementEvent* FindEvent(const ProgramConfig& program,
                                              absl::string_view event_id) {
  for (const auto& event : program.engagement_events()) {
    if (event.event_id() == event_id) return &event;
  }
  return nullptr;
}

absl::Status CheckEventKnown(const ProgramConfig& program,
                             const loyalty::v1::RecordEventRequest& request) {
  const loyalty::v1::EngagementEvent* event =
      FindEvent(program, request.event_id());
  if (event == nullptr) {
    return InvalidField("event_id",
                        absl::StrCat("\"", request.event_id(),
                                     "\" is not an event of this program"));
  }
  if (!event->channels().empty() &&
      !absl::c_linear_search(event->channels(), request.context().channel())) {
    return InvalidField(
        "context.channel",
        absl::StrCat("event \"", event->event_id(),
                     "\" cannot be recorded "
                     "through ",
                     loyalty::v1::Channel_Name(request.context().channel())));
  }
  return absl::OkStatus();
}

const EarnRate* FindEarnRate(const ProgramConfig& program,
                             absl::string_view currency) {
  for (const EarnRate& rate : program.earn_rates()) {
    if (rate.currency() == currency) return &rate;
  }
  return nullptr;
}

}  // namespace loyalty
