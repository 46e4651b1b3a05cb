// The rewards catalog (ledger/rewards/): RedeemReward takes a member's
// points and issues the item's coupon or voucher in one batch, both or
// neither; stock, per-member limits, minimum tiers and channels are
// checked by the same rule the catalog listing shows; CancelReward gives
// an unused reward back for its points. VerifyLedger re-derives the counts
// and catches half exchanges.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "coupon_test_util.h"
#include "ledger/common/program.h"
#include "ledger/coupons/codes.h"
#include "ledger/rewards/catalog.h"
#include "loyalty/v1/coupon_code.h"
#include "voucher_test_util.h"

namespace loyalty {
namespace {

using testing::CallLedger;
using testing::CodeOf;
using testing::kApp;
using testing::kPos;
using testing::kStartMs;
using testing::kVoucherDayMs;
using testing::NothingChanged;
using testing::Pickup;
using testing::PickupRequest;
using testing::ReasonOfResult;
using testing::TestLedger;
using testing::VoucherProgram;
using v1::RewardItem;

// Vouchers' products, a "free-coffee" coupon template (30 days, at most 3
// per member) and tiers "member" (0) and "gold" (100 qualifying points),
// with four catalog items:
//   coffee-coupon  300 points, a free-coffee coupon, stock 3, cancellable
//   coffee-bundle  500 points, a 5-unit coffee-12 voucher, cancellable
//   gold-lounge    100 points, a coupon, gold tier only, app only
//   one-per-head   50 points, a coupon, one per member, not cancellable
v1::ProgramConfig RewardsProgram() {
  v1::ProgramConfig program = VoucherProgram();
  v1::CouponTemplate* coupon = program.add_coupon_templates();
  coupon->set_template_id("free-coffee");
  coupon->set_display_name("A free coffee");
  coupon->set_free_item_sku("COFFEE-M");
  coupon->set_valid_days_after_issue(30);
  coupon->set_per_member_limit(3);
  v1::TierRules* tiers = program.mutable_tier_rules();
  tiers->set_basis(v1::TIER_BASIS_QUALIFYING_POINTS);
  tiers->set_window_months(12);
  v1::Tier* member = tiers->add_tiers();
  member->set_tier_id("member");
  v1::Tier* gold = tiers->add_tiers();
  gold->set_tier_id("gold");
  gold->set_threshold(100);
  RewardItem* item = program.add_reward_items();
  item->set_item_id("coffee-coupon");
  item->set_display_name("Free coffee");
  item->set_points_price(300);
  item->set_coupon_template_id("free-coffee");
  item->set_stock(3);
  item->set_cancellable(true);
  item = program.add_reward_items();
  item->set_item_id("coffee-bundle");
  item->set_points_price(500);
  item->set_voucher_product_id("coffee-12");
  item->set_voucher_units(5);
  item->set_cancellable(true);
  item = program.add_reward_items();
  item->set_item_id("gold-lounge");
  item->set_points_price(100);
  item->set_coupon_template_id("free-coffee");
  item->set_min_tier_id("gold");
  item->add_channels(v1::CHANNEL_APP);
  item = program.add_reward_items();
  item->set_item_id("one-per-head");
  item->set_points_price(50);
  item->set_coupon_template_id("free-coffee");
  item->set_per_member_limit(1);
  return program;
}

v1::RedeemRewardRequest RewardRequest(std::string request_id,
                                      std::string member_id,
                                      std::string item_id) {
  v1::RedeemRewardRequest request;
  *request.mutable_context() = testing::AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_item_id(std::move(item_id));
  return request;
}

absl::StatusOr<v1::RedeemRewardResponse> RedeemReward(
    Ledger& ledger, v1::RedeemRewardRequest request) {
  return CallLedger<RedeemRewardCommand>(ledger, kApp, std::move(request));
}

absl::StatusOr<v1::CancelRewardResponse> CancelReward(Ledger& ledger,
                                                      std::string request_id,
                                                      std::string member_id,
                                                      std::string code) {
  v1::CancelRewardRequest request;
  *request.mutable_context() = testing::AppContext(std::move(request_id));
  request.set_member_id(std::move(member_id));
  request.set_code(std::move(code));
  return CallLedger<CancelRewardCommand>(ledger, kApp, std::move(request));
}

// The code a redemption issued; the test stops if it was refused.
std::string RedeemRewardOk(TestLedger& t, const std::string& request_id,
                           const std::string& member_id,
                           const std::string& item_id) {
  auto redeemed =
      RedeemReward(t.ledger(), RewardRequest(request_id, member_id, item_id));
  REQUIRE_OK(redeemed);
  return redeemed->has_coupon() ? redeemed->coupon().code()
                                : redeemed->voucher().code();
}

// ---------------------------------------------------------------------------
// The catalog in the program.

TEST_CASE("a bad reward item is refused at start with its field named",
          "[rewards][program]") {
  struct Case {
    const char* field;
    std::function<void(RewardItem&)> spoil;
  };
  const std::vector<Case> cases = {
      {"reward_items[0].item_id", [](RewardItem& i) { i.clear_item_id(); }},
      {"reward_items[0].item_id",
       [](RewardItem& i) { i.set_item_id("has space"); }},
      {"reward_items[0].points_price",
       [](RewardItem& i) { i.set_points_price(0); }},
      {"reward_items[0].points_price",
       [](RewardItem& i) { i.set_points_price(kRewardPointsPriceMax + 1); }},
      {"reward_items[0].coupon_template_id",
       [](RewardItem& i) { i.clear_coupon_template_id(); }},
      {"reward_items[0].coupon_template_id",
       [](RewardItem& i) { i.set_voucher_product_id("coffee-12"); }},
      {"reward_items[0].coupon_template_id",
       [](RewardItem& i) { i.set_coupon_template_id("no-such-template"); }},
      {"reward_items[0].voucher_units",
       [](RewardItem& i) { i.set_voucher_units(2); }},
      {"reward_items[0].stock", [](RewardItem& i) { i.set_stock(-1); }},
      {"reward_items[0].per_member_limit",
       [](RewardItem& i) { i.set_per_member_limit(1001); }},
      {"reward_items[0].min_tier_id",
       [](RewardItem& i) { i.set_min_tier_id("platinum"); }},
      {"reward_items[0].channels",
       [](RewardItem& i) { i.add_channels(v1::CHANNEL_UNSPECIFIED); }},
      {"reward_items[0].channels",
       [](RewardItem& i) {
         i.add_channels(v1::CHANNEL_POS);
         i.add_channels(v1::CHANNEL_POS);
       }},
      {"reward_items[1].item_id",
       [](RewardItem& i) { i.set_item_id("coffee-bundle"); }},
  };
  for (const Case& c : cases) {
    v1::ProgramConfig program = RewardsProgram();
    c.spoil(*program.mutable_reward_items(0));
    INFO(c.field);
    absl::Status status = ValidateProgram(program);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(testing::MessageOf(status).find(c.field) != std::string::npos);
  }
  // A voucher item's units must fit its product.
  v1::ProgramConfig program = RewardsProgram();
  program.mutable_reward_items(1)->set_voucher_units(13);
  CHECK(testing::MessageOf(ValidateProgram(program))
            .find("reward_items[1].voucher_units") != std::string::npos);
  program.mutable_reward_items(1)->set_voucher_product_id("no-such-product");
  CHECK(testing::MessageOf(ValidateProgram(program))
            .find("reward_items[1].voucher_product_id") != std::string::npos);
  CHECK(ValidateProgram(RewardsProgram()).ok());
}

// ---------------------------------------------------------------------------
// Redeeming.

TEST_CASE(
    "a reward takes its points and issues its coupon in one batch, and the "
    "coupon is an ordinary coupon of the member",
    "[rewards][redeem]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 1000);
  auto redeemed =
      RedeemReward(t.ledger(), RewardRequest("r1", "alice", "coffee-coupon"));
  REQUIRE_OK(redeemed);
  REQUIRE(redeemed->entries_size() == 2);
  const v1::LedgerEntry& redeem = redeemed->entries(0);
  const v1::LedgerEntry& issue = redeemed->entries(1);
  CHECK(redeem.kind() == v1::ENTRY_KIND_REWARD_REDEEM);
  CHECK(redeem.points_delta() == -300);
  CHECK(redeem.available_after_points() == 700);
  CHECK(redeem.reward_redeemed().item_id() == "coffee-coupon");
  CHECK(redeem.reward_redeemed().points() == 300);
  CHECK_FALSE(redeem.reward_redeemed().voucher());
  CHECK(issue.kind() == v1::ENTRY_KIND_COUPON_ISSUE);
  CHECK(issue.sequence() == redeem.sequence() + 1);
  CHECK(issue.coupon_issued().reward_item_id() == "coffee-coupon");
  CHECK(issue.coupon_issued().code() == redeem.reward_redeemed().code());
  REQUIRE(redeemed->has_coupon());
  const v1::Coupon& coupon = redeemed->coupon();
  CHECK(coupon.member_id() == "alice");
  CHECK(coupon.template_id() == "free-coffee");
  CHECK(coupon.reward_item_id() == "coffee-coupon");
  CHECK(coupon.state() == v1::COUPON_STATE_USABLE);
  CHECK(redeemed->balance().available_points() == 700);
  // The coupon works at a till like any other.
  auto used = CallLedger<RedeemCouponCommand>(
      t.ledger(), kPos,
      testing::CouponRedeemRequest("use-1", "alice", coupon.code(),
                                   testing::PosContext("")));
  REQUIRE_OK(used);
  // A retry replays: same code, no second exchange.
  auto again =
      RedeemReward(t.ledger(), RewardRequest("r1", "alice", "coffee-coupon"));
  REQUIRE_OK(again);
  CHECK(again->replayed());
  CHECK(again->coupon().code() == coupon.code());
  CHECK(t.Available("alice") == 700);
  t.Reopen();
  CHECK(t.Available("alice") == 700);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a voucher reward is the member's with the item's units, no price and "
    "no refund, and its units can be picked up",
    "[rewards][redeem][vouchers]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 600);
  auto redeemed =
      RedeemReward(t.ledger(), RewardRequest("r1", "alice", "coffee-bundle"));
  REQUIRE_OK(redeemed);
  REQUIRE(redeemed->has_voucher());
  const v1::Voucher& voucher = redeemed->voucher();
  CHECK(voucher.units_bought() == 5);
  CHECK(voucher.units_left() == 5);
  CHECK(voucher.price_paid().amount_minor() == 0);
  CHECK_FALSE(voucher.refundable());
  CHECK(voucher.reward_item_id() == "coffee-bundle");
  CHECK(redeemed->entries(1).kind() == v1::ENTRY_KIND_VOUCHER_ISSUE);
  CHECK(redeemed->balance().available_points() == 100);
  REQUIRE_OK(
      Pickup(t.ledger(), PickupRequest("p1", "alice", voucher.code(), 2)));
  CHECK(t.ledger().GetVoucher(voucher.code())->units_left() == 3);
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "a refused reward writes nothing but its remembered answer: points, "
    "unknown item, tier, channel, limit",
    "[rewards][redeem][refusals]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 200);
  struct Case {
    const char* name;
    v1::RedeemRewardRequest request;
    absl::StatusCode code;
    v1::ErrorReason reason;
  };
  v1::RedeemRewardRequest on_pos = RewardRequest("q4", "alice", "gold-lounge");
  *on_pos.mutable_context() = testing::PosContext("q4");
  const std::vector<Case> cases = {
      {"too few points", RewardRequest("q1", "alice", "coffee-coupon"),
       absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_INSUFFICIENT_POINTS},
      {"unknown item", RewardRequest("q2", "alice", "caviar"),
       absl::StatusCode::kNotFound, v1::ERROR_REASON_REWARD_ITEM_NOT_FOUND},
      {"tier too low", RewardRequest("q3", "alice", "gold-lounge"),
       absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_REWARD_TIER_TOO_LOW},
      {"wrong channel", on_pos, absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_REWARD_WRONG_CHANNEL},
      {"unknown member", RewardRequest("q5", "bob", "one-per-head"),
       absl::StatusCode::kNotFound, v1::ERROR_REASON_MEMBER_NOT_FOUND},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    NothingChanged unchanged(t.store());
    auto refused = CallLedger<RedeemRewardCommand>(
        t.ledger(),
        c.request.context().channel() == v1::CHANNEL_POS ? kPos : kApp,
        c.request);
    CHECK(CodeOf(refused) == c.code);
    CHECK(ReasonOfResult(refused) == c.reason);
    unchanged.CheckOnlyRequestRemembered();
  }
  // One per head: the second is refused, and stays refused on retry.
  RedeemRewardOk(t, "h1", "alice", "one-per-head");
  auto second =
      RedeemReward(t.ledger(), RewardRequest("h2", "alice", "one-per-head"));
  CHECK(ReasonOfResult(second) == v1::ERROR_REASON_REWARD_LIMIT_REACHED);
  t.CreditOk("alice", 1000);
  auto retried =
      RedeemReward(t.ledger(), RewardRequest("h2", "alice", "one-per-head"));
  CHECK(ReasonOfResult(retried) == v1::ERROR_REASON_REWARD_LIMIT_REACHED);
  t.RequireVerifyOk();
}

TEST_CASE("a gold member may redeem a gold reward, on its channel only",
          "[rewards][redeem][tiers]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  REQUIRE_OK(testing::Earn(t.ledger(), kPos,
                           testing::EarnEur("e1", "alice", "o1", {15000})));
  REQUIRE(t.ledger().GetMember("alice")->tier().tier_id() == "gold");
  RedeemRewardOk(t, "r1", "alice", "gold-lounge");
  t.RequireVerifyOk();
}

