// The reference model's coupon rules: IssueCoupon and RedeemCoupon as the
// contract states them (loyalty_service.proto), written without the
// ledger's code. Codes are the ledger's random draw, which the harness
// hands in (the model cannot guess it).
#include <algorithm>
#include <cctype>

#include "model.h"
#include "model_rules.h"

namespace loyalty::model {
namespace {

constexpr int64_t kDayMs = 24ll * 3600 * 1000;
constexpr int64_t kTaipeiOffsetMs = 8ll * 3600 * 1000;  // UTC+8, no DST.

const CouponRule* FindRule(const std::string& template_id) {
  for (const CouponRule& rule : ModelCouponRules()) {
    if (rule.template_id == template_id) return &rule;
  }
  return nullptr;
}

// The end of the day `days` days after the day of `issued_at_ms` in the
// program's zone (UTC+8).
int64_t WindowEnd(int64_t issued_at_ms, int32_t days) {
  const int64_t local_day = (issued_at_ms + kTaipeiOffsetMs) / kDayMs;
  return (local_day + days + 1) * kDayMs - kTaipeiOffsetMs;
}

}  // namespace

const std::vector<CouponRule>& ModelCouponRules() {
  static const std::vector<CouponRule> kRules = [] {
    std::vector<CouponRule> rules;
    // Field by field: designated initializers would have to name them all.
    auto add = [&](std::string id, int32_t percent_off, int32_t valid_days) {
      CouponRule rule;
      rule.template_id = std::move(id);
      rule.percent_off = percent_off;
      rule.valid_days = valid_days;
      rules.push_back(rule);
      return &rules.back();
    };
    add("welcome", 10, 60);
    CouponRule* triple = add("triple", 5, 10);
    triple->uses = 3;
    triple->per_member_limit = 1;
    add("scarce", 50, 10)->budget = 4;
    CouponRule* app_only = add("app-only", 15, 30);
    app_only->uses = 2;
    app_only->only_channel = v1::CHANNEL_APP;
    CouponRule* store_7 = add("store-7", 20, 10);
    store_7->uses = 3;
    store_7->only_store = "store-7";
    return rules;
  }();
  return kRules;
}

std::string ModelCanonicalCode(const std::string& code) {
  std::string characters;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    characters.push_back(c);
  }
  if (characters.size() != 17) return code;
  characters.pop_back();
  return characters;
}

Expected Model::ApplyRules(const v1::IssueCouponRequest& request,
                           const std::string& assigned_code) {
  const CouponRule* rule = FindRule(request.template_id());
  if (rule == nullptr) {
    return Rejected(absl::StatusCode::kNotFound,
                    v1::ERROR_REASON_COUPON_TEMPLATE_NOT_FOUND);
  }
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  int64_t& template_count = coupon_counts_[{rule->template_id, ""}];
  int64_t& member_count =
      coupon_counts_[{rule->template_id, request.member_id()}];
  if (rule->budget != 0 && template_count >= rule->budget) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_BUDGET_SPENT);
  }
  if (rule->per_member_limit != 0 && member_count >= rule->per_member_limit) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_LIMIT_REACHED);
  }
  ++template_count;
  ++member_count;
  CouponState coupon;
  coupon.code = assigned_code;
  coupon.template_id = rule->template_id;
  coupon.owner = request.member_id();
  coupon.valid_from_ms = now_ms_;
  coupon.valid_until_ms = WindowEnd(now_ms_, rule->valid_days);
  coupon.uses_allowed = rule->uses;
  coupon.issued_sequence = last_sequence_ + 1;
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_COUPON_ISSUE, request.context());
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_valid_from_ms = coupon.valid_from_ms;
  entry.coupon_valid_until_ms = coupon.valid_until_ms;
  entry.coupon_uses_allowed = coupon.uses_allowed;
  Append(*member, std::move(entry));
  coupons_[coupon.code] = coupon;
  Expected ok = Ok(*member);
  ok.coupon = coupon;
  ok.coupon_puts = 1;
  ok.coupon_count_puts = 2;
  return ok;
}

Expected Model::ApplyRules(const v1::RedeemCouponRequest& request,
                           const std::string&) {
  // The member first, as for every write.
  Expected refused;
  MemberState* member = LoadActive(request.member_id(), &refused);
  if (member == nullptr) return refused;
  const Expected not_found = Rejected(absl::StatusCode::kNotFound,
                                      v1::ERROR_REASON_COUPON_NOT_FOUND);
  auto found = coupons_.find(ModelCanonicalCode(request.code()));
  if (found == coupons_.end()) return not_found;
  CouponState& coupon = found->second;
  // Its owner, or the member its owner was merged into.
  if (Resolve(coupon.owner) != request.member_id()) return not_found;
  if (coupon.uses >= coupon.uses_allowed) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_USED_UP);
  }
  if (now_ms_ < coupon.valid_from_ms || now_ms_ >= coupon.valid_until_ms) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_NOT_VALID_NOW);
  }
  const CouponRule* rule = FindRule(coupon.template_id);
  if (rule->only_channel != v1::CHANNEL_UNSPECIFIED &&
      request.context().channel() != rule->only_channel) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_WRONG_CHANNEL);
  }
  if (!rule->only_store.empty() &&
      request.context().store_id() != rule->only_store) {
    return Rejected(absl::StatusCode::kFailedPrecondition,
                    v1::ERROR_REASON_COUPON_WRONG_STORE);
  }
  ++coupon.uses;
  ExpectedEntry entry =
      CommandEntry(*member, v1::ENTRY_KIND_COUPON_REDEEM, request.context());
  entry.order_id = request.order_id();
  entry.coupon_code = coupon.code;
  entry.coupon_template = coupon.template_id;
  entry.coupon_uses_after = coupon.uses;
  Append(*member, std::move(entry));
  Expected ok = Ok(*member);
  ok.coupon = coupon;
  ok.coupon_puts = 1;
  return ok;
}

}  // namespace loyalty::model
