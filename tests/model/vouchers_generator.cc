// The voucher kinds of the model test's generator (see generator.h):
// IssueVoucher of the test program's products (and now and then one it
// lacks), and pickups, transfers, gifts and refunds of vouchers the model
// knows, mostly by their owner (or the member the owner was merged into),
// in every spelling a till may type, now and then by another member or
// with a code nobody has; claims of known claim codes by any member.
// Units asked lean toward what is left, so tills meet VOUCHER_UNITS_TOO_FEW
// and take the last units.
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

// `canonical` as a till may type it.
std::string SpelledCode(Generator& g, const std::string& canonical) {
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

// A printed code with one character changed: its check character fails.
std::string MistypedCode(Generator& g, const std::string& code) {
  std::string canonical = ModelCanonicalCode(code);
  if (canonical.size() != 16) canonical = g.NewCode();
  std::string printed = FormatCouponCode(canonical);
  printed[0] = printed[0] == 'A' ? 'B' : 'A';
  return printed;
}
namespace {

constexpr int64_t kVoucherUnitsMax = 10'000;

v1::RequestContext OnlineContext(Generator& g) {
  v1::RequestContext context = g.ChannelContext();
  context.set_channel(g.Chance(0.5) ? v1::CHANNEL_APP : v1::CHANNEL_WEB);
  return context;
}

// A voucher the model knows, or null: mostly one of the latest made with
// units left and before its expiry (`refundable`: a bought one of a
// refundable product, what a refund names), sometimes any.
const VoucherState* PickVoucher(Generator& g, bool refundable = false) {
  std::vector<const VoucherState*> candidates;
  const bool usable = g.Chance(0.8);
  for (const auto& [code, voucher] : g.model().vouchers()) {
    const bool bought_refundable =
        voucher.refundable && !voucher.order_id.empty();
    if (!usable || (voucher.left > 0 && g.now_ms() < voucher.expires_at_ms &&
                    (!refundable || bought_refundable))) {
      candidates.push_back(&voucher);
    }
  }
  if (candidates.empty()) return nullptr;
  std::sort(candidates.begin(), candidates.end(),
            [](const VoucherState* a, const VoucherState* b) {
              return a->issued_sequence > b->issued_sequence;
            });
  if (candidates.size() > 6 && g.Chance(0.75)) candidates.resize(6);
  return PickFrom(g, candidates);
}

// Units to take from `voucher`: mostly what it has left or a little less,
// now and then one more than it has.
int64_t UnitsFor(Generator& g, const VoucherState* voucher) {
  if (voucher == nullptr || voucher->left == 0) return g.Uniform(1, 3);
  const int64_t roll = g.Uniform(0, 9);
  if (roll == 0) return voucher->left + 1;
  if (roll < 4) return voucher->left;
  return g.Uniform(1, voucher->left);
}

// The member presenting `voucher`: mostly its owner as it resolves now,
// sometimes its owner's old id, now and then somebody else.
std::string PresenterOf(Generator& g, const VoucherState* voucher) {
  if (voucher == nullptr) return g.PickMember();
  const int64_t roll = g.Uniform(0, 99);
  if (roll < 80) return g.model().Resolve(voucher->owner);
  if (roll < 90) return voucher->owner;
  return g.PickMember();
}

std::string CodeFor(Generator& g, const VoucherState* voucher) {
  if (voucher == nullptr || g.Chance(0.04))
    return SpelledCode(g, g.NewCode());
  return SpelledCode(g, voucher->code);
}

// ----- IssueVoucher.

v1::IssueVoucherRequest IssueBase(Generator& g) {
  v1::IssueVoucherRequest request;
  *request.mutable_context() = OnlineContext(g);
  request.set_member_id(g.PickMember());
  const VoucherRule& rule = PickFrom(g, ModelVoucherRules());
  request.set_product_id(g.Chance(0.05) ? std::string("no-such-product")
                                        : rule.product_id);
  request.set_units(g.Uniform(1, rule.units_max));
  request.mutable_price_paid()->set_amount_minor(g.Uniform(0, 5000));
  request.mutable_price_paid()->set_currency(g.Chance(0.8) ? "EUR" : "USD");
  request.set_order_id(g.NewOrderId());
  return request;
}

Request FreshIssue(Generator& g) { return IssueBase(g); }

// The most units and the highest price.
Request BoundaryIssue(Generator& g) {
  v1::IssueVoucherRequest request = IssueBase(g);
  if (const VoucherRule* rule = FindVoucherRule(request.product_id())) {
    request.set_units(rule->units_max);
  }
  if (g.Chance(0.5)) {
    request.mutable_price_paid()->set_amount_minor(1'000'000'000'000);
  }
  return request;
}

std::string MalformIssue(Generator& g, Request* r) {
  auto& request = std::get<v1::IssueVoucherRequest>(*r);
  switch (g.Uniform(0, 8)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_product_id("has space");
      return "product_id not an id";
    case 2:
      request.set_units(g.Chance(0.5) ? 0 : -2);
      return "units not positive";
    case 3:
      request.set_product_id("coffee-6");
      request.set_units(7);
      return "units past the product's most";
    case 4:
      request.clear_price_paid();
      return "price_paid missing";
    case 5:
      request.mutable_price_paid()->set_amount_minor(-1);
      return "price_paid.amount_minor negative";
    case 6:
      request.mutable_price_paid()->set_currency("SEK");
      return "price_paid.currency not an earn currency";
    case 7:
      request.clear_order_id();
      return "order_id empty";
    default:
      request.mutable_context()->set_channel(v1::CHANNEL_POS);
      request.mutable_context()->set_store_id("store-1");
      return "context.channel a till's";
  }
}

void MutateIssue(Generator& g, Request* r) {
  std::get<v1::IssueVoucherRequest>(*r).set_order_id(g.NewOrderId());
}

// ----- What the till, the app and the buyer do with a voucher.

// A malformed code or units field, shared by the kinds naming a voucher.
template <typename VoucherRequest>
std::string MalformCodeOrUnits(Generator& g, VoucherRequest& request) {
  switch (g.Uniform(0, 5)) {
    case 0:
      request.set_code(MistypedCode(g, request.code()));
      return "code with a typo";
    case 1:
      request.set_code(request.code().substr(0, 10));
      return "code too short";
    case 2:
      request.clear_code();
      return "code empty";
    case 3:
      request.set_units(0);
      return "units 0";
    case 4:
      request.set_units(kVoucherUnitsMax + 1);
      return "units past 10,000";
    default:
      request.clear_member_id();
      return "member_id empty";
  }
}

template <typename VoucherRequest>
void Aim(Generator& g, VoucherRequest& request, bool near_limit,
         bool refundable = false) {
  const VoucherState* voucher = PickVoucher(g, refundable);
  request.set_member_id(PresenterOf(g, voucher));
  request.set_code(CodeFor(g, voucher));
  request.set_units(near_limit && voucher != nullptr
                        ? voucher->left + (g.Chance(0.5) ? 1 : 0)
                        : UnitsFor(g, voucher));
  if (request.units() < 1) request.set_units(1);
}

v1::RedeemVoucherUnitsRequest PickupBase(Generator& g, bool near_limit) {
  v1::RedeemVoucherUnitsRequest request;
  *request.mutable_context() = g.ChannelContext();
  Aim(g, request, near_limit);
  if (g.Chance(0.5)) request.set_order_id(g.NewOrderId());
  return request;
}
Request FreshPickup(Generator& g) { return PickupBase(g, false); }
Request BoundaryPickup(Generator& g) { return PickupBase(g, true); }
std::string MalformPickup(Generator& g, Request* r) {
  auto& request = std::get<v1::RedeemVoucherUnitsRequest>(*r);
  if (g.Chance(0.15)) {
    return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
  return MalformCodeOrUnits(g, request);
}
void MutatePickup(Generator& g, Request* r) {
  std::get<v1::RedeemVoucherUnitsRequest>(*r).set_order_id(g.NewOrderId());
}

v1::TransferVoucherUnitsRequest TransferBase(Generator& g, bool near_limit) {
  v1::TransferVoucherUnitsRequest request;
  *request.mutable_context() = g.ChannelContext();
  Aim(g, request, near_limit);
  std::string to = g.PickMember();
  // Another member (an alias of the giver now and then: MEMBER_MERGED).
  if (to == request.member_id()) to = g.PickMember();
  if (to == request.member_id()) to = "no-such-friend";
  request.set_to_member_id(to);
  if (g.Chance(0.3)) request.set_note("for the coffee run");
  return request;
}
Request FreshTransfer(Generator& g) { return TransferBase(g, false); }
Request BoundaryTransfer(Generator& g) { return TransferBase(g, true); }
std::string MalformTransfer(Generator& g, Request* r) {
  auto& request = std::get<v1::TransferVoucherUnitsRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0:
      request.set_to_member_id(request.member_id().empty()
                                   ? std::string("m-1")
                                   : request.member_id());
      if (request.member_id().empty()) request.set_member_id("m-1");
      return "to_member_id the giver";
    case 1:
      request.set_note(std::string(501, 'n'));
      return "note 501 bytes";
    default:
      return MalformCodeOrUnits(g, request);
  }
}
void MutateTransfer(Generator& g, Request* r) {
  std::get<v1::TransferVoucherUnitsRequest>(*r).set_note(
      absl::StrCat("note ", g.Uniform(1, 1000)));
}

v1::GiftVoucherUnitsRequest GiftBase(Generator& g, bool near_limit) {
  v1::GiftVoucherUnitsRequest request;
  *request.mutable_context() = OnlineContext(g);
  Aim(g, request, near_limit);
  if (g.Chance(0.3)) request.set_note("happy birthday");
  return request;
}
Request FreshGift(Generator& g) { return GiftBase(g, false); }
Request BoundaryGift(Generator& g) { return GiftBase(g, true); }
std::string MalformGift(Generator& g, Request* r) {
  auto& request = std::get<v1::GiftVoucherUnitsRequest>(*r);
  if (g.Chance(0.2)) {
    request.set_note(std::string(501, 'n'));
    return "note 501 bytes";
  }
  return MalformCodeOrUnits(g, request);
}
void MutateGift(Generator& g, Request* r) {
  std::get<v1::GiftVoucherUnitsRequest>(*r).set_note(
      absl::StrCat("note ", g.Uniform(1, 1000)));
}

// A known claim code (mostly a recent one), or one nobody has.
v1::ClaimVoucherGiftRequest ClaimBase(Generator& g, bool claimed_ones) {
  v1::ClaimVoucherGiftRequest request;
  *request.mutable_context() = OnlineContext(g);
  request.set_member_id(g.PickMember());
  // Mostly a gift still claimable; near a limit, one claimed or returned.
  std::vector<const VoucherGiftState*> gifts;
  for (const auto& [code, gift] : g.model().voucher_gifts()) {
    const bool claimable = gift.state == v1::VOUCHER_GIFT_STATE_PENDING &&
                           g.now_ms() < gift.claim_expires_at_ms;
    if (claimed_ones ? !claimable : claimable) gifts.push_back(&gift);
  }
  if (gifts.empty() || g.Chance(0.05)) {
    request.set_claim_code(SpelledCode(g, g.NewCode()));
    return request;
  }
  // In the order they were made: codes are the ledger's random draw, and
  // a seed must replay the same choices.
  std::sort(gifts.begin(), gifts.end(),
            [](const VoucherGiftState* a, const VoucherGiftState* b) {
              return a->gift_sequence < b->gift_sequence;
            });
  const VoucherGiftState* gift = PickFrom(g, gifts);
  request.set_claim_code(SpelledCode(g, gift->claim_code));
  // Now and then the giver takes it back.
  if (g.Chance(0.1)) request.set_member_id(g.model().Resolve(gift->giver));
  return request;
}
Request FreshClaim(Generator& g) { return ClaimBase(g, false); }
// Claims of gifts already claimed or returned.
Request BoundaryClaim(Generator& g) { return ClaimBase(g, true); }
std::string MalformClaim(Generator& g, Request* r) {
  auto& request = std::get<v1::ClaimVoucherGiftRequest>(*r);
  switch (g.Uniform(0, 2)) {
    case 0:
      request.set_claim_code(MistypedCode(g, request.claim_code()));
      return "claim_code with a typo";
    case 1:
      request.clear_claim_code();
      return "claim_code empty";
    default:
      request.clear_member_id();
      return "member_id empty";
  }
}
void MutateClaim(Generator& g, Request* r) {
  std::get<v1::ClaimVoucherGiftRequest>(*r).set_member_id(g.PickMember());
}

v1::RefundVoucherUnitsRequest RefundBase(Generator& g, bool near_limit) {
  v1::RefundVoucherUnitsRequest request;
  *request.mutable_context() = OnlineContext(g);
  Aim(g, request, near_limit, /*refundable=*/true);
  return request;
}
Request FreshRefund(Generator& g) { return RefundBase(g, false); }
Request BoundaryRefund(Generator& g) { return RefundBase(g, true); }
std::string MalformRefund(Generator& g, Request* r) {
  return MalformCodeOrUnits(g, std::get<v1::RefundVoucherUnitsRequest>(*r));
}
void MutateRefund(Generator& g, Request* r) {
  auto& request = std::get<v1::RefundVoucherUnitsRequest>(*r);
  request.set_units(request.units() == 1 ? 2 : 1);
}

}  // namespace

extern constexpr KindSpec kIssueVoucherSpec = {
    "issue_voucher", 7, FreshIssue, BoundaryIssue, MalformIssue, MutateIssue};
extern constexpr KindSpec kRedeemVoucherSpec = {
    "redeem_voucher", 10,          FreshPickup, BoundaryPickup,
    MalformPickup,    MutatePickup};
extern constexpr KindSpec kTransferVoucherSpec = {
    "transfer_voucher", 4, FreshTransfer, BoundaryTransfer, MalformTransfer,
    MutateTransfer};
extern constexpr KindSpec kGiftVoucherSpec = {
    "gift_voucher", 4, FreshGift, BoundaryGift, MalformGift, MutateGift};
extern constexpr KindSpec kClaimGiftSpec = {
    "claim_gift", 4, FreshClaim, BoundaryClaim, MalformClaim, MutateClaim};
extern constexpr KindSpec kRefundVoucherSpec = {
    "refund_voucher", 3,           FreshRefund, BoundaryRefund,
    MalformRefund,    MutateRefund};

}  // namespace loyalty::model