TEST_CASE(
    "the coupon template's own limits still apply to a reward, and a "
    "refusal takes no points",
    "[rewards][redeem][coupons]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 5000);
  // free-coffee allows three coupons per member, whatever bought them.
  RedeemRewardOk(t, "r1", "alice", "one-per-head");
  RedeemRewardOk(t, "r2", "alice", "coffee-coupon");
  RedeemRewardOk(t, "r3", "alice", "coffee-coupon");
  NothingChanged unchanged(t.store());
  auto fourth =
      RedeemReward(t.ledger(), RewardRequest("r4", "alice", "coffee-coupon"));
  CHECK(ReasonOfResult(fourth) == v1::ERROR_REASON_COUPON_LIMIT_REACHED);
  unchanged.CheckOnlyRequestRemembered();
  CHECK(t.Available("alice") == 4350);
  t.RequireVerifyOk();
}

TEST_CASE(
    "members racing for the last rewards in stock: exactly the stock "
    "succeeds, and a cancel puts one back",
    "[rewards][redeem][stock][concurrency]") {
  TestLedger t(RewardsProgram());
  constexpr int kMembers = 8;
  for (int m = 0; m < kMembers; ++m) {
    const std::string id = absl::StrCat("m", m);
    t.EnrollOk(id);
    t.CreditOk(id, 1000);
  }
  std::atomic<int> succeeded{0};
  std::atomic<int> out_of_stock{0};
  std::vector<std::thread> members;
  for (int m = 0; m < kMembers; ++m) {
    members.emplace_back([&, m] {
      const std::string id = absl::StrCat("m", m);
      auto redeemed = RedeemReward(
          t.ledger(),
          RewardRequest(absl::StrCat("race-", m), id, "coffee-coupon"));
      if (redeemed.ok()) {
        ++succeeded;
      } else if (ReasonOfResult(redeemed) ==
                 v1::ERROR_REASON_REWARD_OUT_OF_STOCK) {
        ++out_of_stock;
      }
    });
  }
  for (std::thread& member : members) member.join();
  CHECK(succeeded == 3);
  CHECK(out_of_stock == kMembers - 3);
  // The catalog says so.
  auto listed = t.ledger().ListRewards(v1::ListRewardsRequest());
  REQUIRE_OK(listed);
  CHECK(listed->offers(0).item().item_id() == "coffee-coupon");
  CHECK(listed->offers(0).stock_left() == 0);
  CHECK(listed->offers(1).stock_left() == -1);
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// Cancelling.

TEST_CASE(
    "an unused reward coupon is cancelled for its points back, is never "
    "usable again, and goes back into stock",
    "[rewards][cancel]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 1000);
  const std::string code = RedeemRewardOk(t, "r1", "alice", "coffee-coupon");
  CHECK(t.Available("alice") == 700);
  auto cancelled = CancelReward(t.ledger(), "c1", "alice", code);
  REQUIRE_OK(cancelled);
  CHECK(cancelled->entry().kind() == v1::ENTRY_KIND_REWARD_CANCEL);
  CHECK(cancelled->entry().points_delta() == 300);
  CHECK(cancelled->entry().reward_cancelled().item_id() == "coffee-coupon");
  CHECK(cancelled->coupon().state() == v1::COUPON_STATE_CANCELLED);
  CHECK(cancelled->balance().available_points() == 1000);
  auto used = CallLedger<RedeemCouponCommand>(
      t.ledger(), kPos,
      testing::CouponRedeemRequest("use-1", "alice", code,
                                   testing::PosContext("")));
  CHECK(ReasonOfResult(used) == v1::ERROR_REASON_COUPON_USED_UP);
  auto twice = CancelReward(t.ledger(), "c2", "alice", code);
  CHECK(ReasonOfResult(twice) == v1::ERROR_REASON_REWARD_NOT_CANCELLABLE);
  auto listed = t.ledger().ListRewards(v1::ListRewardsRequest());
  REQUIRE_OK(listed);
  CHECK(listed->offers(0).stock_left() == 3);
  // Redeemed and cancelled cancel out in the member's statement totals.
  auto member = t.ledger().GetMember("alice");
  REQUIRE_OK(member);
  t.Reopen();
  CHECK(t.ledger().GetCoupon(code)->state() == v1::COUPON_STATE_CANCELLED);
  t.RequireVerifyOk();
}

TEST_CASE(
    "a used, picked-up, not-cancellable or someone else's reward is not "
    "cancelled and nothing changes",
    "[rewards][cancel][refusals]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.EnrollOk("bob");
  t.CreditOk("alice", 5000);
  const std::string used = RedeemRewardOk(t, "r1", "alice", "coffee-coupon");
  REQUIRE_OK(CallLedger<RedeemCouponCommand>(
      t.ledger(), kPos,
      testing::CouponRedeemRequest("use-1", "alice", used,
                                   testing::PosContext(""))));
  const std::string bundle = RedeemRewardOk(t, "r2", "alice", "coffee-bundle");
  REQUIRE_OK(Pickup(t.ledger(), PickupRequest("p1", "alice", bundle, 1)));
  const std::string fixed = RedeemRewardOk(t, "r3", "alice", "one-per-head");
  const std::string kept = RedeemRewardOk(t, "r4", "alice", "coffee-coupon");
  struct Case {
    const char* name;
    std::string member_id;
    std::string code;
    absl::StatusCode status_code;
    v1::ErrorReason reason;
  };
  const std::string unknown_digits = "ZZZZZZZZZZZZZZZZ";
  const std::vector<Case> cases = {
      {"used coupon", "alice", used, absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_REWARD_NOT_CANCELLABLE},
      {"voucher picked up", "alice", bundle,
       absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_REWARD_NOT_CANCELLABLE},
      {"item not cancellable", "alice", fixed,
       absl::StatusCode::kFailedPrecondition,
       v1::ERROR_REASON_REWARD_NOT_CANCELLABLE},
      {"another member's", "bob", kept, absl::StatusCode::kNotFound,
       v1::ERROR_REASON_REWARD_NOT_FOUND},
      {"unknown code", "alice",
       unknown_digits + contract::CouponCheckCharacter(unknown_digits),
       absl::StatusCode::kNotFound, v1::ERROR_REASON_REWARD_NOT_FOUND},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    INFO(c.name);
    NothingChanged unchanged(t.store());
    auto refused = CancelReward(t.ledger(), absl::StrCat("cancel-", i),
                                c.member_id, c.code);
    CHECK(CodeOf(refused) == c.status_code);
    CHECK(ReasonOfResult(refused) == c.reason);
    unchanged.CheckOnlyRequestRemembered();
  }
  // Bad input is refused before anything is remembered.
  NothingChanged unchanged(t.store());
  auto malformed = CancelReward(t.ledger(), "c-bad", "alice", "NOT-A-CODE");
  CHECK(CodeOf(malformed) == absl::StatusCode::kInvalidArgument);
  CHECK(testing::MessageOf(malformed).find("code") != std::string::npos);
  auto no_member = CancelReward(t.ledger(), "c-bad2", "", kept);
  CHECK(CodeOf(no_member) == absl::StatusCode::kInvalidArgument);
  unchanged.Check();
  t.RequireVerifyOk();
}

TEST_CASE(
    "an untouched voucher reward is cancelled whole, its units voided and "
    "still conserved, and its expiry no longer due",
    "[rewards][cancel][vouchers]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 500);
  const std::string code = RedeemRewardOk(t, "r1", "alice", "coffee-bundle");
  auto cancelled = CancelReward(t.ledger(), "c1", "alice", code);
  REQUIRE_OK(cancelled);
  CHECK(cancelled->voucher().state() == v1::VOUCHER_STATE_CANCELLED);
  CHECK(cancelled->voucher().units_cancelled() == 5);
  CHECK(cancelled->voucher().units_left() == 0);
  CHECK(cancelled->entry().reward_cancelled().voucher_units() == 5);
  CHECK(t.Available("alice") == 500);
  // Nothing falls due at the voucher's old expiry: no VOUCHER_EXPIRE.
  t.clock().AdvanceMs(40 * kVoucherDayMs);
  testing::SweepVouchersOk(t);
  for (const v1::LedgerEntry& entry : testing::AllEntries(t.store())) {
    CHECK(entry.kind() != v1::ENTRY_KIND_VOUCHER_EXPIRE);
  }
  t.Reopen();
  t.RequireVerifyOk();
}

TEST_CASE(
    "after a merge the target cancels the source's reward, and holds count "
    "over both",
    "[rewards][cancel][merge]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.EnrollOk("alice-old");
  t.CreditOk("alice-old", 100);
  RedeemRewardOk(t, "r1", "alice-old", "one-per-head");
  const std::string code = [&] {
    t.CreditOk("alice-old", 300);
    return RedeemRewardOk(t, "r2", "alice-old", "coffee-coupon");
  }();
  REQUIRE_OK(testing::Merge(t.ledger(),
                            testing::MergeRequest("m1", "alice-old", "alice")));
  // The source's one-per-head counts for the target.
  t.CreditOk("alice", 100);
  auto second =
      RedeemReward(t.ledger(), RewardRequest("r3", "alice", "one-per-head"));
  CHECK(ReasonOfResult(second) == v1::ERROR_REASON_REWARD_LIMIT_REACHED);
  REQUIRE_OK(CancelReward(t.ledger(), "c1", "alice", code));
  CHECK(t.Available("alice") == 450);
  v1::ListRewardsRequest as_alice;
  as_alice.set_member_id("alice");
  auto listed = t.ledger().ListRewards(as_alice);
  REQUIRE_OK(listed);
  CHECK(listed->offers(0).member_held() == 0);
  CHECK(listed->offers(3).member_held() == 1);
  CHECK(listed->offers(3).refusal() == v1::ERROR_REASON_REWARD_LIMIT_REACHED);
  t.RequireVerifyOk();
}

// ---------------------------------------------------------------------------
// The listing and Verify.

TEST_CASE(
    "the catalog tells a member what RedeemReward would refuse, on the "
    "channel asked",
    "[rewards][list]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  v1::ListRewardsRequest request;
  request.set_member_id("alice");
  request.set_channel(v1::CHANNEL_POS);
  auto listed = t.ledger().ListRewards(request);
  REQUIRE_OK(listed);
  REQUIRE(listed->offers_size() == 4);
  CHECK(listed->offers(0).refusal() == v1::ERROR_REASON_UNSPECIFIED);
  CHECK(listed->offers(2).refusal() == v1::ERROR_REASON_REWARD_WRONG_CHANNEL);
  request.set_channel(v1::CHANNEL_APP);
  CHECK(t.ledger().ListRewards(request)->offers(2).refusal() ==
        v1::ERROR_REASON_REWARD_TIER_TOO_LOW);
  request.set_member_id("nobody");
  CHECK(CodeOf(t.ledger().ListRewards(request)) == absl::StatusCode::kNotFound);
  request.set_member_id("bad id");
  CHECK(CodeOf(t.ledger().ListRewards(request)) ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("VerifyLedger reports a reward count that is not its entries'",
          "[rewards][verify]") {
  TestLedger t(RewardsProgram());
  t.EnrollOk("alice");
  t.CreditOk("alice", 1000);
  RedeemRewardOk(t, "r1", "alice", "coffee-coupon");
  storage::v1::RewardCount forged;
  forged.set_redeemed(0);
  t.store().PutRaw(Family::kRewardCounts, RewardItemCountKey("coffee-coupon"),
                   forged.SerializeAsString());
  CHECK(t.VerifyReports("reward count"));
}

}  // namespace
}  // namespace loyalty
