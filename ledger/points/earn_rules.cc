#include "ledger/points/earn_rules.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ledger/common/currency.h"
#include "ledger/common/program.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::v1::BasketLine;
using loyalty::v1::Campaign;
using loyalty::v1::EarnBreakdownLine;
using loyalty::v1::EarnRate;
using loyalty::v1::EarnRequest;
using loyalty::v1::ProductRule;
using loyalty::v1::ProgramConfig;

__extension__ typedef __int128 Int128;

struct PricedLine {
  const BasketLine* line = nullptr;
  int64_t total_minor = 0;     // quantity x unit price.
  int64_t discount_minor = 0;  // Coupons' (0..total_minor).
  int64_t earn_minor = 0;      // What the rules see: total less discount,
                               // or total when earning on gross.
  bool eligible = false;
};

// What a set of lines adds up to: the input of a multiplier or bonus.
struct Matched {
  Int128 spend_minor = 0;
  Int128 units = 0;
  bool any = false;

  void Add(const PricedLine& priced) {
    spend_minor += priced.earn_minor;
    units += priced.line->quantity();
    any = true;
  }
};

absl::StatusOr<std::vector<PricedLine>> PriceLines(
    const ProgramConfig& program, const EarnRequest& request,
    const EarnCouponEffects* coupons) {
  std::vector<PricedLine> priced;
  priced.reserve(request.lines_size());
  for (int i = 0; i < request.lines_size(); ++i) {
    const BasketLine& line = request.lines(i);
    PricedLine entry;
    entry.line = &line;
    if (__builtin_mul_overflow(line.quantity(), line.unit_price_minor(),
                               &entry.total_minor)) {
      return InvalidField(absl::StrCat("lines[", i, "]"),
                          "quantity x unit_price_minor overflows int64");
    }
    entry.earn_minor = entry.total_minor;
    if (coupons != nullptr) {
      // Invariant: the coupon domain prices one discount per line, within
      // the line's total.
      LEDGER_CHECK(coupons->line_discount_minor.size() ==
                   static_cast<size_t>(request.lines_size()));
      entry.discount_minor = coupons->line_discount_minor[i];
      LEDGER_CHECK(entry.discount_minor >= 0 &&
                   entry.discount_minor <= entry.total_minor);
      if (!coupons->earn_on_gross) {
        entry.earn_minor = entry.total_minor - entry.discount_minor;
      }
    }
    entry.eligible = line.category().empty() ||
                     !absl::c_linear_search(program.excluded_categories(),
                                            line.category());
    priced.push_back(entry);
  }
  return priced;
}

// The extra points a multiplier of `percent` gives on `spend_minor`, above
// the base those lines already earned: floored once.
Int128 MultiplierExtra(const EarnRate& rate, Int128 spend_minor,
                       int32_t percent) {
  // Invariant: validated programs have percent > 100 and a positive step.
  LEDGER_CHECK(percent > 100);
  LEDGER_CHECK(rate.spend_minor_per_step() > 0);
  return spend_minor * rate.points_per_step() * (percent - 100) /
         (Int128{rate.spend_minor_per_step()} * 100);
}

std::string MultiplierText(int32_t percent) {
  if (percent % 100 == 0) return absl::StrCat("x", percent / 100);
  return absl::StrCat("x", percent / 100, ".", absl::Dec(percent % 100, absl::kZeroPad2));
}

std::string ProductRuleText(const ProductRule& rule) {
  if (!rule.description().empty()) return rule.description();
  std::string target = rule.sku().empty()
                           ? absl::StrCat("category ", rule.category())
                           : absl::StrCat("SKU ", rule.sku());
  if (rule.multiplier_percent() != 0) {
    return absl::StrCat(target, " ", MultiplierText(rule.multiplier_percent()));
  }
  return absl::StrCat(target, " +", rule.bonus_points_per_unit(),
                      " pt per unit");
}

bool CampaignReaches(const Campaign& campaign, const EarnRequest& request,
                     int64_t order_time_ms) {
  if (order_time_ms < campaign.starts_at_ms() ||
      order_time_ms >= campaign.ends_at_ms()) {
    return false;
  }
  if (!campaign.channels().empty() &&
      !absl::c_linear_search(campaign.channels(), request.context().channel())) {
    return false;
  }
  if (!campaign.store_ids().empty() &&
      !absl::c_linear_search(campaign.store_ids(),
                             request.context().store_id())) {
    return false;
  }
  return true;
}

bool CampaignCoversLine(const Campaign& campaign, const BasketLine& line) {
  if (campaign.categories().empty() && campaign.skus().empty()) return true;
  return absl::c_linear_search(campaign.categories(), line.category()) ||
         absl::c_linear_search(campaign.skus(), line.sku());
}

