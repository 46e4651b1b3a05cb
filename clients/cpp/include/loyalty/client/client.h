// File: loyalty/client/client.h
//
// loyalty::client::Client: every LoyaltyService and AdminService call of
// loyaltyd, typed, for applications such as point-of-sale terminals.
//
//   loyalty::client::ClientOptions options;
//   options.address = "loyalty.example.com:443";
//   options.api_key = key_from_config;
//   auto client = loyalty::client::Client::Create(options);
//   if (!client.ok()) return client.status();      // names the bad field
//   loyalty::v1::EarnRequest earn;                 // request id left empty
//   ...
//   absl::StatusOr<loyalty::v1::EarnResponse> earned = (*client)->Earn(earn);
//   if (loyalty::client::IsOutcomeUnknown(earned.status())) {
//     // Keep OutcomeUnknownRequestId(earned.status()) and resend later.
//   }
//
// Every call:
//   - A write (a call that changes the ledger) whose request has an empty
//     context.request_id gets 128 random bits as its id, chosen here.
//   - Each attempt has a deadline of call_timeout_ms and carries the API key.
//   - A transient failure (call_status.h, IsTransientFailure) is sent again
//     with the options' RetryPolicy: the same request, the same request id,
//     so the ledger applies a write at most once whatever was lost.
//   - A failure is an absl::Status with the server's code, message and
//     ErrorReason (call_status.h); a write that still failed transiently
//     after the last attempt is "outcome unknown" (IsOutcomeUnknown).
//
// Reads are retried the same way and return the last failure as it is.
// A Client is thread-safe: share one per process (it keeps one channel).
//
// The errors each call answers with are the service's (loyalty_service.proto
// and README's error table); each line below names the main ones.
#ifndef LOYALTY_CLIENT_CLIENT_H_
#define LOYALTY_CLIENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/client/call_status.h"
#include "loyalty/client/client_options.h"
#include "loyalty/client/request_id.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"

namespace loyalty::client {

namespace v1 = ::loyalty::v1;

// Whether a call changes the ledger: only writes get a request id chosen
// for them and an outcome-unknown status.
enum class CallKind { kRead, kWrite };

// Told before each retry's pause (CallOptions::on_retry).
struct RetryNotice {
  absl::Status failure;  // The attempt that failed.
  int attempt_next = 0;  // 2 for the first retry.
  int attempts_max = 0;
  int64_t pause_ms = 0;  // Sleep before attempt_next.
};

// What one call may change of the client's options.
struct CallOptions {
  // The deadline of each attempt; 0 = ClientOptions::call_timeout_ms.
  int64_t timeout_ms = 0;
  // Called on the calling thread before each retry (e.g. to log it).
  std::function<void(const RetryNotice&)> on_retry;
};

class Client {
 public:
  // InvalidArgument naming the field when ValidateClientOptions refuses
  // `options`; InvalidArgument too when gRPC cannot use the TLS material.
  // Opens no connection: the first call does.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }

