#include "tests/crash/reward_check.h"

#include "absl/strings/str_cat.h"
#include "tests/crash/check_support.h"

namespace loyalty::crash {
void RewardCheck::Learn(const std::vector<SentRequest>& requests,
                        Failures* failures) {
  // Redemptions first: a cancel in this batch of answers may name a reward
  // bought later in the list (another client's).
  for (const SentRequest& request : requests) {
    if (request.method == Method::kRedeemReward) {
      if (request.outcome.reason == reason::kRewardOutOfStock) {
        ++counts_.out_of_stock;
      }
      if (request.outcome.code != grpc::StatusCode::OK) continue;
      loyalty::v1::RedeemRewardResponse response;
      if (!response.ParseFromString(request.outcome.response) ||
          response.entries_size() != 2) {
        failures->push_back(absl::StrCat(RequestName(request),
                                         ": an OK RedeemReward without its two "
                                         "entries"));
        continue;
      }
      Known known;
      known.name = RequestName(request);
      known.voucher = response.has_voucher();
      known.printed_code =
          known.voucher ? response.voucher().code() : response.coupon().code();
      known.member_id = known.voucher ? response.voucher().member_id()
                                      : response.coupon().member_id();
      known.item_id = response.entries(0).reward_redeemed().item_id();
      const std::string key = CanonicalCode(known.printed_code);
      if (rewards_.count(key) > 0) {
        failures->push_back(absl::StrCat(known.name, ": reward code ",
                                         known.printed_code, " was bought by ",
                                         rewards_[key].name, " too"));
        continue;
      }
      ++held_[known.item_id];
      rewards_[key] = std::move(known);
      ++counts_.redeemed;
    }
  }
  for (const SentRequest& request : requests) {
    if (request.method != Method::kCancelReward) continue;
    loyalty::v1::CancelRewardRequest sent;
    sent.ParseFromString(request.request);
    const std::string key = CanonicalCode(sent.code());
    if (request.outcome.reason == reason::kRewardNotCancellable) {
      ++counts_.not_cancellable;
      refused_cancels_[key] = RequestName(request);
      continue;
    }
    if (request.outcome.code != grpc::StatusCode::OK) continue;
    auto found = rewards_.find(key);
    if (found == rewards_.end()) {
      failures->push_back(absl::StrCat(RequestName(request),
                                       ": an OK cancel of a reward no OK "
                                       "RedeemReward bought"));
      continue;
    }
    if (found->second.cancelled) {
      failures->push_back(absl::StrCat(RequestName(request),
                                       ": a second OK cancel of ",
                                       found->second.name, "'s reward"));
      continue;
    }
    found->second.cancelled = true;
    --held_[found->second.item_id];
    ++counts_.cancelled;
  }
}

void RewardCheck::Check(LedgerClient& client, Failures* failures) {
  for (const auto& [key, known] : rewards_) {
    const std::string where =
        absl::StrCat("reward ", known.printed_code, " (", known.name, "): ");
    std::string item_id;
    std::string member_id;
    bool cancelled = false;
    if (known.voucher) {
      absl::StatusOr<loyalty::v1::Voucher> voucher =
          client.GetVoucher(known.printed_code);
      if (!voucher.ok()) {
        failures->push_back(where + voucher.status().ToString());
        continue;
      }
      item_id = voucher->reward_item_id();
      member_id = voucher->member_id();
      cancelled = voucher->state() == loyalty::v1::VOUCHER_STATE_CANCELLED;
    } else {
      absl::StatusOr<loyalty::v1::Coupon> coupon =
          client.GetCoupon(known.printed_code);
      if (!coupon.ok()) {
        failures->push_back(where + coupon.status().ToString());
        continue;
      }
      item_id = coupon->reward_item_id();
      member_id = coupon->member_id();
      cancelled = coupon->state() == loyalty::v1::COUPON_STATE_CANCELLED;
    }
    if (item_id != known.item_id || member_id != known.member_id) {
      failures->push_back(absl::StrCat(
          where, "item ", item_id, " owner ", member_id, ", the answer said ",
          known.item_id, " and ", known.member_id));
    }
    if (cancelled != known.cancelled) {
      failures->push_back(absl::StrCat(
          where, cancelled ? "cancelled without an acknowledged cancel"
                           : "not cancelled, though a cancel was "
                             "acknowledged"));
    }
  }
  for (const auto& [key, name] : refused_cancels_) {
    auto found = rewards_.find(key);
    if (found != rewards_.end() && !found->second.cancelled) {
      failures->push_back(absl::StrCat(
          name, ": REWARD_NOT_CANCELLABLE for ", found->second.printed_code,
          ", which no acknowledged cancel cancelled"));
    }
  }
  absl::StatusOr<loyalty::v1::ListRewardsResponse> catalog =
      client.ListRewards();
  if (!catalog.ok()) {
    failures->push_back(catalog.status().ToString());
    return;
  }
  for (const loyalty::v1::RewardOffer& offer : catalog->offers()) {
    const int64_t held = held_[offer.item().item_id()];
    const int64_t want =
        offer.item().stock() == 0 ? -1 : offer.item().stock() - held;
    if (want < -1 || offer.stock_left() != want) {
      failures->push_back(absl::StrCat("reward item ", offer.item().item_id(),
                                       ": stock left ", offer.stock_left(),
                                       " but the acknowledged answers hold ",
                                       held, " of ", offer.item().stock()));
    }
  }
}

}  // namespace loyalty::crash