class Breakdown {
 public:
  void Add(loyalty::v1::RuleKind kind, const std::string& rule_id,
           std::string description, Int128 points) {
    EarnBreakdownLine line;
    line.set_kind(kind);
    line.set_rule_id(rule_id);
    line.set_description(std::move(description));
    if (points > std::numeric_limits<int64_t>::max()) {
      overflow_ = true;
      return;
    }
    line.set_points(static_cast<int64_t>(points));
    total_ += points;
    lines_.push_back(std::move(line));
  }

  absl::StatusOr<EarnComputation> Finish(EarnComputation result) && {
    if (overflow_ || total_ > std::numeric_limits<int64_t>::max()) {
      return InvalidField("lines", "the points for this basket overflow int64");
    }
    result.points = static_cast<int64_t>(total_);
    result.breakdown = std::move(lines_);
    return result;
  }

 private:
  std::vector<EarnBreakdownLine> lines_;
  Int128 total_ = 0;
  bool overflow_ = false;
};

}  // namespace

absl::StatusOr<EarnComputation> ComputeEarn(const ProgramConfig& program,
                                            const EarnRequest& request,
                                            int64_t order_time_ms,
                                            const EarnCouponEffects* coupons) {
  const EarnRate* rate = FindEarnRate(program, request.currency());
  if (rate == nullptr) {
    return InvalidField("currency",
                        absl::StrCat(request.currency(),
                                     " is not a currency of this program"));
  }
  LEDGER_ASSIGN_OR_RETURN(std::vector<PricedLine> lines,
                          PriceLines(program, request, coupons));
  EarnComputation result;
  result.order_time_ms = order_time_ms;
  result.earned_on_gross = coupons != nullptr && coupons->earn_on_gross;
  for (const PricedLine& priced : lines) {
    // Invariant: validation keeps every price and quantity non-negative.
    LEDGER_CHECK(priced.total_minor >= 0);
    if (__builtin_add_overflow(result.spend_minor, priced.total_minor,
                               &result.spend_minor)) {
      return InvalidField("lines", "the basket total overflows int64");
    }
    // The sums fit: each term is at most its line's total.
    if (priced.eligible) result.eligible_spend_minor += priced.earn_minor;
    result.coupon_discount_minor += priced.discount_minor;
    loyalty::v1::EarnedLine& earned = result.lines.emplace_back();
    earned.set_sku(priced.line->sku());
    earned.set_category(priced.line->category());
    earned.set_quantity(priced.line->quantity());
    earned.set_unit_price_minor(priced.line->unit_price_minor());
    earned.set_excluded(!priced.eligible);
    earned.set_discount_minor(priced.discount_minor);
  }
  Breakdown breakdown;

  // 1. Base.
  LEDGER_CHECK(rate->spend_minor_per_step() > 0);
  Int128 base = Int128{result.eligible_spend_minor /
                       rate->spend_minor_per_step()} *
                rate->points_per_step();
  breakdown.Add(loyalty::v1::RULE_KIND_BASE, rate->rule_id(),
                absl::StrCat("base ", rate->points_per_step(), " pt per ",
                             FormatMinorAmount(rate->spend_minor_per_step(),
                                               rate->currency())),
                base);

  // 2. Product rules: each eligible line goes to its SKU rule, else to its
  // category rule.
  absl::flat_hash_map<std::string, int> rule_by_sku, rule_by_category;
  for (int r = 0; r < program.product_rules_size(); ++r) {
    const ProductRule& rule = program.product_rules(r);
    (rule.sku().empty() ? rule_by_category[rule.category()]
                        : rule_by_sku[rule.sku()]) = r;
  }
  std::vector<Matched> product_matches(program.product_rules_size());
  for (const PricedLine& priced : lines) {
    if (!priced.eligible) continue;
    auto sku = rule_by_sku.find(priced.line->sku());
    if (sku != rule_by_sku.end()) {
      product_matches[sku->second].Add(priced);
      continue;
    }
    auto category = rule_by_category.find(priced.line->category());
    if (!priced.line->category().empty() && category != rule_by_category.end()) {
      product_matches[category->second].Add(priced);
    }
  }
  for (int r = 0; r < program.product_rules_size(); ++r) {
    const ProductRule& rule = program.product_rules(r);
    const Matched& matched = product_matches[r];
    if (!matched.any) continue;
    Int128 points = rule.multiplier_percent() != 0
                        ? MultiplierExtra(*rate, matched.spend_minor,
                                          rule.multiplier_percent())
                        : matched.units * rule.bonus_points_per_unit();
    if (points > 0) {
      breakdown.Add(loyalty::v1::RULE_KIND_PRODUCT, rule.rule_id(),
                    ProductRuleText(rule), points);
    }
  }

  // 3. Campaigns.
  for (const Campaign& campaign : program.campaigns()) {
    if (!CampaignReaches(campaign, request, order_time_ms)) continue;
    Matched matched;
    for (const PricedLine& priced : lines) {
      if (priced.eligible && CampaignCoversLine(campaign, *priced.line)) {
        matched.Add(priced);
      }
    }
    if (!matched.any) continue;
    Int128 points = campaign.multiplier_percent() != 0
                        ? MultiplierExtra(*rate, matched.spend_minor,
                                          campaign.multiplier_percent())
                        : Int128{campaign.bonus_points()};
    std::string text = campaign.description().empty() ? campaign.rule_id()
                                                      : campaign.description();
    if (points > 0) {
      breakdown.Add(loyalty::v1::RULE_KIND_CAMPAIGN, campaign.rule_id(),
                    std::move(text), points);
    }
  }

  // 4. Spend bonuses.
  for (const loyalty::v1::SpendBonus& bonus : program.spend_bonuses()) {
    if (bonus.currency() != request.currency() ||
        result.eligible_spend_minor < bonus.min_spend_minor()) {
      continue;
    }
    std::string text =
        bonus.description().empty()
            ? absl::StrCat("spend ",
                           FormatMinorAmount(bonus.min_spend_minor(),
                                             bonus.currency()),
                           " bonus")
            : bonus.description();
    // Coupons issued by program rules: a bonus may give a coupon only, and
    // then it adds no breakdown line (the line would grant nothing).
    if (bonus.bonus_points() > 0) {
      breakdown.Add(loyalty::v1::RULE_KIND_SPEND_BONUS, bonus.rule_id(),
                    std::move(text), bonus.bonus_points());
    }
    if (!bonus.coupon_template_id().empty()) {
      result.coupon_bonus_rule_ids.push_back(bonus.rule_id());
    }
  }

  // 5. Points coupons, on the lines each covers that earn.
  if (coupons != nullptr) {
    for (const EarnCouponEffects::PointsCoupon& coupon :
         coupons->points_coupons) {
      LEDGER_CHECK(coupon.covers_line.size() == lines.size());
      Matched matched;
      for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].eligible && coupon.covers_line[i]) matched.Add(lines[i]);
      }
      Int128 points = 0;
      if (coupon.multiplier_percent != 0) {
        if (matched.any) {
          points = MultiplierExtra(*rate, matched.spend_minor,
                                   coupon.multiplier_percent);
        }
      } else {
        points = coupon.bonus_points;
      }
      result.coupon_points.push_back(0);
      if (points > 0) {
        breakdown.Add(loyalty::v1::RULE_KIND_COUPON, coupon.template_id,
                      coupon.description, points);
        // Overflow is reported by Finish; the figure is then unused.
        if (points <= std::numeric_limits<int64_t>::max()) {
          result.coupon_points.back() = static_cast<int64_t>(points);
        }
      }
    }
  }
  return std::move(breakdown).Finish(std::move(result));
}