  // ---- LoyaltyService ----------------------------------------------------
  // Enrols a member (server-assigned id when member_id is empty);
  // ALREADY_EXISTS for a taken id or identifier.
  absl::StatusOr<v1::EnrollMemberResponse> EnrollMember(
      v1::EnrollMemberRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::EnrollMember, std::move(request),
                CallKind::kWrite, call);
  }
  // A member as it is now; NOT_FOUND (MEMBER_NOT_FOUND).
  absl::StatusOr<v1::Member> GetMember(v1::GetMemberRequest request,
                                       const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::GetMember, std::move(request),
                CallKind::kRead, call);
  }
  // Grants a purchase's points by the program's rules; NOT_FOUND,
  // FAILED_PRECONDITION (MEMBER_CLOSED ...).
  absl::StatusOr<v1::EarnResponse> Earn(v1::EarnRequest request,
                                        const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::Earn, std::move(request),
                CallKind::kWrite, call);
  }
  // What Earn would grant, writing nothing (no request id needed); NOT_FOUND.
  absl::StatusOr<v1::QuoteEarnResponse> QuoteEarn(
      v1::EarnRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::QuoteEarn, std::move(request),
                CallKind::kRead, call);
  }
  // Grants an engagement event's points; FAILED_PRECONDITION past the event's
  // limits.
  absl::StatusOr<v1::RecordEventResponse> RecordEvent(
      v1::RecordEventRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::RecordEvent, std::move(request),
                CallKind::kWrite, call);
  }
  // Spends points on an order; FAILED_PRECONDITION (INSUFFICIENT_POINTS).
  absl::StatusOr<v1::RedeemResponse> Redeem(
      v1::RedeemRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::Redeem, std::move(request),
                CallKind::kWrite, call);
  }
  // A member's balance; NOT_FOUND.
  absl::StatusOr<v1::Balance> GetBalance(v1::GetBalanceRequest request,
                                         const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::GetBalance, std::move(request),
                CallKind::kRead, call);
  }
  // Reserves points for an order; FAILED_PRECONDITION (INSUFFICIENT_POINTS,
  // TOO_MANY_HOLDS).
  absl::StatusOr<v1::HoldPointsResponse> HoldPoints(
      v1::HoldPointsRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::HoldPoints, std::move(request),
                CallKind::kWrite, call);
  }
  // Takes back a returned share of an order's points; FAILED_PRECONDITION
  // (RETURN_EXCEEDS_ORDER), NOT_FOUND (ORDER_NOT_FOUND).
  absl::StatusOr<v1::ReturnResponse> Return(
      v1::ReturnRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::Return, std::move(request),
                CallKind::kWrite, call);
  }
  // Spends a hold's points; NOT_FOUND (HOLD_NOT_FOUND), FAILED_PRECONDITION
  // (HOLD_NOT_ACTIVE).
  absl::StatusOr<v1::SettleHoldResponse> CapturePoints(
      v1::SettleHoldRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::CapturePoints, std::move(request),
                CallKind::kWrite, call);
  }
  // Gives a hold's points back; NOT_FOUND (HOLD_NOT_FOUND), FAILED_PRECONDITION
  // (HOLD_NOT_ACTIVE).
  absl::StatusOr<v1::SettleHoldResponse> ReleasePoints(
      v1::SettleHoldRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ReleasePoints, std::move(request),
                CallKind::kWrite, call);
  }
  // A member's statement, newest first, paginated; NOT_FOUND.
  absl::StatusOr<v1::ListEntriesResponse> ListEntries(
      v1::ListEntriesRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ListEntries, std::move(request),
                CallKind::kRead, call);
  }
  // Many earns, each under the request id its caller set (none is chosen here);
  // one result each.
  // (Each event without a request id gets one here, so a retried batch
  // applies none twice.)
  absl::StatusOr<v1::EarnBatchResponse> EarnBatch(
      v1::EarnBatchRequest request, const CallOptions& call = {}) const {
    for (v1::EarnRequest& event : *request.mutable_events()) {
      absl::StatusOr<std::string> id = AssignRequestId(event, CallKind::kWrite);
      if (!id.ok()) return id.status();
    }
    return Call(&v1::LoyaltyService::Stub::EarnBatch, std::move(request),
                CallKind::kWrite, call);
  }
  // Any mutations in one call, each answered as its own RPC would be, in
  // order (an offline journal's sync: journal_sync.h). Each mutation without
  // a request id gets one here, so a retried batch applies none twice.
  // INVALID_ARGUMENT for an empty batch or one over 1000; PERMISSION_DENIED
  // (naming mutations[i]) when the key may not send one of them.
  absl::StatusOr<v1::SubmitBatchResponse> SubmitBatch(
      v1::SubmitBatchRequest request, const CallOptions& call = {}) const;
  // The member that has an identifier; NOT_FOUND (MEMBER_NOT_FOUND).
  absl::StatusOr<v1::Member> LookupMember(v1::LookupMemberRequest request,
                                          const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::LookupMember, std::move(request),
                CallKind::kRead, call);
  }
  // Gives a member one more identifier; ALREADY_EXISTS (IDENTIFIER_TAKEN),
  // FAILED_PRECONDITION (TOO_MANY_IDENTIFIERS).
  absl::StatusOr<v1::LinkIdentifierResponse> LinkIdentifier(
      v1::LinkIdentifierRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::LinkIdentifier, std::move(request),
                CallKind::kWrite, call);
  }
  // Takes an identifier away; NOT_FOUND (IDENTIFIER_NOT_FOUND).
  absl::StatusOr<v1::UnlinkIdentifierResponse> UnlinkIdentifier(
      v1::UnlinkIdentifierRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::UnlinkIdentifier, std::move(request),
                CallKind::kWrite, call);
  }
  // Gives points to another member; FAILED_PRECONDITION (TRANSFER_NOT_ALLOWED,
  // TRANSFER_LIMIT_REACHED, INSUFFICIENT_POINTS).
  absl::StatusOr<v1::TransferPointsResponse> TransferPoints(
      v1::TransferPointsRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::TransferPoints, std::move(request),
                CallKind::kWrite, call);
  }
  // Issues a template's coupon to a member; FAILED_PRECONDITION
  // (COUPON_BUDGET_SPENT, COUPON_LIMIT_REACHED).
  absl::StatusOr<v1::IssueCouponResponse> IssueCoupon(
      v1::IssueCouponRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::IssueCoupon, std::move(request),
                CallKind::kWrite, call);
  }
  // One use of a coupon; NOT_FOUND (COUPON_NOT_FOUND), FAILED_PRECONDITION
  // (COUPON_USED_UP, COUPON_NOT_VALID_NOW ...).
  absl::StatusOr<v1::RedeemCouponResponse> RedeemCoupon(
      v1::RedeemCouponRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::RedeemCoupon, std::move(request),
                CallKind::kWrite, call);
  }
  // A coupon by its code; NOT_FOUND (COUPON_NOT_FOUND).
  absl::StatusOr<v1::Coupon> GetCoupon(v1::GetCouponRequest request,
                                       const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::GetCoupon, std::move(request),
                CallKind::kRead, call);
  }
  // Whether RedeemCoupon would accept a code now, writing nothing;
  // RedeemCoupon's refusals.
  absl::StatusOr<v1::ValidateCouponResponse> ValidateCoupon(
      v1::ValidateCouponRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ValidateCoupon, std::move(request),
                CallKind::kRead, call);
  }
  // Sets one use of a coupon aside; RedeemCoupon's refusals and
  // TOO_MANY_COUPON_RESERVATIONS.
  absl::StatusOr<v1::ReserveCouponResponse> ReserveCoupon(
      v1::ReserveCouponRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ReserveCoupon, std::move(request),
                CallKind::kWrite, call);
  }
  // Makes a reservation a use; NOT_FOUND (COUPON_RESERVATION_NOT_FOUND),
  // FAILED_PRECONDITION (COUPON_RESERVATION_NOT_ACTIVE).
  absl::StatusOr<v1::SettleCouponReservationResponse> CommitCoupon(
      v1::SettleCouponReservationRequest request,
      const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::CommitCoupon, std::move(request),
                CallKind::kWrite, call);
  }
  // Gives a reserved use back; as CommitCoupon.
  absl::StatusOr<v1::SettleCouponReservationResponse> ReleaseCoupon(
      v1::SettleCouponReservationRequest request,
      const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ReleaseCoupon, std::move(request),
                CallKind::kWrite, call);
  }
  // Sells a voucher online; NOT_FOUND (VOUCHER_PRODUCT_NOT_FOUND).
  absl::StatusOr<v1::IssueVoucherResponse> IssueVoucher(
      v1::IssueVoucherRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::IssueVoucher, std::move(request),
                CallKind::kWrite, call);
  }
  // Picks up voucher units; NOT_FOUND (VOUCHER_NOT_FOUND), FAILED_PRECONDITION
  // (VOUCHER_EXPIRED, VOUCHER_UNITS_TOO_FEW).
  absl::StatusOr<v1::RedeemVoucherUnitsResponse> RedeemVoucherUnits(
      v1::RedeemVoucherUnitsRequest request,
      const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::RedeemVoucherUnits,
                std::move(request), CallKind::kWrite, call);
  }
  // Gives voucher units to another member; as RedeemVoucherUnits.
  absl::StatusOr<v1::TransferVoucherUnitsResponse> TransferVoucherUnits(
      v1::TransferVoucherUnitsRequest request,
      const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::TransferVoucherUnits,
                std::move(request), CallKind::kWrite, call);
  }
  // A voucher by its code; NOT_FOUND (VOUCHER_NOT_FOUND).
  absl::StatusOr<v1::Voucher> GetVoucher(v1::GetVoucherRequest request,
                                         const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::GetVoucher, std::move(request),
                CallKind::kRead, call);
  }
  // Sets voucher units aside under a claim code; FAILED_PRECONDITION
  // (VOUCHER_GIFTS_NOT_ALLOWED).
  absl::StatusOr<v1::GiftVoucherUnitsResponse> GiftVoucherUnits(
      v1::GiftVoucherUnitsRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::GiftVoucherUnits, std::move(request),
                CallKind::kWrite, call);
  }
  // Claims a gift as a new voucher; NOT_FOUND, FAILED_PRECONDITION
  // (VOUCHER_GIFT_NOT_CLAIMABLE).
  absl::StatusOr<v1::ClaimVoucherGiftResponse> ClaimVoucherGift(
      v1::ClaimVoucherGiftRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ClaimVoucherGift, std::move(request),
                CallKind::kWrite, call);
  }
  // Refunds unused units of a bought voucher; FAILED_PRECONDITION
  // (VOUCHER_NOT_REFUNDABLE ...).
  absl::StatusOr<v1::RefundVoucherUnitsResponse> RefundVoucherUnits(
      v1::RefundVoucherUnitsRequest request,
      const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::RefundVoucherUnits,
                std::move(request), CallKind::kWrite, call);
  }
  // Exchanges points for a catalog item; FAILED_PRECONDITION
  // (REWARD_OUT_OF_STOCK, INSUFFICIENT_POINTS ...).
  absl::StatusOr<v1::RedeemRewardResponse> RedeemReward(
      v1::RedeemRewardRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::RedeemReward, std::move(request),
                CallKind::kWrite, call);
  }
  // Voids an unused reward, points back; NOT_FOUND (REWARD_NOT_FOUND),
  // FAILED_PRECONDITION (REWARD_NOT_CANCELLABLE).
  absl::StatusOr<v1::CancelRewardResponse> CancelReward(
      v1::CancelRewardRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::CancelReward, std::move(request),
                CallKind::kWrite, call);
  }
  // The rewards catalog, with a member's standing when one is named.
  absl::StatusOr<v1::ListRewardsResponse> ListRewards(
      v1::ListRewardsRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ListRewards, std::move(request),
                CallKind::kRead, call);
  }
  // A member's coupons and vouchers, paginated; NOT_FOUND.
  absl::StatusOr<v1::ListWalletResponse> ListWallet(
      v1::ListWalletRequest request, const CallOptions& call = {}) const {
    return Call(&v1::LoyaltyService::Stub::ListWallet, std::move(request),
                CallKind::kRead, call);
  }

  // ---- AdminService (keys with ROLE_ADMIN) -------------------------------
  // Operator credit or debit with a reason; NOT_FOUND, FAILED_PRECONDITION.
  absl::StatusOr<v1::AdjustResponse> Adjust(
      v1::AdjustRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::Adjust, std::move(request),
                CallKind::kWrite, call);
  }
  // Replays the whole ledger and checks it; a large ledger needs a longer
  // CallOptions::timeout_ms.
  absl::StatusOr<v1::VerifyLedgerResponse> VerifyLedger(
      v1::VerifyLedgerRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::VerifyLedger, std::move(request),
                CallKind::kRead, call);
  }
  // Offline redemptions reconciled short (taken into debt, written off or
  // refused), oldest first, a page at a time.
  absl::StatusOr<v1::ListOfflineReconciliationsResponse>
  ListOfflineReconciliations(v1::ListOfflineReconciliationsRequest request,
                             const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::ListOfflineReconciliations,
                std::move(request), CallKind::kRead, call);
  }
  // The writer's and the process's counters.
  absl::StatusOr<v1::ServerStats> GetServerStats(
      v1::GetServerStatsRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::GetServerStats, std::move(request),
                CallKind::kRead, call);
  }
  // A consistent backup into the server's --backup-dir under
  // request.name; the answer says what it holds (head sequence and hash,
  // files, bytes, time). Takes seconds on a large ledger: give it a longer
  // CallOptions::timeout_ms. A retry after a lost answer is safe: the name
  // is the backup's identity, so a backup that was made answers
  // ALREADY_EXISTS (BACKUP_EXISTS) and none is made twice.
  // FAILED_PRECONDITION (BACKUP_NOT_CONFIGURED, BACKUP_IN_PROGRESS),
  // INVALID_ARGUMENT (name).
  absl::StatusOr<v1::BackupResponse> Backup(
      v1::BackupRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::Backup, std::move(request),
                CallKind::kRead, call);
  }
  // Legacy balances, each row under the request id its caller set (none is
  // chosen here); one result each.
  absl::StatusOr<v1::ImportMembersResponse> ImportMembers(
      v1::ImportMembersRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::ImportMembers, std::move(request),
                CallKind::kWrite, call);
  }
  // Closes a member for good; FAILED_PRECONDITION (MEMBER_NOT_SETTLED,
  // MEMBER_CLOSED).
  absl::StatusOr<v1::CloseMemberResponse> CloseMember(
      v1::CloseMemberRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::CloseMember, std::move(request),
                CallKind::kWrite, call);
  }
  // Moves everything of one member to another; FAILED_PRECONDITION
  // (MEMBER_MERGED, TOO_MANY_IDENTIFIERS ...).
  absl::StatusOr<v1::MergeMembersResponse> MergeMembers(
      v1::MergeMembersRequest request, const CallOptions& call = {}) const {
    return Call(&v1::AdminService::Stub::MergeMembers, std::move(request),
                CallKind::kWrite, call);
  }

  // Writes a batch of bearer coupon codes, handing each streamed chunk to
  // `on_chunk` as it arrives. One attempt, never retried mid-stream: after
  // a failure, call again with the same batch_id, which streams the codes
  // written before and then the rest. A non-OK status from `on_chunk`
  // cancels the call and is returned as it is. A transient failure is
  // outcome unknown like any write's. FAILED_PRECONDITION
  // (COUPON_BATCH_CONFLICT, COUPON_BUDGET_SPENT), NOT_FOUND
  // (COUPON_TEMPLATE_NOT_FOUND).
  absl::Status GenerateCoupons(
      v1::GenerateCouponsRequest request,
      const std::function<absl::Status(const v1::GenerateCouponsResponse&)>&
          on_chunk,
      const CallOptions& call = {}) const;

  // The change stream (AdminService.WatchEntries; keys with ROLE_ADMIN or
  // ROLE_AUDITOR): hands each response to `on_response` as it arrives, until
  // `on_response` returns non-OK (the call is cancelled and that status
  // returned as it is) or the server ends the stream (its status: OK never,
  // UNAVAILABLE when loyaltyd shuts down). No deadline and one attempt: to
  // go on, call again with from_sequence = the last response's
  // next_sequence, which misses nothing and repeats nothing. Check entries
  // with EntryChainVerifier (entry_chain.h).
  absl::Status WatchEntries(
      const v1::WatchEntriesRequest& request,
      const std::function<absl::Status(const v1::WatchEntriesResponse&)>&
          on_response) const;

  // The core every call above is one line over, public for callers that
  // need an RPC newer than this header: one unary call of `method` with the
  // rules at the top of this file. `kind` says whether it is a write.
  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   Response*),
      Request request, CallKind kind, const CallOptions& call = {}) const;

 private:
  // The attempts of one call: the context of each, and after a failure the
  // decision to retry (sleeping first) or the status to return.
  class Attempts {
   public:
    Attempts(const Client& client, CallKind kind, std::string request_id,
             const CallOptions& call);
    // Deadline and credentials of the next attempt.
    void Prepare(grpc::ClientContext* context) const;
    // nullopt after sleeping when the call should be sent again; otherwise
    // the status to return.
    std::optional<absl::Status> Failed(const grpc::Status& answer,
                                       const grpc::ClientContext& context);

   private:
    const Client& client_;
    const CallKind kind_;
    const std::string request_id_;
    const CallOptions& call_;
    int attempt_ = 1;
  };

  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // Sets context.request_id of a write that has none; returns the id ("" for
  // a request without a context, such as a batch).
  template <typename Request>
  static absl::StatusOr<std::string> AssignRequestId(Request& request,
                                                     CallKind kind);

  template <typename Stub>
  Stub* StubFor() const {
    if constexpr (std::is_same_v<Stub, v1::LoyaltyService::Stub>) {
      return loyalty_stub_.get();
    } else {
      static_assert(std::is_same_v<Stub, v1::AdminService::Stub>,
                    "Client::Call serves LoyaltyService and AdminService");
      return admin_stub_.get();
    }
  }

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LoyaltyService::Stub> loyalty_stub_;
  std::unique_ptr<v1::AdminService::Stub> admin_stub_;
};

