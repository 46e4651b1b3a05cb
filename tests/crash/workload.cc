#include "tests/crash/workload.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <type_traits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/commands.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "tests/crash/identifier_pool.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {
namespace {

using loyalty::v1::Channel;

// With a MemberBook, the share of member picks that name a member an import
// enrolled: they earn, redeem, hold and return like the pool, so that
// closes meet unsettled members and merges move holds, orders and debt
// for as long as a run lasts.
constexpr double kEnrolledMemberShare = 0.08;
// How long a pending earn of the load stays pending (its order time is this
// much inside the return window when it is made).
constexpr int kPendingMsMin = 1'000;
constexpr int kPendingMsMax = 4'000;

// One of `items`: half the time among the newest 8, else any; nullopt when
// there is none.
template <typename Item>
std::optional<Item> PickLeaningNew(const std::vector<Item>& items,
                                   std::mt19937_64& random) {
  if (items.empty()) return std::nullopt;
  size_t low = 0;
  if (std::bernoulli_distribution(0.5)(random) && items.size() > 8) {
    low = items.size() - 8;
  }
  return items[std::uniform_int_distribution<size_t>(low, items.size() - 1)(
      random)];
}

template <typename Item>
void AddBounded(std::vector<Item>* items, Item item, size_t size_max) {
  if (items->size() == size_max) items->erase(items->begin());
  items->push_back(std::move(item));
}

// A well-formed hold id that no hold ever gets: far past any sequence a test
// run reaches.
std::string UnknownHoldId(std::mt19937_64& random) {
  return absl::StrCat(
      "H", std::uniform_int_distribution<uint64_t>(1'000'000'000'000ull,
                                                   9'999'999'999'999ull)(random));
}

}  // namespace

void HoldBook::Add(KnownHold hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (holds_.size() == size_max_) holds_.erase(holds_.begin());
  holds_.push_back(std::move(hold));
}

std::optional<KnownHold> HoldBook::Pick(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (holds_.empty()) return std::nullopt;
  // Half the picks among the newest 8, the rest from the whole book.
  size_t low = 0;
  if (std::bernoulli_distribution(0.5)(random) && holds_.size() > 8) {
    low = holds_.size() - 8;
  }
  return holds_[std::uniform_int_distribution<size_t>(low, holds_.size() - 1)(
      random)];
}

void OrderBook::Add(KnownOrder order) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (orders_.size() == size_max_) orders_.erase(orders_.begin());
  orders_.push_back(std::move(order));
}

void OrderBook::AddEarn(const SentRequest& request) {
  if (request.method != Method::kEarn ||
      request.outcome.code != grpc::StatusCode::OK) {
    return;
  }
  loyalty::v1::EarnRequest earn;
  loyalty::v1::EarnResponse response;
  if (!earn.ParseFromString(request.request) ||
      !response.ParseFromString(request.outcome.response)) {
    return;
  }
  KnownOrder order;
  order.member_id = response.entry().member_id();
  order.order_id = earn.order_id();
  // What was paid: coupons' discounts are not the order's value.
  order.spend_minor = -response.discount_minor();
  for (const auto& line : earn.lines()) {
    order.spend_minor += line.quantity() * line.unit_price_minor();
    auto it = std::find_if(order.skus.begin(), order.skus.end(),
                           [&](const auto& sku) { return sku.first == line.sku(); });
    if (it == order.skus.end()) {
      order.skus.emplace_back(line.sku(), line.quantity());
    } else {
      it->second += line.quantity();
    }
  }
  Add(std::move(order));
}

std::optional<KnownOrder> OrderBook::Pick(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (orders_.empty()) return std::nullopt;
  size_t low = 0;
  if (std::bernoulli_distribution(0.5)(random) && orders_.size() > 16) {
    low = orders_.size() - 16;
  }
  return orders_[std::uniform_int_distribution<size_t>(low, orders_.size() - 1)(
      random)];
}

