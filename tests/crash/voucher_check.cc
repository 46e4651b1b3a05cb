#include "tests/crash/voucher_check.h"

#include "absl/strings/str_cat.h"
#include "tests/crash/check_support.h"

namespace loyalty::crash {
namespace {

bool IsVoucherMethod(Method method) {
  return method == Method::kIssueVoucher ||
         method == Method::kRedeemVoucherUnits ||
         method == Method::kTransferVoucherUnits ||
         method == Method::kGiftVoucherUnits ||
         method == Method::kClaimVoucherGift ||
         method == Method::kRefundVoucherUnits;
}

}  // namespace

void VoucherCheck::Create(const SentRequest& request,
                          const loyalty::v1::Voucher& voucher,
                          Failures* failures) {
  const std::string key = CanonicalCode(voucher.code());
  if (vouchers_.count(key) > 0) {
    failures->push_back(absl::StrCat(RequestName(request), ": voucher code ",
                                     voucher.code(),
                                     " was made by an earlier request too"));
    return;
  }
  Known known;
  known.name = RequestName(request);
  known.printed_code = voucher.code();
  known.member_id = voucher.member_id();
  known.units_bought = voucher.units_bought();
  vouchers_[key] = known;
  ++counts_.vouchers;
}

void VoucherCheck::LearnCreated(const SentRequest& request,
                                Failures* failures) {
  const std::string& bytes = request.outcome.response;
  switch (request.method) {
    case Method::kIssueVoucher: {
      loyalty::v1::IssueVoucherResponse response;
      if (response.ParseFromString(bytes)) {
        Create(request, response.voucher(), failures);
      }
      return;
    }
    case Method::kTransferVoucherUnits: {
      loyalty::v1::TransferVoucherUnitsResponse response;
      if (response.ParseFromString(bytes)) {
        Create(request, response.received(), failures);
      }
      return;
    }
    case Method::kClaimVoucherGift: {
      loyalty::v1::ClaimVoucherGiftResponse response;
      if (response.ParseFromString(bytes)) {
        Create(request, response.voucher(), failures);
      }
      return;
    }
    case Method::kGiftVoucherUnits: {
      loyalty::v1::GiftVoucherUnitsRequest sent;
      loyalty::v1::GiftVoucherUnitsResponse response;
      if (!sent.ParseFromString(request.request) ||
          !response.ParseFromString(bytes)) {
        return;
      }
      const std::string claim_key = CanonicalCode(response.gift().claim_code());
      if (gifts_.count(claim_key) > 0) {
        failures->push_back(absl::StrCat(RequestName(request), ": claim code ",
                                         response.gift().claim_code(),
                                         " was made by an earlier gift too"));
        return;
      }
      gifts_[claim_key] =
          Gift{CanonicalCode(sent.code()), response.gift().units()};
      return;
    }
    default:
      return;
  }
}

void VoucherCheck::LearnTaken(const SentRequest& request, Failures* failures) {
  std::string code;
  std::string member_id;
  int64_t units = 0;
  int64_t Known::*taken = nullptr;
  switch (request.method) {
    case Method::kRedeemVoucherUnits: {
      loyalty::v1::RedeemVoucherUnitsRequest sent;
      sent.ParseFromString(request.request);
      code = sent.code();
      member_id = sent.member_id();
      units = sent.units();
      taken = &Known::redeemed;
      counts_.pickups += request.outcome.code == grpc::StatusCode::OK;
      break;
    }
    case Method::kTransferVoucherUnits: {
      loyalty::v1::TransferVoucherUnitsRequest sent;
      sent.ParseFromString(request.request);
      code = sent.code();
      member_id = sent.member_id();
      units = sent.units();
      taken = &Known::transferred;
      counts_.transfers += request.outcome.code == grpc::StatusCode::OK;
      break;
    }
    case Method::kGiftVoucherUnits: {
      loyalty::v1::GiftVoucherUnitsRequest sent;
      sent.ParseFromString(request.request);
      code = sent.code();
      member_id = sent.member_id();
      units = sent.units();
      taken = &Known::gifted;
      counts_.gifts += request.outcome.code == grpc::StatusCode::OK;
      break;
    }
    case Method::kRefundVoucherUnits: {
      loyalty::v1::RefundVoucherUnitsRequest sent;
      sent.ParseFromString(request.request);
      code = sent.code();
      member_id = sent.member_id();
      units = sent.units();
      taken = &Known::refunded;
      counts_.refunds += request.outcome.code == grpc::StatusCode::OK;
      break;
    }
    case Method::kClaimVoucherGift: {
      loyalty::v1::ClaimVoucherGiftRequest sent;
      sent.ParseFromString(request.request);
      auto gift = gifts_.find(CanonicalCode(sent.claim_code()));
      if (request.outcome.reason == reason::kVoucherGiftNotClaimable) {
        ++counts_.not_claimable;
      }
      if (request.outcome.code != grpc::StatusCode::OK ||
          gift == gifts_.end()) {
        return;
      }
      ++counts_.claims;
      if (++gift->second.ok_claims > 1) {
        failures->push_back(absl::StrCat(RequestName(request), ": claim code ",
                                         sent.claim_code(),
                                         " was claimed by a second request"));
      }
      auto voucher = vouchers_.find(gift->second.voucher_key);
      if (voucher != vouchers_.end()) {
        voucher->second.claimed += gift->second.units;
      }
      return;
    }
    default:
      return;
  }
  auto known = vouchers_.find(CanonicalCode(code));
  if (known == vouchers_.end()) return;  // Made by a request not kept.
  if (request.outcome.reason == reason::kVoucherNotFound &&
      member_id == known->second.member_id) {
    failures->push_back(absl::StrCat(RequestName(request), ": its owner ",
                                     member_id, " was told voucher ", code,
                                     " does not exist"));
  }
  if (request.outcome.code == grpc::StatusCode::OK) {
    known->second.*taken += units;
  } else if (request.outcome.reason == reason::kVoucherUnitsTooFew) {
    ++counts_.too_few;
    int64_t& asked_min = known->second.too_few_asked_min;
    if (asked_min == 0 || units < asked_min) asked_min = units;
  }
}

void VoucherCheck::Learn(const std::vector<SentRequest>& requests,
                         Failures* failures) {
  // Vouchers and gifts first: a pickup in this batch of answers may name a
  // code made later in the list (another client's).
  for (const SentRequest& request : requests) {
    if (IsVoucherMethod(request.method) &&
        request.outcome.code == grpc::StatusCode::OK) {
      LearnCreated(request, failures);
    }
  }
  for (const SentRequest& request : requests) {
    if (IsVoucherMethod(request.method)) LearnTaken(request, failures);
  }
}

void VoucherCheck::Check(LedgerClient& client, Failures* failures) {
  counts_.used_up = 0;
  for (const auto& [key, known] : vouchers_) {
    absl::StatusOr<loyalty::v1::Voucher> voucher =
        client.GetVoucher(known.printed_code);
    if (!voucher.ok()) {
      failures->push_back(absl::StrCat("voucher ", known.printed_code, " of ",
                                       known.name, ": ",
                                       voucher.status().ToString()));
      continue;
    }
    const std::string where =
        absl::StrCat("voucher ", known.printed_code, " (", known.name, "): ");
    const loyalty::v1::Voucher& v = *voucher;
    if (v.member_id() != known.member_id ||
        v.units_bought() != known.units_bought) {
      failures->push_back(
          where + "owner or units bought changed: " + v.ShortDebugString());
    }
    const int64_t accounted = v.units_redeemed() + v.units_transferred_out() +
                              v.units_gifted_pending() +
                              v.units_gifted_claimed() + v.units_refunded() +
                              v.units_expired() + v.units_left();
    if (v.units_left() < 0 || accounted != v.units_bought()) {
      failures->push_back(where +
                          "units are not conserved: " + v.ShortDebugString());
    }
    if (v.units_redeemed() != known.redeemed ||
        v.units_transferred_out() != known.transferred ||
        v.units_gifted_pending() + v.units_gifted_claimed() != known.gifted ||
        v.units_gifted_claimed() != known.claimed ||
        v.units_refunded() != known.refunded || v.units_expired() != 0) {
      failures->push_back(absl::StrCat(
          where, "the acknowledged answers took ", known.redeemed,
          " picked up, ", known.transferred, " transferred, ", known.gifted,
          " gifted (", known.claimed, " claimed), ", known.refunded,
          " refunded; the voucher says ", v.ShortDebugString()));
    }
    if (known.too_few_asked_min > 0 &&
        v.units_left() >= known.too_few_asked_min) {
      failures->push_back(absl::StrCat(where, "a request for ",
                                       known.too_few_asked_min,
                                       " units was told too few are left, but ",
                                       v.units_left(), " are left now"));
    }
    counts_.used_up += v.units_left() == 0;
  }
  // Every acknowledged voucher (bought, received, claimed) is in its
  // owner's wallet.
  GivenCodes given;
  for (const auto& [key, known] : vouchers_) {
    given[known.member_id].emplace_back(known.printed_code, known.name);
  }
  CheckWallets(client, given, failures);
}

}  // namespace loyalty::crash