template <typename Request>
absl::StatusOr<std::string> Client::AssignRequestId(Request& request,
                                                    CallKind kind) {
  if constexpr (requires { request.mutable_context()->set_request_id(""); }) {
    if (kind != CallKind::kWrite) return std::string();
    if (request.context().request_id().empty()) {
      absl::StatusOr<std::string> generated = GenerateRequestId();
      if (!generated.ok()) return generated.status();
      request.mutable_context()->set_request_id(*std::move(generated));
    }
    return request.context().request_id();
  } else {
    return std::string();
  }
}

template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Client::Call(
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    Request request, CallKind kind, const CallOptions& call) const {
  absl::StatusOr<std::string> request_id = AssignRequestId(request, kind);
  if (!request_id.ok()) return request_id.status();
  Stub* const stub = StubFor<Stub>();
  Attempts attempts(*this, kind, *std::move(request_id), call);
  // Each attempt sends the very same request: a write's retry is the same
  // call under the same request id, which the server applies at most once.
  for (;;) {
    grpc::ClientContext context;
    attempts.Prepare(&context);
    Response response;
    const grpc::Status answer = (stub->*method)(&context, request, &response);
    if (answer.ok()) return response;
    std::optional<absl::Status> failure = attempts.Failed(answer, context);
    if (failure.has_value()) return *std::move(failure);
  }
}

}  // namespace loyalty::client

#endif  // LOYALTY_CLIENT_CLIENT_H_