void MemberBook::AddAnswer(const SentRequest& request) {
  if (request.outcome.code != grpc::StatusCode::OK) return;
  if (request.method == Method::kLink) {
    loyalty::v1::LinkIdentifierRequest link;
    if (!link.ParseFromString(request.request)) return;
    std::optional<std::string> name = IdentifierName(link.identifier());
    if (!name.has_value()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    AddBounded(&links_, KnownLink{link.member_id(), *name}, size_max_);
    return;
  }
  if (request.method == Method::kMerge) {
    loyalty::v1::MergeMembersRequest merge;
    if (!merge.ParseFromString(request.request)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    AddBounded(&merged_sources_, merge.source_member_id(), size_max_);
    return;
  }
  if (request.method == Method::kReturn) {
    loyalty::v1::ReturnResponse response;
    if (!response.ParseFromString(request.outcome.response) ||
        response.balance().debt_points() <= 0) {
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    AddBounded(&debtors_, response.balance().member_id(), size_max_);
    return;
  }
  if (request.method != Method::kImport) return;
  loyalty::v1::ImportMembersRequest import;
  loyalty::v1::ImportMembersResponse response;
  if (!import.ParseFromString(request.request) ||
      !response.ParseFromString(request.outcome.response) ||
      import.rows_size() != response.results_size() || import.dry_run()) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (int i = 0; i < import.rows_size(); ++i) {
    if (response.results(i).code() != 0) continue;
    const loyalty::v1::ImportMemberResponse& row =
        response.results(i).response();
    KnownImport known{import.rows(i).card_number(), row.member_id(),
                      row.enrolled()};
    if (known.enrolled) AddBounded(&enrolled_, known, size_max_);
    AddBounded(&imports_, std::move(known), size_max_);
  }
}

std::optional<KnownLink> MemberBook::PickLink(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickLeaningNew(links_, random);
}

std::optional<KnownImport> MemberBook::PickImport(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickLeaningNew(imports_, random);
}

std::optional<KnownImport> MemberBook::PickEnrolled(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickLeaningNew(enrolled_, random);
}

std::optional<std::string> MemberBook::PickMergedSource(
    std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickLeaningNew(merged_sources_, random);
}

std::optional<std::string> MemberBook::PickDebtor(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickLeaningNew(debtors_, random);
}

RequestGenerator::RequestGenerator(const WorkloadOptions& options)
    : options_(options),
      random_(options.seed ^ (static_cast<uint64_t>(options.cycle) << 32) ^
              (static_cast<uint64_t>(options.client) * 0x9E3779B97F4A7C15ull)) {}

int RequestGenerator::Uniform(int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(random_);
}

bool RequestGenerator::Chance(double p) {
  return std::bernoulli_distribution(p)(random_);
}

std::string RequestGenerator::PickMember() {
  if (Chance(0.05)) return absl::StrCat("ghost-", Uniform(0, 999));
  if (options_.members != nullptr && Chance(kEnrolledMemberShare)) {
    std::optional<KnownImport> enrolled =
        options_.members->PickEnrolled(random_);
    if (enrolled.has_value()) return enrolled->member_id;
  }
  if (Chance(0.3)) return absl::StrCat("m-", Uniform(0, options_.hot_members - 1));
  return absl::StrCat("m-", Uniform(0, options_.members_max - 1));
}

SentRequest RequestGenerator::Next() {
  std::string request_id =
      absl::StrCat("c", options_.cycle, "-t", options_.client, "-", counter_++);
  SentRequest sent = NextOfMix(std::move(request_id));
  sent.cycle = options_.cycle;
  return sent;
}

SentRequest RequestGenerator::NextOfMix(std::string request_id) {
  if (options_.members != nullptr && options_.merge_burst != nullptr &&
      options_.merge_burst->load() && Chance(1.0 / 3)) {
    return NextMerge(std::move(request_id));
  }
  if (options_.members != nullptr && Chance(0.15)) {
    return NextMemberCommand(std::move(request_id));
  }
  if (options_.orders != nullptr && Chance(0.05)) {
    return NextReturn(std::move(request_id));
  }
  if (options_.vouchers != nullptr && Chance(0.07)) {
    return NextVoucherCommand(std::move(request_id));
  }
  if (options_.coupons != nullptr && Chance(0.10)) {
    const int coupon_dice = Uniform(0, 99);
    if (coupon_dice < 30) return NextIssueCoupon(std::move(request_id));
    if (coupon_dice < 72) return NextRedeemCoupon(std::move(request_id));
    if (coupon_dice < 88) return NextReserveCoupon(std::move(request_id));
    return NextSettleCoupon(std::move(request_id));
  }
  int dice = Uniform(0, 99);
  if (options_.holds != nullptr) {
    if (dice < 10) return NextEnroll(std::move(request_id));
    if (dice < 48) return NextEarn(std::move(request_id));
    if (dice < 62) return NextRedeem(std::move(request_id));
    if (dice < 74) return NextHold(std::move(request_id));
    if (dice < 81) return NextSettle(std::move(request_id), /*capture=*/true);
    if (dice < 86) return NextSettle(std::move(request_id), /*capture=*/false);
    if (dice < 94) return NextEvent(std::move(request_id));
    return NextAdjust(std::move(request_id));
  }
  if (dice < 10) return NextEnroll(std::move(request_id));
  if (dice < 55) return NextEarn(std::move(request_id));
  if (dice < 78) return NextRedeem(std::move(request_id));
  if (dice < 90) return NextEvent(std::move(request_id));
  return NextAdjust(std::move(request_id));
}

// Whether a till (ROLE_POS) may send this request: its command's row in the
// command table says. A request a till may not send goes out as the app's.
template <typename Request>
bool TillMaySend() {
  bool may = false;
  CommandTable::ForEach([&]<typename Spec>() {
    if constexpr (std::is_same_v<typename Spec::Request, Request>) {
      may = Spec::kInfo.roles.Contains(loyalty::v1::ROLE_POS);
    }
  });
  return may;
}

// Fills a channel request's context from a POS (pos-key) or the app or web
// shop (app-key), and returns the key to send it with.
template <typename Request>
std::string SetChannelContext(Request* request, const std::string& request_id,
                              int client, bool pos, bool web) {
  auto* context = request->mutable_context();
  context->set_request_id(request_id);
  if (pos && TillMaySend<Request>()) {
    context->set_channel(loyalty::v1::CHANNEL_POS);
    context->set_store_id(absl::StrCat("store-", client));
    context->set_terminal_id(absl::StrCat("till-", client % 3));
    return kPosKey;
  }
  context->set_channel(web ? loyalty::v1::CHANNEL_WEB
                           : loyalty::v1::CHANNEL_APP);
  return kAppKey;
}

SentRequest RequestGenerator::NextEnroll(std::string request_id) {
  loyalty::v1::EnrollMemberRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.5), Chance(0.3));
  if (!Chance(0.05)) {  // Else the server assigns the member id.
    int index = Uniform(0, options_.members_max - 1);
    request.set_member_id(absl::StrCat("m-", index));
    int dice = Uniform(0, 9);
    if (dice < 5) {
      auto* card = request.add_identifiers();
      card->set_kind(loyalty::v1::IDENTIFIER_KIND_CARD_NUMBER);
      card->set_value(CardOf(dice == 0 ? Uniform(0, options_.members_max - 1)
                                       : index));
    } else if (dice < 7) {
      auto* app_user = request.add_identifiers();
      app_user->set_kind(loyalty::v1::IDENTIFIER_KIND_APP_USER_ID);
      app_user->set_value(absl::StrCat("app-user-", index));
    }
  }
  sent.method = Method::kEnroll;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextEarn(std::string request_id) {
  loyalty::v1::EarnRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.6), Chance(0.3));
  if (!orders_.empty() && Chance(0.05)) {
    // The same purchase again under a new request id: a till that lost its
    // request id. Answered ORDER_ALREADY_EARNED if the first one applied.
    const auto& [member, order] = orders_[Uniform(0, orders_.size() - 1)];
    request.set_member_id(member);
    request.set_order_id(order);
  } else {
    request.set_member_id(PickMember());
    request.set_order_id(absl::StrCat("o-", request_id));
    orders_.emplace_back(request.member_id(), request.order_id());
  }
  // The order time: 1 in 7 a few seconds inside the return window
  // (pending until then), else up to an hour before it (available at once).
  const int64_t window_ms = int64_t{kReturnWindowDays} * 24 * 3600 * 1000;
  const int64_t window_start_ms = absl::ToUnixMillis(absl::Now()) - window_ms;
  request.mutable_context()->set_occurred_at_ms(
      Chance(1.0 / 7) ? window_start_ms + Uniform(kPendingMsMin, kPendingMsMax)
                      : window_start_ms - Uniform(1, 3600 * 1000));
  request.set_currency(Chance(0.8) ? "EUR" : "USD");
  static constexpr const char* kCategories[] = {"", "grocery", "home",
                                                "garden", "toys"};
  int lines = Uniform(1, 5);
  for (int i = 0; i < lines; ++i) {
    auto* line = request.add_lines();
    line->set_sku(absl::StrCat("SKU-", Uniform(1, 500)));
    line->set_category(kCategories[Uniform(0, 4)]);
    line->set_quantity(Uniform(1, 3));
    line->set_unit_price_minor(Uniform(0, 5000));
  }
  sent.method = Method::kEarn;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextRedeem(std::string request_id) {
  loyalty::v1::RedeemRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.4), Chance(0.3));
  std::optional<KnownOrder> known;
  if (options_.orders != nullptr && Chance(0.25)) {
    known = options_.orders->Pick(random_);
  }
  if (known.has_value()) {
    // Spent on an order that earned: a return of it gives some back.
    request.set_member_id(known->member_id);
    request.set_order_id(known->order_id);
  } else {
    request.set_member_id(PickMember());
    request.set_order_id(absl::StrCat("r-", request_id));
  }
  // Mostly near a typical balance, sometimes far more than anyone has; on
  // a known order often a big spend, so that a later return of the order
  // takes points the member no longer has (debt).
  if (known.has_value() && Chance(0.5)) {
    request.set_points(Uniform(300, 5000));
  } else {
    request.set_points(Chance(0.1) ? 1'000'000 : Uniform(1, 300));
  }
  // A quarter are tills' offline redemptions, synced: sold up to two hours
  // ago, a few per member and day, so some pass the day's allowance and
  // some take a member short of points into debt (offline_check.h).
  if (Chance(0.25)) {
    request.set_offline(true);
    request.set_points(Uniform(1, kOfflineAllowancePoints * 3 / 4));
    request.mutable_context()->set_occurred_at_ms(
        absl::ToUnixMillis(absl::Now()) - Uniform(0, 2 * 3600 * 1000));
  }
  sent.method = Method::kRedeem;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextIssueCoupon(std::string request_id) {
  loyalty::v1::IssueCouponRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.3), Chance(0.3));
  request.set_member_id(Chance(0.05) ? std::string("ghost-coupon-owner")
                                     : PickMember());
  request.set_template_id(Chance(2.0 / 3) ? kCouponTemplateMulti
                                          : kCouponTemplateSingle);
  sent.method = Method::kIssueCoupon;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextRedeemCoupon(std::string request_id) {
  std::optional<KnownCoupon> known = options_.coupons->Pick(random_);
  if (!known.has_value()) return NextIssueCoupon(std::move(request_id));
  if (Chance(0.4)) {
    // At checkout: the code on an order's Earn, both written or neither.
    SentRequest sent = NextEarn(std::move(request_id));
    loyalty::v1::EarnRequest earn;
    earn.ParseFromString(sent.request);
    earn.set_member_id(Chance(0.1) || known->member_id.empty()
                           ? PickMember()
                           : known->member_id);
    earn.add_coupon_codes(known->code);
    sent.member_id = earn.member_id();
    sent.request = earn.SerializeAsString();
    return sent;
  }
  loyalty::v1::RedeemCouponRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.6), Chance(0.3));
  // A bearer code (bulk coupon codes): any member.
  request.set_member_id(Chance(0.1) || known->member_id.empty()
                            ? PickMember()
                            : known->member_id);
  request.set_code(known->code);
  request.set_order_id(absl::StrCat("c-", request_id));
  sent.method = Method::kRedeemCoupon;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextReserveCoupon(std::string request_id) {
  std::optional<KnownCoupon> known = options_.coupons->Pick(random_);
  if (!known.has_value()) return NextIssueCoupon(std::move(request_id));
  // A bearer code (no owner) is used at once, never reserved.
  if (known->member_id.empty()) return NextRedeemCoupon(std::move(request_id));
  loyalty::v1::ReserveCouponRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   /*pos=*/false, Chance(0.5));
  request.set_member_id(Chance(0.1) ? PickMember() : known->member_id);
  request.set_code(known->code);
  request.set_order_id(absl::StrCat("web-", request_id));
  // Short: many time out within a cycle or across a restart.
  request.set_timeout_ms(Uniform(kHoldTimeoutMsMin, kHoldTimeoutMsMax));
  sent.method = Method::kReserveCoupon;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

