#include "tests/bench/workload.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::bench {
namespace {

using namespace loyalty::v1;  // NOLINT: the workload names many messages.

bool AcceptBusinessRejection(const grpc::Status& status) {
  return status.ok() ||
         status.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
}

}  // namespace

bool ParseMix(const std::string& spec, MixWeights* weights) {
  MixWeights parsed{0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, '=');
    int weight = 0;
    if (!absl::SimpleAtoi(kv.second, &weight) || weight < 0) return false;
    if (kv.first == "earn") parsed.earn = weight;
    else if (kv.first == "coupon") parsed.coupon = weight;
    else if (kv.first == "quote") parsed.quote = weight;
    else if (kv.first == "return") parsed.return_ = weight;
    else if (kv.first == "redeem") parsed.redeem = weight;
    else if (kv.first == "balance") parsed.balance = weight;
    else if (kv.first == "statement") parsed.statement = weight;
    else if (kv.first == "health") parsed.health = weight;
    else if (kv.first == "voucher") parsed.voucher = weight;
    else return false;
  }
  if (parsed.earn + parsed.coupon + parsed.quote + parsed.redeem +
          parsed.return_ +
          parsed.balance + parsed.statement + parsed.health +
          parsed.voucher ==
      0) {
    return false;
  }
  *weights = parsed;
  return true;
}

Workload::Workload(uint64_t members, uint64_t seed)
    : members_(members), random_(seed) {
  // Distinct ids per run, so a rerun on the same data dir earns anew.
  nonce_ = absl::StrCat(std::random_device{}() % 1000000);
}

std::string Workload::MemberId(uint64_t index) const {
  return absl::StrCat("bm-", index);
}

uint64_t Workload::RandomMember() { return random_() % members_; }

EarnRequest Workload::EarnFor(const std::string& member_id,
                              const std::string& key) {
  EarnRequest request;
  RequestContext* context = request.mutable_context();
  context->set_request_id(absl::StrCat("e-", key));
  context->set_channel(CHANNEL_POS);
  context->set_store_id(absl::StrCat("store-", random_() % 200));
  context->set_terminal_id(absl::StrCat("till-", random_() % 8));
  request.set_member_id(member_id);
  request.set_order_id(absl::StrCat("o-", key));
  request.set_currency("EUR");
  int lines = 1 + static_cast<int>(random_() % 5);
  for (int i = 0; i < lines; ++i) {
    BasketLine* line = request.add_lines();
    line->set_sku(absl::StrCat("SKU-", random_() % 5000));
    line->set_category(i % 2 == 0 ? "grocery" : "home");
    line->set_quantity(1 + static_cast<int64_t>(random_() % 3));
    line->set_unit_price_minor(100 + static_cast<int64_t>(random_() % 9900));
  }
  return request;
}

EarnRequest Workload::NextEarn() {
  EarnRequest request = EarnFor(MemberId(RandomMember()),
                                absl::StrCat(nonce_, "-", counter_++));
  constexpr size_t kRecentOrders = 1024;
  std::pair<std::string, std::string> order{request.member_id(),
                                            request.order_id()};
  if (recent_orders_.size() < kRecentOrders) {
    recent_orders_.push_back(std::move(order));
  } else {
    recent_orders_[next_recent_++ % kRecentOrders] = std::move(order);
  }
  return request;
}

void Workload::IssueEarn(Connection& connection, int channel) {
  auto* call = new TypedCall<EarnResponse>();
  connection.Prepare(*call, "earn");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncEarn, NextEarn(), call);
}

// A quote of a fresh basket: what a till asks before payment.
void Workload::IssueQuote(Connection& connection, int channel) {
  EarnRequest request = NextEarn();
  request.mutable_context()->clear_request_id();
  request.clear_order_id();
  auto* call = new TypedCall<QuoteEarnResponse>();
  connection.Prepare(*call, "quote");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncQuoteEarn, request, call);
}

