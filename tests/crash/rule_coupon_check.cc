#include "tests/crash/rule_coupon_check.h"

#include "absl/strings/str_cat.h"
#include "ledger/coupons/codes.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {

namespace {

// What the order paid: its lines less its coupons' discounts (the program
// excludes no category, so all of it is the bonus's eligible spend).
int64_t PaidMinor(const loyalty::v1::EarnRequest& request,
                  const loyalty::v1::EarnResponse& response) {
  int64_t paid = -response.discount_minor();
  for (const auto& line : request.lines()) {
    paid += line.quantity() * line.unit_price_minor();
  }
  return paid;
}

}  // namespace

void RuleCouponCheck::Learn(const std::vector<SentRequest>& requests,
                            Failures* failures) {
  for (const SentRequest& request : requests) {
    if (request.method != Method::kEarn ||
        request.outcome.code != grpc::StatusCode::OK) {
      continue;
    }
    loyalty::v1::EarnRequest earn;
    loyalty::v1::EarnResponse response;
    if (!earn.ParseFromString(request.request) ||
        !response.ParseFromString(request.outcome.response)) {
      failures->push_back(absl::StrCat(RequestName(request),
                                       ": the Earn or its answer does not "
                                       "decode"));
      continue;
    }
    const bool reached = earn.currency() == kRuleCouponCurrency &&
                         PaidMinor(earn, response) >= kRuleCouponSpendMinor;
    statements_.try_emplace(response.entry().member_id());
    if (!reached) {
      if (response.issued_coupons_size() != 0) {
        AddDisagreeingAnswer(
            request,
            absl::StrCat("an order below the spend bonus lists coupons: ",
                         response.ShortDebugString()),
            failures);
      }
      continue;
    }
    if (response.issued_coupons_size() != 1 ||
        response.issued_coupons(0).rule_id() != kRuleCouponBonus ||
        response.issued_coupons(0).template_id() != kRuleCouponTemplate ||
        response.issued_coupons(0).member_id() !=
            response.entry().member_id()) {
      AddDisagreeingAnswer(
          request,
          absl::StrCat("an order that reached the spend bonus lists no "
                       "coupon of it, or another: ",
                       response.ShortDebugString()),
          failures);
      continue;
    }
    const std::string& printed = response.issued_coupons(0).code();
    const auto key =
        std::make_pair(response.entry().member_id(), request.request_id);
    auto [it, added] = reached_.try_emplace(key);
    if (!added) {
      if (it->second.printed_code != printed) {
        failures->push_back(
            absl::StrCat(RequestName(request), ": answered coupon ", printed,
                         " after answering ", it->second.printed_code));
      }
      continue;
    }
    absl::StatusOr<std::string> canonical = ParseCouponCode(printed, "code");
    if (!canonical.ok() || !codes_.insert(*canonical).second) {
      failures->push_back(absl::StrCat(RequestName(request),
                                       ": the spend bonus's coupon ", printed,
                                       " is malformed or was answered to "
                                       "another Earn too"));
    }
    it->second.name = RequestName(request);
    it->second.printed_code = printed;
    it->second.earn_sequence = response.entry().sequence();
    ++counts_.earns_reaching;
  }
}

void RuleCouponCheck::Check(LedgerClient& client, Failures* failures) {
  for (auto& [member_id, cursor] : statements_) {
    ReadNewEntries(
        client, member_id, kNewEntriesPageSize, UnknownMember::kFailure,
        &cursor,
        [&](const loyalty::v1::LedgerEntry& entry) {
          if (entry.kind() != loyalty::v1::ENTRY_KIND_COUPON_ISSUE ||
              entry.coupon_issued().rule_id() != kRuleCouponBonus) {
            return;
          }
          ++counts_.issues_seen;
          const std::string where = EntryWhere(entry.sequence(), member_id);
          auto found = reached_.find({member_id, entry.request_id()});
          if (found == reached_.end()) {
            failures->push_back(absl::StrCat(
                where, ": a coupon of spend bonus ", kRuleCouponBonus,
                " under request ", entry.request_id(),
                ", which no OK Earn of this member that reached it was"));
            return;
          }
          Reached& earn = found->second;
          if (++earn.issues_seen > 1) {
            failures->push_back(
                absl::StrCat(where, ": a second coupon of spend bonus ",
                             kRuleCouponBonus, " for ", earn.name));
          }
          if (FormatCouponCode(entry.coupon_issued().code()) !=
                  earn.printed_code ||
              entry.sequence() != earn.earn_sequence + 1 ||
              entry.coupon_issued().rule_kind() !=
                  loyalty::v1::RULE_KIND_SPEND_BONUS) {
            failures->push_back(absl::StrCat(
                where, ": the coupon of ", earn.name, " is not ",
                earn.printed_code, " right after its EARN (entry ",
                earn.earn_sequence, "): ", entry.ShortDebugString()));
          }
        },
        failures);
  }
  for (const auto& [key, earn] : reached_) {
    if (earn.issues_seen != 1) {
      failures->push_back(absl::StrCat(
          earn.name, ": its statement holds ", earn.issues_seen,
          " coupons of spend bonus ", kRuleCouponBonus, ", not one"));
      continue;
    }
    absl::StatusOr<loyalty::v1::Coupon> coupon =
        client.GetCoupon(earn.printed_code);
    if (!coupon.ok()) {
      failures->push_back(absl::StrCat(earn.name, ": GetCoupon ",
                                       earn.printed_code, ": ",
                                       coupon.status().ToString()));
      continue;
    }
    if (coupon->rule_id() != kRuleCouponBonus ||
        coupon->template_id() != kRuleCouponTemplate ||
        coupon->member_id() != key.first) {
      failures->push_back(absl::StrCat(earn.name, ": GetCoupon shows ",
                                       coupon->ShortDebugString()));
    }
  }
}

}  // namespace loyalty::crash