std::string RequestGenerator::PickVoucherMember() {
  if (Chance(0.03)) return absl::StrCat("ghost-", Uniform(0, 999));
  if (Chance(0.3)) return absl::StrCat("m-", Uniform(0, options_.hot_members - 1));
  return absl::StrCat("m-", Uniform(0, options_.members_max - 1));
}

SentRequest RequestGenerator::NextIssueVoucher(std::string request_id) {
  loyalty::v1::IssueVoucherRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   /*pos=*/false, Chance(0.5));
  request.set_member_id(PickVoucherMember());
  request.set_product_id(kVoucherProduct);
  request.set_units(Chance(0.8) ? kVoucherUnits : Uniform(1, kVoucherUnits));
  request.mutable_price_paid()->set_amount_minor(Uniform(0, 2000));
  request.mutable_price_paid()->set_currency("EUR");
  request.set_order_id(absl::StrCat("v-", request_id));
  sent.method = Method::kIssueVoucher;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextRewardCommand(std::string request_id) {
  SentRequest sent;
  sent.request_id = request_id;
  std::optional<KnownVoucher> reward = options_.vouchers->PickReward(random_);
  if (!reward.has_value() || Chance(0.6)) {
    loyalty::v1::RedeemRewardRequest request;
    sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                     Chance(0.3), Chance(0.3));
    request.set_member_id(PickVoucherMember());
    request.set_item_id(Chance(0.7) ? kRewardCouponItem : kRewardVoucherItem);
    sent.method = Method::kRedeemReward;
    sent.member_id = request.member_id();
    sent.request = request.SerializeAsString();
    return sent;
  }
  loyalty::v1::CancelRewardRequest request;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   /*pos=*/false, Chance(0.3));
  request.set_member_id(Chance(0.1) ? PickVoucherMember() : reward->member_id);
  request.set_code(reward->code);
  sent.method = Method::kCancelReward;
  sent.member_id = request.member_id();
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextVoucherCommand(std::string request_id) {
  if (Chance(0.2)) return NextRewardCommand(std::move(request_id));
  const int dice = Uniform(0, 99);
  if (dice < 20) return NextIssueVoucher(std::move(request_id));
  SentRequest sent;
  sent.request_id = request_id;
  if (dice >= 87 && dice < 96) {
    std::optional<KnownVoucher> gift = options_.vouchers->PickGift(random_);
    if (!gift.has_value()) return NextIssueVoucher(std::move(request_id));
    loyalty::v1::ClaimVoucherGiftRequest request;
    sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                     /*pos=*/false, Chance(0.3));
    request.set_member_id(PickVoucherMember());
    request.set_claim_code(gift->code);
    sent.method = Method::kClaimVoucherGift;
    sent.member_id = request.member_id();
    sent.request = request.SerializeAsString();
    return sent;
  }
  std::optional<KnownVoucher> known = options_.vouchers->PickVoucher(random_);
  if (!known.has_value()) return NextIssueVoucher(std::move(request_id));
  const std::string owner =
      Chance(0.1) ? PickVoucherMember() : known->member_id;
  if (dice < 65) {
    loyalty::v1::RedeemVoucherUnitsRequest request;
    sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                     Chance(0.7), Chance(0.3));
    request.set_member_id(owner);
    request.set_code(known->code);
    request.set_units(Uniform(1, 3));
    sent.method = Method::kRedeemVoucherUnits;
    sent.member_id = owner;
    sent.request = request.SerializeAsString();
  } else if (dice < 77) {
    loyalty::v1::TransferVoucherUnitsRequest request;
    sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                     /*pos=*/false, Chance(0.3));
    request.set_member_id(owner);
    request.set_code(known->code);
    // Another id (one naming the same member is bad input, never sent;
    // an alias of the owner is MEMBER_MERGED, which merge_check judges).
    std::string to = PickVoucherMember();
    while (to == owner) to = PickVoucherMember();
    request.set_to_member_id(to);
    request.set_units(Uniform(1, 2));
    sent.method = Method::kTransferVoucherUnits;
    sent.member_id = owner;
    sent.request = request.SerializeAsString();
  } else if (dice < 87) {
    loyalty::v1::GiftVoucherUnitsRequest request;
    sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                     /*pos=*/false, Chance(0.3));
    request.set_member_id(owner);
    request.set_code(known->code);
    request.set_units(Uniform(1, 2));
    sent.method = Method::kGiftVoucherUnits;
    sent.member_id = owner;
    sent.request = request.SerializeAsString();
  } else {
    loyalty::v1::RefundVoucherUnitsRequest request;
    sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                     /*pos=*/false, Chance(0.3));
    request.set_member_id(owner);
    request.set_code(known->code);
    request.set_units(Uniform(1, 2));
    sent.method = Method::kRefundVoucherUnits;
    sent.member_id = owner;
    sent.request = request.SerializeAsString();
  }
  return sent;
}