void Workload::IssueRedeem(Connection& connection, int channel) {
  RedeemRequest request;
  std::string key = absl::StrCat(nonce_, "-", counter_++);
  request.mutable_context()->set_request_id(absl::StrCat("r-", key));
  request.mutable_context()->set_channel(CHANNEL_APP);
  request.set_member_id(MemberId(RandomMember()));
  request.set_order_id(absl::StrCat("ro-", key));
  request.set_points(1 + static_cast<int64_t>(random_() % 3));
  auto* call = new TypedCall<RedeemResponse>();
  connection.Prepare(*call, "redeem");
  call->accept = AcceptBusinessRejection;  // Too few points is an answer.
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncRedeem, request, call);
}

// A partial return of a recent order: 1.00 EUR of it, from the app.
void Workload::IssueReturn(Connection& connection, int channel) {
  if (recent_orders_.empty()) return IssueEarn(connection, channel);
  const auto& [member_id, order_id] =
      recent_orders_[random_() % recent_orders_.size()];
  ReturnRequest request;
  request.mutable_context()->set_request_id(
      absl::StrCat("ret-", nonce_, "-", counter_++));
  request.mutable_context()->set_channel(CHANNEL_APP);
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  request.set_amount_minor(100);
  auto* call = new TypedCall<ReturnResponse>();
  connection.Prepare(*call, "return");
  // An order whose earn is still in flight (NOT_FOUND), or one already
  // fully returned (FAILED_PRECONDITION), is an answer too.
  call->accept = [](const grpc::Status& status) {
    return AcceptBusinessRejection(status) ||
           status.error_code() == grpc::StatusCode::NOT_FOUND;
  };
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncReturn, request, call);
}

void Workload::IssueBalance(Connection& connection, int channel) {
  GetBalanceRequest request;
  request.set_member_id(MemberId(RandomMember()));
  auto* call = new TypedCall<Balance>();
  connection.Prepare(*call, "balance");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncGetBalance, request, call);
}

void Workload::IssueStatement(Connection& connection, int channel) {
  ListEntriesRequest request;
  request.set_member_id(MemberId(RandomMember()));
  request.set_page_size(20);
  auto* call = new TypedCall<ListEntriesResponse>();
  connection.Prepare(*call, "statement");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncListEntries, request, call);
}

void Workload::IssueEnroll(Connection& connection, int channel,
                           uint64_t index) {
  EnrollMemberRequest request;
  // Deterministic ids: preloading the same data dir again only replays.
  request.mutable_context()->set_request_id(absl::StrCat("enroll-", index));
  request.mutable_context()->set_channel(CHANNEL_APP);
  request.set_member_id(MemberId(index));
  auto* call = new TypedCall<EnrollMemberResponse>();
  connection.Prepare(*call, "enroll");
  call->accept = [](const grpc::Status& status) {
    return status.ok() ||
           status.error_code() == grpc::StatusCode::ALREADY_EXISTS;
  };
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncEnrollMember, request, call);
}

void Workload::IssueEarnBatch(Connection& connection, int channel,
                              int events) {
  EarnBatchRequest request;
  for (int i = 0; i < events; ++i) *request.add_events() = NextEarn();
  batch_events_sent_ += events;
  auto* call = new TypedCall<EarnBatchResponse>();
  connection.Prepare(*call, "earn_batch");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncEarnBatch, request, call);
}

void Workload::IssueCouponCall(Connection& connection, int channel) {
  if (coupons_waiting_.empty() || random_() % 2 == 0) {
    IssueCouponRequest request;
    request.mutable_context()->set_request_id(
        absl::StrCat("ci-", nonce_, "-", counter_++));
    request.mutable_context()->set_channel(CHANNEL_APP);
    request.set_member_id(MemberId(RandomMember()));
    request.set_template_id(std::string(kBenchCouponTemplate));
    auto* call = new TypedCall<IssueCouponResponse>();
    connection.Prepare(*call, "coupon_issue");
    call->on_done = [this, call](PendingCall&) {
      if (call->status.ok()) {
        coupons_waiting_.emplace_back(call->response.coupon().member_id(),
                                      call->response.coupon().code());
      }
    };
    StartCall(connection, connection.loyalty(channel),
              &LoyaltyService::Stub::AsyncIssueCoupon, request, call);
    return;
  }
  // The oldest waiting coupon: its member buys with it at a till.
  auto [member_id, code] = std::move(coupons_waiting_.front());
  coupons_waiting_.erase(coupons_waiting_.begin());
  EarnRequest request =
      EarnFor(member_id, absl::StrCat("cc-", nonce_, "-", counter_++));
  request.add_coupon_codes(code);
  auto* call = new TypedCall<EarnResponse>();
  connection.Prepare(*call, "earn_coupon");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncEarn, request, call);
}

