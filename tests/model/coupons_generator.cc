// The coupon kinds of the model test's generator (see generator.h):
// IssueCoupon of the test program's templates (and now and then one it
// lacks), and RedeemCoupon of coupons the model knows, mostly by their
// owner (or the member the owner was merged into), in every spelling a
// till may type, now and then by another member or with a code nobody has.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "generator.h"
#include "generator_kinds.h"
#include "ledger/coupons/codes.h"

namespace loyalty::model {
namespace {

using v1::IssueCouponRequest;
using v1::RedeemCouponRequest;

IssueCouponRequest IssueBase(Generator& g) {
  IssueCouponRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_member_id(g.PickMember());
  const auto& rules = ModelCouponRules();
  request.set_template_id(g.Chance(0.1)
                              ? std::string("no-such-template")
                              : PickFrom(g, rules).template_id);
  return request;
}

Request FreshIssue(Generator& g) {
  IssueCouponRequest request = IssueBase(g);
  const auto& members = g.model().member_order();
  if (g.Chance(0.15) && !members.empty()) {
    // One "triple" per member: the three oldest members (never closed)
    // soon have theirs, so LIMIT_REACHED comes in every run.
    request.set_template_id("triple");
    request.set_member_id(members[static_cast<size_t>(g.Uniform(
        0, std::min<int64_t>(2, static_cast<int64_t>(members.size()) - 1)))]);
  }
  return request;
}

// The templates with limits, for members that may be at them.
Request BoundaryIssue(Generator& g) {
  IssueCouponRequest request = IssueBase(g);
  if (g.Chance(0.5)) {
    request.set_template_id("scarce");
  } else {
    // One coupon per member: the oldest member soon has it.
    request.set_template_id("triple");
    if (!g.model().member_order().empty()) {
      request.set_member_id(g.model().member_order().front());
    }
  }
  return request;
}

std::string MalformIssue(Generator& g, Request* r) {
  auto& request = std::get<IssueCouponRequest>(*r);
  switch (g.Uniform(0, 4)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_template_id("has space");
      return "template_id not an id";
    case 2:
      request.clear_template_id();
      return "template_id empty";
    case 3:
      request.set_member_id(std::string(kIdLengthMax + 1, 'm'));
      return "member_id 65 characters";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateIssue(Generator& g, Request* r) {
  auto& request = std::get<IssueCouponRequest>(*r);
  const auto& rules = ModelCouponRules();
  for (const CouponRule& rule : rules) {
    if (rule.template_id != request.template_id()) {
      request.set_template_id(rule.template_id);
      return;
    }
  }
}

// `canonical` as a till may type it.
std::string Spelled(Generator& g, const std::string& canonical) {
  std::string printed = FormatCouponCode(canonical);
  switch (g.Uniform(0, 3)) {
    case 0:
      return printed;
    case 1:
      return absl::AsciiStrToLower(printed);
    case 2:
      return absl::StrReplaceAll(printed, {{"-", ""}});
    default:
      return absl::StrReplaceAll(printed, {{"-", " "}});
  }
}

// A coupon the model knows, or null if none: mostly one of the latest
// issued (still valid, with uses left), sometimes any.
const CouponState* PickCoupon(Generator& g, bool nearly_used_up) {
  std::vector<const CouponState*> candidates;
  for (const auto& [code, coupon] : g.model().coupons()) {
    if (!nearly_used_up || coupon.uses_allowed - coupon.uses <= 1) {
      candidates.push_back(&coupon);
    }
  }
  if (candidates.empty()) return nullptr;
  std::sort(candidates.begin(), candidates.end(),
            [](const CouponState* a, const CouponState* b) {
              return a->issued_sequence > b->issued_sequence;
            });
  if (candidates.size() > 6 && g.Chance(0.75)) candidates.resize(6);
  return PickFrom(g, candidates);
}

RedeemCouponRequest RedeemBase(Generator& g, bool nearly_used_up) {
  RedeemCouponRequest request;
  *request.mutable_context() = g.ChannelContext();
  request.set_order_id(g.NewOrderId());
  const CouponState* coupon = PickCoupon(g, nearly_used_up);
  if (coupon == nullptr || g.Chance(0.05)) {
    // A code nobody has, with a right check character.
    request.set_member_id(g.PickMember());
    request.set_code(Spelled(g, NewCouponCode()));
    return request;
  }
  request.set_code(Spelled(g, coupon->code));
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 80) {
    request.set_member_id(g.model().Resolve(coupon->owner));
  } else if (roll < 90) {
    request.set_member_id(coupon->owner);  // Maybe an alias now.
  } else {
    request.set_member_id(g.PickMember());  // Mostly somebody else.
  }
  // Where the template allows it, or just not: a till in the wrong store,
  // the app's coupon at a till.
  if (coupon->template_id == "app-only") {
    if (g.Chance(0.6)) {
      request.mutable_context()->set_channel(v1::CHANNEL_APP);
      request.mutable_context()->clear_store_id();
    } else {
      request.mutable_context()->set_channel(v1::CHANNEL_POS);
      request.mutable_context()->set_store_id("store-7");
    }
  }
  if (coupon->template_id == "store-7") {
    request.mutable_context()->set_channel(v1::CHANNEL_POS);
    request.mutable_context()->set_store_id(g.Chance(0.5) ? "store-7"
                                                          : "store-8");
  }
  return request;
}

Request FreshRedeemCoupon(Generator& g) { return RedeemBase(g, false); }
Request BoundaryRedeemCoupon(Generator& g) { return RedeemBase(g, true); }

std::string MalformRedeemCoupon(Generator& g, Request* r) {
  auto& request = std::get<RedeemCouponRequest>(*r);
  switch (g.Uniform(0, 6)) {
    case 0: {
      // One character changed: the check character catches it.
      std::string code = ModelCanonicalCode(request.code());
      if (code.size() != 16) code = NewCouponCode();
      std::string printed = FormatCouponCode(code);
      printed[0] = printed[0] == 'A' ? 'B' : 'A';
      request.set_code(printed);
      return "code with a typo";
    }
    case 1:
      request.set_code(request.code().substr(0, 10));
      return "code too short";
    case 2:
      request.set_code("7K2M-9QXD-4HBA-T0CU-Z");
      return "code with a U";
    case 3:
      request.clear_order_id();
      return "order_id empty";
    case 4:
      request.clear_member_id();
      return "member_id empty";
    case 5:
      request.clear_code();
      return "code empty";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateRedeemCoupon(Generator& g, Request* r) {
  std::get<RedeemCouponRequest>(*r).set_order_id(g.NewOrderId());
}

}  // namespace

extern constexpr KindSpec kIssueCouponSpec = {
    "issue_coupon", 8, FreshIssue, BoundaryIssue, MalformIssue, MutateIssue};
extern constexpr KindSpec kRedeemCouponSpec = {
    "redeem_coupon",      12, FreshRedeemCoupon, BoundaryRedeemCoupon,
    MalformRedeemCoupon, MutateRedeemCoupon};

}  // namespace loyalty::model