void VoucherBook::Add(std::vector<KnownVoucher>* list, KnownVoucher known) {
  for (const KnownVoucher& in : *list) {
    if (in.code == known.code) return;  // A replay.
  }
  list->push_back(std::move(known));
  if (list->size() > size_max_) list->erase(list->begin());
}

void VoucherBook::AddAnswer(const SentRequest& request) {
  if (request.outcome.code != grpc::StatusCode::OK) return;
  std::lock_guard<std::mutex> lock(mutex_);
  switch (request.method) {
    case Method::kIssueVoucher: {
      loyalty::v1::IssueVoucherResponse response;
      if (!response.ParseFromString(request.outcome.response)) return;
      Add(&vouchers_, {response.voucher().code(), response.voucher().member_id()});
      return;
    }
    case Method::kTransferVoucherUnits: {
      loyalty::v1::TransferVoucherUnitsResponse response;
      if (!response.ParseFromString(request.outcome.response)) return;
      Add(&vouchers_,
          {response.received().code(), response.received().member_id()});
      return;
    }
    case Method::kClaimVoucherGift: {
      loyalty::v1::ClaimVoucherGiftResponse response;
      if (!response.ParseFromString(request.outcome.response)) return;
      Add(&vouchers_, {response.voucher().code(), response.voucher().member_id()});
      return;
    }
    case Method::kGiftVoucherUnits: {
      loyalty::v1::GiftVoucherUnitsResponse response;
      if (!response.ParseFromString(request.outcome.response)) return;
      Add(&gifts_, {response.gift().claim_code(),
                    response.gift().giver_member_id()});
      return;
    }
    case Method::kRedeemReward: {
      loyalty::v1::RedeemRewardResponse response;
      if (!response.ParseFromString(request.outcome.response)) return;
      if (response.has_coupon()) {
        Add(&rewards_,
            {response.coupon().code(), response.coupon().member_id()});
      } else {
        Add(&rewards_,
            {response.voucher().code(), response.voucher().member_id()});
      }
      return;
    }
    default:
      return;
  }
}