void Workload::IssueVoucherCall(Connection& connection, int channel) {
  if (vouchers_waiting_.empty() || random_() % 6 == 0) {
    IssueVoucherRequest request;
    request.mutable_context()->set_request_id(
        absl::StrCat("vi-", nonce_, "-", counter_++));
    request.mutable_context()->set_channel(CHANNEL_APP);
    request.set_member_id(MemberId(RandomMember()));
    request.set_product_id(std::string(kBenchVoucherProduct));
    request.set_units(kBenchVoucherUnits);
    request.mutable_price_paid()->set_amount_minor(3000);
    request.mutable_price_paid()->set_currency("EUR");
    request.set_order_id(absl::StrCat("vo-", nonce_, "-", counter_));
    auto* call = new TypedCall<IssueVoucherResponse>();
    connection.Prepare(*call, "voucher_issue");
    call->on_done = [this, call](PendingCall&) {
      if (call->status.ok()) {
        vouchers_waiting_.push_back({call->response.voucher().member_id(),
                                     call->response.voucher().code(),
                                     kBenchVoucherUnits});
      }
    };
    StartCall(connection, connection.loyalty(channel),
              &LoyaltyService::Stub::AsyncIssueVoucher, request, call);
    return;
  }
  // One unit of a waiting voucher, at a till; the voucher stops waiting
  // once every unit has been asked for.
  WaitingVoucher& waiting =
      vouchers_waiting_[random_() % vouchers_waiting_.size()];
  RedeemVoucherUnitsRequest request;
  request.mutable_context()->set_request_id(
      absl::StrCat("vp-", nonce_, "-", counter_++));
  request.mutable_context()->set_channel(CHANNEL_POS);
  request.mutable_context()->set_store_id(absl::StrCat("store-", random_() % 200));
  request.set_member_id(waiting.member_id);
  request.set_code(waiting.code);
  request.set_units(1);
  if (--waiting.units_left == 0) {
    std::swap(waiting, vouchers_waiting_.back());
    vouchers_waiting_.pop_back();
  }
  auto* call = new TypedCall<RedeemVoucherUnitsResponse>();
  connection.Prepare(*call, "voucher_pickup");
  StartCall(connection, connection.loyalty(channel),
            &LoyaltyService::Stub::AsyncRedeemVoucherUnits, request, call);
}

void Workload::IssueMix(Connection& connection, int channel,
                        const MixWeights& mix) {
  int total = mix.earn + mix.coupon + mix.quote + mix.redeem + mix.return_ +
              mix.balance + mix.statement + mix.health + mix.voucher;
  int pick = static_cast<int>(random_() % total);
  if ((pick -= mix.earn) < 0) return IssueEarn(connection, channel);
  if ((pick -= mix.coupon) < 0) return IssueCouponCall(connection, channel);
  if ((pick -= mix.voucher) < 0) return IssueVoucherCall(connection, channel);
  if ((pick -= mix.quote) < 0) return IssueQuote(connection, channel);
  if ((pick -= mix.redeem) < 0) return IssueRedeem(connection, channel);
  if ((pick -= mix.return_) < 0) return IssueReturn(connection, channel);
  if ((pick -= mix.balance) < 0) return IssueBalance(connection, channel);
  if ((pick -= mix.statement) < 0) return IssueStatement(connection, channel);
  StartHealthCheck(connection, channel);
}

}  // namespace loyalty::bench