void LimitCampaigns(const ProgramConfig& program,
                    const RulePointsList& member_granted,
                    const RulePointsList& total_granted,
                    EarnComputation* earn) {
  // The writer calls this for every earn: most have no campaign line.
  if (absl::c_none_of(earn->breakdown, [](const EarnBreakdownLine& line) {
        return line.kind() == loyalty::v1::RULE_KIND_CAMPAIGN;
      })) {
    return;
  }
  std::vector<EarnBreakdownLine> kept;
  int64_t points = 0;
  for (EarnBreakdownLine& line : earn->breakdown) {
    if (line.kind() == loyalty::v1::RULE_KIND_CAMPAIGN) {
      const Campaign* campaign = nullptr;
      for (const Campaign& candidate : program.campaigns()) {
        if (candidate.rule_id() == line.rule_id()) campaign = &candidate;
      }
      // Invariant: campaign lines come from this program's campaigns.
      LEDGER_CHECK(campaign != nullptr);
      int64_t allowed = line.points();
      auto limit = [&allowed](int64_t limit_points, int64_t used_points) {
        if (limit_points == 0) return;  // No limit.
        allowed = std::min(allowed, std::max<int64_t>(0, limit_points -
                                                             used_points));
      };
      limit(campaign->member_cap_points(),
            PointsOfRule(member_granted, line.rule_id()));
      limit(campaign->budget_points(),
            PointsOfRule(total_granted, line.rule_id()));
      if (allowed == 0) continue;
      if (allowed < line.points()) {
        line.set_points(allowed);
        line.set_description(absl::StrCat(line.description(), " (capped)"));
      }
    }
    // Invariant: the lines summed without overflow before any was lowered.
    LEDGER_CHECK(!__builtin_add_overflow(points, line.points(), &points));
    kept.push_back(std::move(line));
  }
  earn->breakdown = std::move(kept);
  earn->points = points;
}

}  // namespace loyalty