namespace {

// Half the time one of the newest four.
std::optional<KnownVoucher> PickNewish(const std::vector<KnownVoucher>& list,
                                       std::mt19937_64& random) {
  if (list.empty()) return std::nullopt;
  const size_t size = list.size();
  const size_t from =
      std::uniform_int_distribution<int>(0, 1)(random) == 0 && size > 4
          ? size - 4
          : 0;
  return list[std::uniform_int_distribution<size_t>(from, size - 1)(random)];
}

}  // namespace

std::optional<KnownVoucher> VoucherBook::PickVoucher(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickNewish(vouchers_, random);
}

std::optional<KnownVoucher> VoucherBook::PickGift(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickNewish(gifts_, random);
}

std::optional<KnownVoucher> VoucherBook::PickReward(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  return PickNewish(rewards_, random);
}

SentRequest RequestGenerator::NextSettleCoupon(std::string request_id) {
  std::optional<KnownReservation> known =
      options_.coupons->PickReservation(random_);
  if (!known.has_value()) return NextReserveCoupon(std::move(request_id));
  loyalty::v1::SettleCouponReservationRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   /*pos=*/false, Chance(0.5));
  request.set_member_id(known->member_id);
  request.set_reservation_id(known->reservation_id);
  sent.method = Chance(0.6) ? Method::kCommitCoupon : Method::kReleaseCoupon;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

std::optional<KnownReservation> CouponBook::PickReservation(
    std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reservations_.empty()) return std::nullopt;
  const size_t size = reservations_.size();
  const size_t from = size > 6 ? size - 6 : 0;
  return reservations_[std::uniform_int_distribution<size_t>(from, size - 1)(
      random)];
}

void CouponBook::AddAnswer(const SentRequest& request) {
  if (request.method == Method::kReserveCoupon &&
      request.outcome.code == grpc::StatusCode::OK) {
    loyalty::v1::ReserveCouponResponse response;
    if (!response.ParseFromString(request.outcome.response)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const KnownReservation& known : reservations_) {
      if (known.reservation_id == response.reservation_id()) return;
    }
    reservations_.push_back(
        {response.entry().member_id(), response.reservation_id()});
    if (reservations_.size() > size_max_) {
      reservations_.erase(reservations_.begin());
    }
    return;
  }
  if (request.method != Method::kIssueCoupon ||
      request.outcome.code != grpc::StatusCode::OK) {
    return;
  }
  loyalty::v1::IssueCouponResponse response;
  if (!response.ParseFromString(request.outcome.response)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const KnownCoupon& known : coupons_) {
    if (known.code == response.coupon().code()) return;  // A replay.
  }
  coupons_.push_back({response.coupon().code(), response.coupon().member_id()});
  if (coupons_.size() > size_max_) coupons_.erase(coupons_.begin());
}

void CouponBook::AddBearer(const std::string& code) {
  std::lock_guard<std::mutex> lock(mutex_);
  coupons_.push_back({code, ""});
  if (coupons_.size() > size_max_) coupons_.erase(coupons_.begin());
}

