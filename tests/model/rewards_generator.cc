// The rewards catalog kinds of the model test's generator (see
// generator.h): RedeemReward of the test program's items (now and then
// one it lacks) by any member on any channel, leaning toward members who
// can pay; CancelReward of rewards the model knows, mostly by their owner
// (or the member the owner was merged into), in every spelling a till may
// type, now and then of a used or cancelled one, by another member or with
// a code nobody has.
#include <algorithm>
#include <string>
#include <vector>

#include "generator.h"
#include "generator_kinds.h"
#include "ledger/coupons/codes.h"

namespace loyalty::model {
namespace {

// ----- RedeemReward.

v1::RedeemRewardRequest RedeemBase(Generator& g) {
  v1::RedeemRewardRequest request;
  *request.mutable_context() = g.ChannelContext();
  const RewardRule& rule = PickFrom(g, ModelRewardRules());
  request.set_item_id(g.Chance(0.08) ? std::string("no-such-item")
                                     : rule.item_id);
  // A member who can pay, most of the time.
  std::string member_id = g.PickMember();
  for (int tries = 0; tries < 3 && Available(g, member_id) < rule.points_price;
       ++tries) {
    member_id = g.PickMember();
  }
  request.set_member_id(member_id);
  // The app-only item mostly from the app, so its tier rule is met too.
  if (request.item_id() == "r-silver" && g.Chance(0.7)) {
    request.mutable_context()->set_channel(v1::CHANNEL_APP);
    request.mutable_context()->clear_store_id();
    request.mutable_context()->clear_terminal_id();
  }
  return request;
}

Request FreshRedeem(Generator& g) { return RedeemBase(g); }

// At a limit: the item with a stock, or one more voucher for a member who
// holds vouchers of the item with a per-member limit.
Request BoundaryRedeem(Generator& g) {
  v1::RedeemRewardRequest request = RedeemBase(g);
  if (g.Chance(0.5)) {
    request.set_item_id("r-scarce");
    return request;
  }
  request.set_item_id("r-coffee");
  std::vector<const VoucherState*> held;
  for (const auto& [code, voucher] : g.model().vouchers()) {
    if (voucher.reward_item_id == "r-coffee" && voucher.cancelled == 0) {
      held.push_back(&voucher);
    }
  }
  if (!held.empty()) {
    std::sort(held.begin(), held.end(),
              [](const VoucherState* a, const VoucherState* b) {
                return a->issued_sequence < b->issued_sequence;
              });
    request.set_member_id(g.model().Resolve(PickFrom(g, held)->owner));
  }
  return request;
}

std::string MalformRedeem(Generator& g, Request* r) {
  auto& request = std::get<v1::RedeemRewardRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0:
      request.clear_member_id();
      return "member_id empty";
    case 1:
      request.set_item_id("has space");
      return "item_id not an id";
    case 2:
      request.clear_item_id();
      return "item_id empty";
    default:
      return MalformContext(g, request.mutable_context(), /*admin=*/false);
  }
}

void MutateRedeem(Generator& g, Request* r) {
  auto& request = std::get<v1::RedeemRewardRequest>(*r);
  request.set_item_id(request.item_id() == "r-welcome" ? "r-scarce"
                                                       : "r-welcome");
}

// ----- CancelReward.

struct KnownReward {
  uint64_t issued_sequence;
  std::string code;
  std::string owner;
  bool usable;  // Untouched, cancellable and not expired: a cancel would do.
};

// The rewards the model knows, oldest first (codes are the ledger's random
// draw: a seed must replay the same choices whatever they are).
std::vector<KnownReward> KnownRewards(Generator& g) {
  std::vector<KnownReward> rewards;
  for (const auto& [code, coupon] : g.model().coupons()) {
    if (coupon.reward_item_id.empty()) continue;
    rewards.push_back({coupon.issued_sequence, code, coupon.owner,
                       coupon.reward_cancellable && !coupon.cancelled &&
                           coupon.uses == 0 && coupon.reservations.empty() &&
                           g.now_ms() < coupon.valid_until_ms});
  }
  for (const auto& [code, voucher] : g.model().vouchers()) {
    if (voucher.reward_item_id.empty()) continue;
    rewards.push_back({voucher.issued_sequence, code, voucher.owner,
                       voucher.reward_cancellable && voucher.cancelled == 0 &&
                           voucher.left == voucher.bought &&
                           g.now_ms() < voucher.expires_at_ms});
  }
  std::sort(rewards.begin(), rewards.end(),
            [](const KnownReward& a, const KnownReward& b) {
              return a.issued_sequence < b.issued_sequence;
            });
  return rewards;
}

v1::CancelRewardRequest CancelBase(Generator& g, bool unusable) {
  v1::CancelRewardRequest request;
  *request.mutable_context() = g.ChannelContext();
  std::vector<KnownReward> rewards;
  for (KnownReward& reward : KnownRewards(g)) {
    if (reward.usable != unusable) rewards.push_back(std::move(reward));
  }
  if (rewards.empty() || g.Chance(0.04)) {
    request.set_member_id(g.PickMember());
    request.set_code(SpelledCode(g, g.NewCode()));
    return request;
  }
  const KnownReward& reward = PickFrom(g, rewards);
  const int64_t roll = g.Uniform(0, 99);
  request.set_member_id(roll < 85   ? g.model().Resolve(reward.owner)
                        : roll < 92 ? reward.owner
                                    : g.PickMember());
  request.set_code(SpelledCode(g, reward.code));
  return request;
}

Request FreshCancel(Generator& g) { return CancelBase(g, false); }
// Rewards a cancel refuses: used, reserved, picked up, cancelled, expired
// or of an item that does not allow it.
Request BoundaryCancel(Generator& g) { return CancelBase(g, true); }

std::string MalformCancel(Generator& g, Request* r) {
  auto& request = std::get<v1::CancelRewardRequest>(*r);
  switch (g.Uniform(0, 3)) {
    case 0:
      request.set_code(MistypedCode(g, request.code()));
      return "code with a typo";
    case 1:
      request.set_code(request.code().substr(0, 10));
      return "code too short";
    case 2:
      request.clear_code();
      return "code empty";
    default:
      request.clear_member_id();
      return "member_id empty";
  }
}

void MutateCancel(Generator& g, Request* r) {
  std::get<v1::CancelRewardRequest>(*r).set_member_id(g.PickMember());
}

}  // namespace

extern constexpr KindSpec kRedeemRewardSpec = {"redeem_reward", 5,
                                               FreshRedeem,     BoundaryRedeem,
                                               MalformRedeem,   MutateRedeem};
extern constexpr KindSpec kCancelRewardSpec = {"cancel_reward", 3,
                                               FreshCancel,     BoundaryCancel,
                                               MalformCancel,   MutateCancel};

}  // namespace loyalty::model