std::optional<KnownCoupon> CouponBook::Pick(std::mt19937_64& random) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (coupons_.empty()) return std::nullopt;
  // Half the time one of the newest four.
  const size_t size = coupons_.size();
  const size_t from =
      std::uniform_int_distribution<int>(0, 1)(random) == 0 && size > 4
          ? size - 4
          : 0;
  return coupons_[std::uniform_int_distribution<size_t>(from, size - 1)(
      random)];
}

SentRequest RequestGenerator::NextEvent(std::string request_id) {
  loyalty::v1::RecordEventRequest request;
  SentRequest sent;
  // From the app: the once-ever "app-install" is app only.
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   /*pos=*/false, /*web=*/false);
  request.set_member_id(PickMember());
  request.set_event_id(Chance(0.5) ? "survey" : "app-install");
  if (Chance(0.3)) request.set_reference(absl::StrCat("ref-", request_id));
  sent.method = Method::kEvent;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextHold(std::string request_id) {
  loyalty::v1::HoldPointsRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.4), Chance(0.3));
  request.set_member_id(PickMember());
  if (Chance(0.7)) request.set_order_id(absl::StrCat("h-", request_id));
  request.set_points(Chance(0.1) ? 1'000'000 : Uniform(1, 150));
  request.set_timeout_ms(Uniform(kHoldTimeoutMsMin, kHoldTimeoutMsMax));
  sent.method = Method::kHold;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextSettle(std::string request_id,
                                         bool capture) {
  loyalty::v1::SettleHoldRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.4), Chance(0.3));
  std::optional<KnownHold> known;
  if (!Chance(0.2)) known = options_.holds->Pick(random_);
  if (!known.has_value()) {
    request.set_member_id(PickMember());
    request.set_hold_id(UnknownHoldId(random_));
  } else {
    // 1 in 10: a real hold id, but another member's (HOLD_NOT_FOUND unless
    // the pick lands on the holder).
    request.set_member_id(Chance(0.1) ? PickMember() : known->member_id);
    request.set_hold_id(known->hold_id);
  }
  sent.method = capture ? Method::kCapture : Method::kRelease;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextReturn(std::string request_id) {
  loyalty::v1::ReturnRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.5), Chance(0.3));
  std::optional<KnownOrder> known;
  if (!Chance(0.1)) known = options_.orders->Pick(random_);
  if (!known.has_value()) {
    // An order nobody earned (ORDER_NOT_FOUND, or MEMBER_NOT_FOUND).
    request.set_member_id(PickMember());
    request.set_order_id(absl::StrCat("o-never-", request_id));
    request.set_amount_minor(Uniform(1, 5000));
  } else {
    request.set_member_id(known->member_id);
    request.set_order_id(known->order_id);
    int dice = Uniform(0, 2);
    if (dice == 0) {  // The whole order.
      if (Chance(0.5) || known->spend_minor == 0) {
        for (const auto& [sku, quantity] : known->skus) {
          auto* line = request.add_lines();
          line->set_sku(sku);
          line->set_quantity(quantity);
        }
      } else {
        request.set_amount_minor(known->spend_minor);
      }
    } else if (dice == 1) {  // Part of its total.
      request.set_amount_minor(
          std::max<int64_t>(1, std::uniform_int_distribution<int64_t>(
                                   1, std::max<int64_t>(
                                          1, known->spend_minor / 2))(random_)));
    } else {  // Some lines, 1 in 8 one more than was bought.
      for (const auto& [sku, quantity] : known->skus) {
        if (request.lines_size() > 0 && Chance(0.5)) continue;
        auto* line = request.add_lines();
        line->set_sku(sku);
        line->set_quantity(Chance(0.125)
                               ? quantity + 1
                               : std::uniform_int_distribution<int64_t>(
                                     1, quantity)(random_));
      }
    }
  }
  sent.method = Method::kReturn;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

void RequestGenerator::Answered(const SentRequest& request) {
  if (options_.orders != nullptr) options_.orders->AddEarn(request);
  if (options_.coupons != nullptr) options_.coupons->AddAnswer(request);
  if (options_.vouchers != nullptr) options_.vouchers->AddAnswer(request);
  if (options_.members != nullptr) options_.members->AddAnswer(request);
  if (options_.holds == nullptr || request.method != Method::kHold ||
      request.outcome.code != grpc::StatusCode::OK) {
    return;
  }
  loyalty::v1::HoldPointsResponse response;
  if (!response.ParseFromString(request.outcome.response)) return;
  options_.holds->Add({response.entry().member_id(), response.hold_id()});
}

SentRequest RequestGenerator::NextMemberCommand(std::string request_id) {
  int dice = Uniform(0, 99);
  if (dice < 36) return NextTransfer(std::move(request_id));
  if (dice < 59) return NextLink(std::move(request_id));
  if (dice < 76) return NextUnlink(std::move(request_id));
  if (dice < 84) return NextImport(std::move(request_id));
  if (dice < 91) return NextClose(std::move(request_id));
  return NextMerge(std::move(request_id));
}

std::string RequestGenerator::PickTransferMember() {
  if (Chance(1.0 / 6)) {
    std::optional<KnownImport> imported =
        options_.members->PickImport(random_);
    if (imported.has_value()) return imported->member_id;
  }
  return PickMember();
}

SentRequest RequestGenerator::NextTransfer(std::string request_id) {
  loyalty::v1::TransferPointsRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.3), Chance(0.3));
  request.set_from_member_id(PickTransferMember());
  // Never the sender: that is INVALID_ARGUMENT, which this load does not
  // test (it is not remembered).
  do {
    request.set_to_member_id(PickTransferMember());
  } while (request.to_member_id() == request.from_member_id());
  int dice = Uniform(0, 99);
  if (dice < 5) {
    request.set_points(1'000'000);
  } else if (dice < 20) {
    request.set_points(Uniform(kTransferPointsPerTransferMax - 50,
                               kTransferPointsPerTransferMax + 60));
  } else {
    request.set_points(Uniform(1, 80));
  }
  if (Chance(0.3)) request.set_note("for the family account");
  sent.method = Method::kTransfer;
  sent.member_id = request.from_member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

loyalty::v1::MemberIdentifier RequestGenerator::PickPoolIdentifier() {
  int dice = Uniform(0, 99);
  if (dice < 45) {
    return PoolPhone(Uniform(0, kPoolPhones - 1),
                     Uniform(0, kPhoneNotations - 1));
  }
  if (dice < 80) {
    return PoolEmail(Uniform(0, kPoolEmails - 1),
                     Uniform(0, kEmailNotations - 1));
  }
  return PoolLinkCard(Uniform(0, kPoolLinkCards - 1));
}

SentRequest RequestGenerator::NextLink(std::string request_id) {
  loyalty::v1::LinkIdentifierRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.3), Chance(0.3));
  request.set_member_id(PickMember());
  *request.mutable_identifier() = PickPoolIdentifier();
  sent.method = Method::kLink;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextUnlink(std::string request_id) {
  loyalty::v1::UnlinkIdentifierRequest request;
  SentRequest sent;
  sent.api_key = SetChannelContext(&request, request_id, options_.client,
                                   Chance(0.3), Chance(0.3));
  std::optional<KnownLink> known;
  if (Chance(0.7)) known = options_.members->PickLink(random_);
  std::optional<loyalty::v1::MemberIdentifier> identifier;
  if (known.has_value()) {
    identifier = IdentifierOfName(known->identifier_name, Uniform(0, 9));
  }
  if (identifier.has_value()) {
    request.set_member_id(Chance(0.1) ? PickMember() : known->member_id);
    *request.mutable_identifier() = *identifier;
  } else {
    request.set_member_id(PickMember());
    *request.mutable_identifier() = PickPoolIdentifier();
  }
  sent.method = Method::kUnlink;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextImport(std::string request_id) {
  loyalty::v1::ImportMembersRequest request;
  static const absl::TimeZone time_zone = [] {
    absl::TimeZone zone;
    // The program file would not load without this zone either.
    if (!absl::LoadTimeZone(kProgramTimeZone, &zone)) std::abort();
    return zone;
  }();
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), time_zone);
  int rows = Uniform(1, 4);
  for (int i = 0; i < rows; ++i) {
    loyalty::v1::ImportMemberRequest* row = request.add_rows();
    row->mutable_context()->set_request_id(absl::StrCat(request_id, "-r", i));
    if (Chance(0.5)) {
      row->mutable_context()->set_channel(loyalty::v1::CHANNEL_ADMIN);
    }
    std::optional<KnownImport> earlier;
    int dice = Uniform(0, 99);
    if (dice >= 70) earlier = options_.members->PickImport(random_);
    if (earlier.has_value()) {
      row->set_card_number(earlier->card);
    } else if (dice >= 35) {
      row->set_card_number(CardOf(Uniform(0, options_.members_max - 1)));
    } else {
      row->set_card_number(
          ImportCard(options_.cycle, options_.client, import_cards_++));
    }
    if (Chance(0.4)) {
      row->set_phone(PoolPhone(Uniform(0, kPoolPhones - 1),
                               Uniform(0, kPhoneNotations - 1))
                         .value());
    }
    row->set_opening_points(Chance(0.1) ? 0 : Uniform(1, 300));
    // Up to two years back: lots expiring a year or two before this
    // year's, and never yet expired (the program's expiry is the end of
    // the second year after the year earned).
    if (Chance(0.5)) {
      row->set_earned_on(absl::FormatCivilTime(today - Uniform(0, 700)));
    }
  }
  SentRequest sent;
  sent.method = Method::kImport;
  sent.api_key = kAdminKey;
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextClose(std::string request_id) {
  std::optional<KnownImport> enrolled = options_.members->PickEnrolled(random_);
  if (!enrolled.has_value()) return NextImport(std::move(request_id));
  loyalty::v1::CloseMemberRequest request;
  request.mutable_context()->set_request_id(request_id);
  if (Chance(0.5)) {
    request.mutable_context()->set_channel(loyalty::v1::CHANNEL_ADMIN);
  }
  request.set_member_id(enrolled->member_id);
  request.set_reason_code(Chance(0.5) ? "MEMBER_REQUEST" : "DUPLICATE_ACCOUNT");
  request.set_operator_id(absl::StrCat("agent.", options_.client));
  if (Chance(0.3)) request.set_note("crash test closure");
  request.set_erase_personal_data(Chance(0.5));
  SentRequest sent;
  sent.method = Method::kClose;
  sent.api_key = kAdminKey;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

int RequestGenerator::FirstMergeablePoolMember() const {
  return std::max(options_.hot_members,
                  options_.members_max - options_.members_max / 3);
}

bool RequestGenerator::Mergeable(const std::string& member_id,
                                 int first_pool_member) const {
  int index = 0;
  if (!absl::StartsWith(member_id, "m-") ||
      !absl::SimpleAtoi(member_id.substr(2), &index)) {
    return true;  // A member an import enrolled (or a ghost).
  }
  return index >= first_pool_member;
}

std::string RequestGenerator::PickMergeSource() {
  int dice = Uniform(0, 99);
  if (dice < 5) return absl::StrCat("ghost-", Uniform(0, 999));
  std::optional<std::string> picked;
  int first_pool_member = FirstMergeablePoolMember();
  if (dice < 20) {
    picked = options_.members->PickMergedSource(random_);
  } else if (dice < 35 && options_.holds != nullptr) {
    // Likely to have open holds.
    std::optional<KnownHold> hold = options_.holds->Pick(random_);
    if (hold.has_value()) picked = hold->member_id;
  } else if (dice < 45 && options_.orders != nullptr) {
    // Has an order that may be returned (and redeemed on) later.
    std::optional<KnownOrder> order = options_.orders->Pick(random_);
    if (order.has_value()) picked = order->member_id;
  } else if (dice < 55) {
    // Owed points after a return, lately. Debt is rare and soon paid off:
    // any pool member but a hot one will do.
    picked = options_.members->PickDebtor(random_);
    first_pool_member = options_.hot_members;
  } else if (dice < 75) {
    std::optional<KnownImport> enrolled =
        options_.members->PickEnrolled(random_);
    if (enrolled.has_value()) picked = enrolled->member_id;
  }
  if (picked.has_value() && Mergeable(*picked, first_pool_member)) {
    return *picked;
  }
  // Else a member an import enrolled, or one of the last third of the
  // pool, never a hot member: the rest of the pool stays members of their
  // own whatever the run's length.
  if (Chance(0.5)) {
    std::optional<KnownImport> enrolled =
        options_.members->PickEnrolled(random_);
    if (enrolled.has_value()) return enrolled->member_id;
  }
  if (FirstMergeablePoolMember() >= options_.members_max) return PickMember();
  return absl::StrCat(
      "m-", Uniform(FirstMergeablePoolMember(), options_.members_max - 1));
}

std::string RequestGenerator::PickMergeTarget() {
  int dice = Uniform(0, 99);
  std::optional<std::string> picked;
  if (dice < 25) {
    picked = options_.members->PickMergedSource(random_);
  } else if (dice < 55) {
    std::optional<KnownImport> enrolled =
        options_.members->PickEnrolled(random_);
    if (enrolled.has_value()) picked = enrolled->member_id;
  }
  return picked.has_value() ? *picked : PickMember();
}

SentRequest RequestGenerator::NextMerge(std::string request_id) {
  loyalty::v1::MergeMembersRequest request;
  request.mutable_context()->set_request_id(request_id);
  if (Chance(0.5)) {
    request.mutable_context()->set_channel(loyalty::v1::CHANNEL_ADMIN);
  }
  request.set_source_member_id(PickMergeSource());
  // Never the source itself: that is INVALID_ARGUMENT, which is not
  // remembered. An alias of the source is fine (MEMBER_MERGED).
  do {
    request.set_target_member_id(PickMergeTarget());
  } while (request.target_member_id() == request.source_member_id());
  request.set_reason_code(Chance(0.5) ? "SAME_PERSON" : "DUPLICATE_ACCOUNT");
  request.set_operator_id(absl::StrCat("agent.", options_.client));
  if (Chance(0.3)) request.set_note("crash test merge");
  SentRequest sent;
  sent.method = Method::kMerge;
  sent.api_key = kAdminKey;
  sent.member_id = request.source_member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

SentRequest RequestGenerator::NextAdjust(std::string request_id) {
  loyalty::v1::AdjustRequest request;
  request.mutable_context()->set_request_id(request_id);
  if (Chance(0.5)) {
    request.mutable_context()->set_channel(loyalty::v1::CHANNEL_ADMIN);
  }
  request.set_member_id(PickMember());
  int magnitude = Uniform(1, 200);
  request.set_points_delta(Chance(0.6) ? magnitude : -magnitude);
  static constexpr const char* kReasons[] = {"GOODWILL", "CORRECTION",
                                             "LATE_DELIVERY"};
  request.set_reason_code(kReasons[Uniform(0, 2)]);
  request.set_operator_id(absl::StrCat("agent.", options_.client));
  if (Chance(0.3)) request.set_note("crash test adjustment");
  SentRequest sent;
  sent.method = Method::kAdjust;
  sent.api_key = kAdminKey;
  sent.member_id = request.member_id();
  sent.request_id = std::move(request_id);
  sent.request = request.SerializeAsString();
  return sent;
}

void RunClient(const std::string& address, RequestGenerator* generator,
               const std::atomic<bool>* stop, std::vector<SentRequest>* sent) {
  LedgerClient client(address);
  client.WaitUntilConnected(absl::Seconds(10));
  while (!stop->load()) {
    SentRequest request = generator->Next();
    request.first_sent_at = absl::Now();
    while (true) {
      request.outcome = client.Mutate(request.method, request.api_key,
                                      request.request);
      ++request.attempts;
      request.answered_at = absl::Now();
      if (!IsInDoubt(request.outcome) || stop->load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (IsAcknowledged(request.outcome)) generator->Answered(request);
    sent->push_back(std::move(request));
  }
}

}  // namespace loyalty::crash
