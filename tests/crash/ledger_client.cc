#include "tests/crash/ledger_client.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "loyalty/v1/contract.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {
namespace {

using namespace loyalty::v1;  // NOLINT: every message of the API is used.

std::unique_ptr<grpc::ClientContext> ContextWithKey(const std::string& key,
                                                    absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

std::string Trailer(const grpc::ClientContext& context,
                    const std::string& name) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(name);
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

template <typename Request, typename Response, typename Stub, typename Rpc>
Outcome Call(Stub* stub, Rpc rpc, const std::string& api_key,
             const std::string& request_bytes, absl::Duration deadline) {
  Outcome outcome;
  Request request;
  if (!request.ParseFromString(request_bytes)) {
    outcome.code = grpc::StatusCode::INTERNAL;
    outcome.message = "test bug: the recorded request does not parse";
    return outcome;
  }
  Response response;
  auto context = ContextWithKey(api_key, deadline);
  grpc::Status status = (stub->*rpc)(context.get(), request, &response);
  outcome.code = status.error_code();
  outcome.message = status.error_message();
  outcome.reason = Trailer(*context, contract::kReasonMetadataKey);
  if (status.ok()) outcome.response = response.SerializeAsString();
  return outcome;
}

template <typename Response>
bool SameMessage(const std::string& a, const std::string& b,
                 std::string* difference) {
  Response first;
  Response second;
  if (!first.ParseFromString(a) || !second.ParseFromString(b)) {
    *difference = "a response does not parse";
    return false;
  }
  first.clear_replayed();
  second.clear_replayed();
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(difference);
  return differencer.Compare(first, second);
}

// The same request as the one mutation of a SubmitBatch (the offline
// journal's sync call), its result read back as the unary call's outcome.
// `set` puts the parsed request into the Mutation's field.
template <typename Request, typename Response>
Outcome CallThroughBatch(
    LoyaltyService::Stub* stub, const std::string& api_key,
    const std::string& request_bytes, absl::Duration deadline,
    Request* (loyalty::v1::Mutation::*mutable_field)(),
    const Response& (loyalty::v1::MutationResult::*field)() const) {
  Outcome outcome;
  loyalty::v1::SubmitBatchRequest batch;
  if (!((*batch.add_mutations()).*mutable_field)()->ParseFromString(
          request_bytes)) {
    outcome.code = grpc::StatusCode::INTERNAL;
    outcome.message = "test bug: the recorded request does not parse";
    return outcome;
  }
  loyalty::v1::SubmitBatchResponse response;
  auto context = ContextWithKey(api_key, deadline);
  grpc::Status status = stub->SubmitBatch(context.get(), batch, &response);
  if (!status.ok()) {
    outcome.code = status.error_code();
    outcome.message = status.error_message();
    outcome.reason = Trailer(*context, contract::kReasonMetadataKey);
    return outcome;
  }
  if (response.results_size() != 1) {
    outcome.code = grpc::StatusCode::INTERNAL;
    outcome.message = "SubmitBatch answered a batch of one with " +
                      std::to_string(response.results_size()) + " results";
    return outcome;
  }
  const loyalty::v1::MutationResult& result = response.results(0);
  outcome.code = static_cast<grpc::StatusCode>(result.code());
  outcome.message = result.message();
  if (result.reason() != loyalty::v1::ERROR_REASON_UNSPECIFIED) {
    outcome.reason = loyalty::v1::ErrorReason_Name(result.reason());
  }
  if (result.code() == 0) outcome.response = (result.*field)().SerializeAsString();
  return outcome;
}

template <typename Response>
Response Parse(const std::string& bytes) {
  Response response;
  response.ParseFromString(bytes);  // An empty message if it does not parse.
  return response;
}

// Whether two ImportMembers responses give every row the same answer,
// whether or not each row was replayed.
bool SameImport(const std::string& a, const std::string& b,
                std::string* difference) {
  ImportMembersResponse first;
  ImportMembersResponse second;
  if (!first.ParseFromString(a) || !second.ParseFromString(b)) {
    *difference = "a response does not parse";
    return false;
  }
  for (ImportMembersResponse* response : {&first, &second}) {
    for (ImportMemberResult& result : *response->mutable_results()) {
      result.mutable_response()->clear_replayed();
    }
  }
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(difference);
  return differencer.Compare(first, second);
}

bool ImportReplayed(const std::string& bytes) {
  ImportMembersResponse response = Parse<ImportMembersResponse>(bytes);
  for (const ImportMemberResult& result : response.results()) {
    if (result.code() == 0 && !result.response().replayed()) return false;
  }
  return true;
}

std::vector<LedgerEntry> ImportEntries(const std::string& bytes) {
  std::vector<LedgerEntry> entries;
  ImportMembersResponse response = Parse<ImportMembersResponse>(bytes);
  for (const ImportMemberResult& result : response.results()) {
    // A dry run's entries were never written (and have placeholder
    // sequences).
    if (result.code() != 0 || result.response().dry_run()) continue;
    for (const LedgerEntry& entry : result.response().entries()) {
      entries.push_back(entry);
    }
  }
  return entries;
}

// The call's outcome as Outcome documents it for ImportMembers: the first
// row without a definite answer, when there is one. A row that is neither
// acknowledged nor in doubt (INVALID_ARGUMENT, REQUEST_ID_REUSED) comes
// first: no retry can mend it.
Outcome FoldImportRows(Outcome call) {
  if (call.code != grpc::StatusCode::OK) return call;
  ImportMembersResponse response = Parse<ImportMembersResponse>(call.response);
  for (bool in_doubt_pass : {false, true}) {
    for (int i = 0; i < response.results_size(); ++i) {
      const ImportMemberResult& result = response.results(i);
      if (result.code() == 0) continue;
      Outcome row;
      row.code = static_cast<grpc::StatusCode>(result.code());
      row.reason = ErrorReason_Name(result.reason());
      row.message = absl::StrCat("rows[", i, "]: ", result.message());
      if (IsAcknowledged(row)) continue;
      if (IsInDoubt(row) == in_doubt_pass) return row;
    }
  }
  return call;
}

}  // namespace

const char* MethodName(Method method) {
  switch (method) {
    case Method::kEnroll:
      return "EnrollMember";
    case Method::kEarn:
      return "Earn";
    case Method::kRedeem:
      return "Redeem";
    case Method::kAdjust:
      return "Adjust";
    case Method::kEvent:
      return "RecordEvent";
    case Method::kHold:
      return "HoldPoints";
    case Method::kCapture:
      return "CapturePoints";
    case Method::kRelease:
      return "ReleasePoints";
    case Method::kReturn:
      return "Return";
    case Method::kLink:
      return "LinkIdentifier";
    case Method::kUnlink:
      return "UnlinkIdentifier";
    case Method::kTransfer:
      return "TransferPoints";
    case Method::kImport:
      return "ImportMembers";
    case Method::kClose:
      return "CloseMember";
    case Method::kMerge:
      return "MergeMembers";
    case Method::kIssueCoupon:
      return "IssueCoupon";
    case Method::kRedeemCoupon:
      return "RedeemCoupon";
    case Method::kReserveCoupon:
      return "ReserveCoupon";
    case Method::kCommitCoupon:
      return "CommitCoupon";
    case Method::kReleaseCoupon:
      return "ReleaseCoupon";
    case Method::kIssueVoucher:
      return "IssueVoucher";
    case Method::kRedeemVoucherUnits:
      return "RedeemVoucherUnits";
    case Method::kTransferVoucherUnits:
      return "TransferVoucherUnits";
    case Method::kGiftVoucherUnits:
      return "GiftVoucherUnits";
    case Method::kClaimVoucherGift:
      return "ClaimVoucherGift";
    case Method::kRefundVoucherUnits:
      return "RefundVoucherUnits";
    case Method::kRedeemReward:
      return "RedeemReward";
    case Method::kCancelReward:
      return "CancelReward";
  }
  return "?";
}

std::string Describe(const Outcome& outcome) {
  if (outcome.code == grpc::StatusCode::OK) return "OK";
  return absl::StrCat("code ", static_cast<int>(outcome.code), " [",
                      outcome.reason, "] ", outcome.message);
}

bool IsAcknowledged(const Outcome& outcome) {
  switch (outcome.code) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return true;
    case grpc::StatusCode::ALREADY_EXISTS:
      return outcome.reason != "ERROR_REASON_REQUEST_ID_REUSED";
    default:
      return false;
  }
}

bool IsInDoubt(const Outcome& outcome) {
  switch (outcome.code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

bool SameResponse(Method method, const std::string& a, const std::string& b,
                  std::string* difference) {
  switch (method) {
    case Method::kEnroll:
      return SameMessage<EnrollMemberResponse>(a, b, difference);
    case Method::kEarn:
      return SameMessage<EarnResponse>(a, b, difference);
    case Method::kRedeem:
      return SameMessage<RedeemResponse>(a, b, difference);
    case Method::kAdjust:
      return SameMessage<AdjustResponse>(a, b, difference);
    case Method::kEvent:
      return SameMessage<RecordEventResponse>(a, b, difference);
    case Method::kHold:
      return SameMessage<HoldPointsResponse>(a, b, difference);
    case Method::kCapture:
    case Method::kRelease:
      return SameMessage<SettleHoldResponse>(a, b, difference);
    case Method::kReturn:
      return SameMessage<ReturnResponse>(a, b, difference);
    case Method::kLink:
      return SameMessage<LinkIdentifierResponse>(a, b, difference);
    case Method::kUnlink:
      return SameMessage<UnlinkIdentifierResponse>(a, b, difference);
    case Method::kTransfer:
      return SameMessage<TransferPointsResponse>(a, b, difference);
    case Method::kImport:
      return SameImport(a, b, difference);
    case Method::kClose:
      return SameMessage<CloseMemberResponse>(a, b, difference);
    case Method::kMerge:
      return SameMessage<MergeMembersResponse>(a, b, difference);
    case Method::kIssueCoupon:
      return SameMessage<loyalty::v1::IssueCouponResponse>(a, b, difference);
    case Method::kRedeemCoupon:
      return SameMessage<loyalty::v1::RedeemCouponResponse>(a, b, difference);
    case Method::kReserveCoupon:
      return SameMessage<loyalty::v1::ReserveCouponResponse>(a, b, difference);
    case Method::kCommitCoupon:
    case Method::kReleaseCoupon:
      return SameMessage<loyalty::v1::SettleCouponReservationResponse>(
          a, b, difference);
    case Method::kIssueVoucher:
      return SameMessage<loyalty::v1::IssueVoucherResponse>(a, b, difference);
    case Method::kRedeemVoucherUnits:
      return SameMessage<loyalty::v1::RedeemVoucherUnitsResponse>(a, b,
                                                                 difference);
    case Method::kTransferVoucherUnits:
      return SameMessage<loyalty::v1::TransferVoucherUnitsResponse>(
          a, b, difference);
    case Method::kGiftVoucherUnits:
      return SameMessage<loyalty::v1::GiftVoucherUnitsResponse>(a, b,
                                                               difference);
    case Method::kClaimVoucherGift:
      return SameMessage<loyalty::v1::ClaimVoucherGiftResponse>(a, b,
                                                               difference);
    case Method::kRefundVoucherUnits:
      return SameMessage<loyalty::v1::RefundVoucherUnitsResponse>(a, b,
                                                                 difference);
    case Method::kRedeemReward:
      return SameMessage<loyalty::v1::RedeemRewardResponse>(a, b, difference);
    case Method::kCancelReward:
      return SameMessage<loyalty::v1::CancelRewardResponse>(a, b, difference);
  }
  return false;
}

bool WasReplayed(Method method, const std::string& response) {
  switch (method) {
    case Method::kEnroll:
      return Parse<EnrollMemberResponse>(response).replayed();
    case Method::kEarn:
      return Parse<EarnResponse>(response).replayed();
    case Method::kRedeem:
      return Parse<RedeemResponse>(response).replayed();
    case Method::kAdjust:
      return Parse<AdjustResponse>(response).replayed();
    case Method::kEvent:
      return Parse<RecordEventResponse>(response).replayed();
    case Method::kHold:
      return Parse<HoldPointsResponse>(response).replayed();
    case Method::kCapture:
    case Method::kRelease:
      return Parse<SettleHoldResponse>(response).replayed();
    case Method::kReturn:
      return Parse<ReturnResponse>(response).replayed();
    case Method::kLink:
      return Parse<LinkIdentifierResponse>(response).replayed();
    case Method::kUnlink:
      return Parse<UnlinkIdentifierResponse>(response).replayed();
    case Method::kTransfer:
      return Parse<TransferPointsResponse>(response).replayed();
    case Method::kImport:
      return ImportReplayed(response);
    case Method::kClose:
      return Parse<CloseMemberResponse>(response).replayed();
    case Method::kMerge:
      return Parse<MergeMembersResponse>(response).replayed();
    case Method::kIssueCoupon:
      return Parse<loyalty::v1::IssueCouponResponse>(response).replayed();
    case Method::kRedeemCoupon:
      return Parse<loyalty::v1::RedeemCouponResponse>(response).replayed();
    case Method::kReserveCoupon:
      return Parse<loyalty::v1::ReserveCouponResponse>(response).replayed();
    case Method::kCommitCoupon:
    case Method::kReleaseCoupon:
      return Parse<loyalty::v1::SettleCouponReservationResponse>(response)
          .replayed();
    case Method::kIssueVoucher:
      return Parse<loyalty::v1::IssueVoucherResponse>(response).replayed();
    case Method::kRedeemVoucherUnits:
      return Parse<loyalty::v1::RedeemVoucherUnitsResponse>(response)
          .replayed();
    case Method::kTransferVoucherUnits:
      return Parse<loyalty::v1::TransferVoucherUnitsResponse>(response)
          .replayed();
    case Method::kGiftVoucherUnits:
      return Parse<loyalty::v1::GiftVoucherUnitsResponse>(response).replayed();
    case Method::kClaimVoucherGift:
      return Parse<loyalty::v1::ClaimVoucherGiftResponse>(response).replayed();
    case Method::kRefundVoucherUnits:
      return Parse<loyalty::v1::RefundVoucherUnitsResponse>(response)
          .replayed();
    case Method::kRedeemReward:
      return Parse<loyalty::v1::RedeemRewardResponse>(response).replayed();
    case Method::kCancelReward:
      return Parse<loyalty::v1::CancelRewardResponse>(response).replayed();
  }
  return false;
}

LedgerEntry EntryOf(Method method, const std::string& response) {
  switch (method) {
    case Method::kEnroll:
      return Parse<EnrollMemberResponse>(response).entry();
    case Method::kEarn:
      return Parse<EarnResponse>(response).entry();
    case Method::kRedeem:
      return Parse<RedeemResponse>(response).entry();
    case Method::kAdjust:
      return Parse<AdjustResponse>(response).entry();
    case Method::kEvent:
      return Parse<RecordEventResponse>(response).entry();
    case Method::kHold:
      return Parse<HoldPointsResponse>(response).entry();
    case Method::kCapture:
    case Method::kRelease:
      return Parse<SettleHoldResponse>(response).entry();
    case Method::kReturn: {
      ReturnResponse parsed = Parse<ReturnResponse>(response);
      return parsed.entries().empty() ? LedgerEntry() : parsed.entries(0);
    }
    case Method::kLink:
      return Parse<LinkIdentifierResponse>(response).entry();
    case Method::kUnlink:
      return Parse<UnlinkIdentifierResponse>(response).entry();
    case Method::kTransfer: {
      TransferPointsResponse parsed = Parse<TransferPointsResponse>(response);
      return parsed.entries().empty() ? LedgerEntry() : parsed.entries(0);
    }
    case Method::kImport: {
      std::vector<LedgerEntry> entries = ImportEntries(response);
      return entries.empty() ? LedgerEntry() : entries.front();
    }
    case Method::kClose:
      return Parse<CloseMemberResponse>(response).entry();
    case Method::kMerge: {
      MergeMembersResponse parsed = Parse<MergeMembersResponse>(response);
      return parsed.entries().empty() ? LedgerEntry() : parsed.entries(0);
    }
    case Method::kIssueCoupon:
      return Parse<loyalty::v1::IssueCouponResponse>(response).entry();
    case Method::kRedeemCoupon:
      return Parse<loyalty::v1::RedeemCouponResponse>(response).entry();
    case Method::kReserveCoupon:
      return Parse<loyalty::v1::ReserveCouponResponse>(response).entry();
    case Method::kCommitCoupon:
    case Method::kReleaseCoupon:
      return Parse<loyalty::v1::SettleCouponReservationResponse>(response)
          .entry();
    case Method::kIssueVoucher:
      return Parse<loyalty::v1::IssueVoucherResponse>(response).entry();
    case Method::kRedeemVoucherUnits:
      return Parse<loyalty::v1::RedeemVoucherUnitsResponse>(response).entry();
    case Method::kTransferVoucherUnits:
      return Parse<loyalty::v1::TransferVoucherUnitsResponse>(response)
          .entry_out();
    case Method::kGiftVoucherUnits:
      return Parse<loyalty::v1::GiftVoucherUnitsResponse>(response).entry();
    case Method::kClaimVoucherGift:
      return Parse<loyalty::v1::ClaimVoucherGiftResponse>(response)
          .entry_claimed();
    case Method::kRefundVoucherUnits:
      return Parse<loyalty::v1::RefundVoucherUnitsResponse>(response).entry();
    case Method::kRedeemReward: {
      auto parsed = Parse<loyalty::v1::RedeemRewardResponse>(response);
      return parsed.entries_size() > 0 ? parsed.entries(0) : LedgerEntry();
    }
    case Method::kCancelReward:
      return Parse<loyalty::v1::CancelRewardResponse>(response).entry();
  }
  return LedgerEntry();
}

std::vector<LedgerEntry> EntriesOf(Method method, const std::string& response) {
  switch (method) {
    case Method::kReturn: {
      ReturnResponse parsed = Parse<ReturnResponse>(response);
      return {parsed.entries().begin(), parsed.entries().end()};
    }
    case Method::kTransfer: {
      TransferPointsResponse parsed = Parse<TransferPointsResponse>(response);
      return {parsed.entries().begin(), parsed.entries().end()};
    }
    case Method::kMerge: {
      MergeMembersResponse parsed = Parse<MergeMembersResponse>(response);
      return {parsed.entries().begin(), parsed.entries().end()};
    }
    case Method::kImport:
      return ImportEntries(response);
    case Method::kTransferVoucherUnits: {
      auto parsed =
          Parse<loyalty::v1::TransferVoucherUnitsResponse>(response);
      return {parsed.entry_out(), parsed.entry_in()};
    }
    case Method::kClaimVoucherGift: {
      auto parsed = Parse<loyalty::v1::ClaimVoucherGiftResponse>(response);
      return {parsed.entry_claimed(), parsed.entry()};
    }
    case Method::kRedeemReward: {
      auto parsed = Parse<loyalty::v1::RedeemRewardResponse>(response);
      return {parsed.entries().begin(), parsed.entries().end()};
    }
    default:
      return {EntryOf(method, response)};
  }
}

LedgerClient::LedgerClient(const std::string& address) {
  // A distinct channel argument gives each client its own connection rather
  // than a shared subchannel.
  static std::atomic<int> next_channel_id{0};
  grpc::ChannelArguments args;
  args.SetInt("loyalty.crash.channel_id", next_channel_id++);
  channel_ = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args);
  loyalty_ = LoyaltyService::NewStub(channel_);
  admin_ = AdminService::NewStub(channel_);
}

Outcome LedgerClient::Mutate(Method method, const std::string& api_key,
                             const std::string& request,
                             absl::Duration deadline) {
  switch (method) {
    case Method::kEnroll:
      return Call<EnrollMemberRequest, EnrollMemberResponse>(
          loyalty_.get(), &LoyaltyService::Stub::EnrollMember, api_key,
          request, deadline);
    case Method::kEarn:
      // One earn in three, and every return and event in three, goes
      // through SubmitBatch, as a till's journal sends them: a retry may
      // take the other path and must get the same answer.
      if (next_send_++ % 3 == 0) {
        return CallThroughBatch(loyalty_.get(), api_key, request, deadline,
                                &loyalty::v1::Mutation::mutable_earn,
                                &loyalty::v1::MutationResult::earn);
      }
      return Call<EarnRequest, EarnResponse>(
          loyalty_.get(), &LoyaltyService::Stub::Earn, api_key, request,
          deadline);
    case Method::kRedeem:
      return Call<RedeemRequest, RedeemResponse>(
          loyalty_.get(), &LoyaltyService::Stub::Redeem, api_key, request,
          deadline);
    case Method::kAdjust:
      return Call<AdjustRequest, AdjustResponse>(
          admin_.get(), &AdminService::Stub::Adjust, api_key, request,
          deadline);
    case Method::kEvent:
      if (next_send_++ % 3 == 0) {
        return CallThroughBatch(loyalty_.get(), api_key, request, deadline,
                                &loyalty::v1::Mutation::mutable_record_event,
                                &loyalty::v1::MutationResult::record_event);
      }
      return Call<RecordEventRequest, RecordEventResponse>(
          loyalty_.get(), &LoyaltyService::Stub::RecordEvent, api_key,
          request, deadline);
    case Method::kHold:
      return Call<HoldPointsRequest, HoldPointsResponse>(
          loyalty_.get(), &LoyaltyService::Stub::HoldPoints, api_key, request,
          deadline);
    case Method::kCapture:
      return Call<SettleHoldRequest, SettleHoldResponse>(
          loyalty_.get(), &LoyaltyService::Stub::CapturePoints, api_key,
          request, deadline);
    case Method::kRelease:
      return Call<SettleHoldRequest, SettleHoldResponse>(
          loyalty_.get(), &LoyaltyService::Stub::ReleasePoints, api_key,
          request, deadline);
    case Method::kReturn:
      if (next_send_++ % 3 == 0) {
        return CallThroughBatch(loyalty_.get(), api_key, request, deadline,
                                &loyalty::v1::Mutation::mutable_return_,
                                &loyalty::v1::MutationResult::return_);
      }
      return Call<ReturnRequest, ReturnResponse>(
          loyalty_.get(), &LoyaltyService::Stub::Return, api_key, request,
          deadline);
    case Method::kLink:
      return Call<LinkIdentifierRequest, LinkIdentifierResponse>(
          loyalty_.get(), &LoyaltyService::Stub::LinkIdentifier, api_key,
          request, deadline);
    case Method::kUnlink:
      return Call<UnlinkIdentifierRequest, UnlinkIdentifierResponse>(
          loyalty_.get(), &LoyaltyService::Stub::UnlinkIdentifier, api_key,
          request, deadline);
    case Method::kTransfer:
      return Call<TransferPointsRequest, TransferPointsResponse>(
          loyalty_.get(), &LoyaltyService::Stub::TransferPoints, api_key,
          request, deadline);
    case Method::kImport:
      return FoldImportRows(Call<ImportMembersRequest, ImportMembersResponse>(
          admin_.get(), &AdminService::Stub::ImportMembers, api_key, request,
          deadline));
    case Method::kClose:
      return Call<CloseMemberRequest, CloseMemberResponse>(
          admin_.get(), &AdminService::Stub::CloseMember, api_key, request,
          deadline);
    case Method::kMerge:
      return Call<MergeMembersRequest, MergeMembersResponse>(
          admin_.get(), &AdminService::Stub::MergeMembers, api_key, request,
          deadline);
    case Method::kIssueCoupon:
      return Call<loyalty::v1::IssueCouponRequest,
                  loyalty::v1::IssueCouponResponse>(
          loyalty_.get(), &LoyaltyService::Stub::IssueCoupon, api_key, request,
          deadline);
    case Method::kRedeemCoupon:
      return Call<loyalty::v1::RedeemCouponRequest,
                  loyalty::v1::RedeemCouponResponse>(
          loyalty_.get(), &LoyaltyService::Stub::RedeemCoupon, api_key,
          request, deadline);
    case Method::kReserveCoupon:
      return Call<loyalty::v1::ReserveCouponRequest,
                  loyalty::v1::ReserveCouponResponse>(
          loyalty_.get(), &LoyaltyService::Stub::ReserveCoupon, api_key,
          request, deadline);
    case Method::kCommitCoupon:
      return Call<loyalty::v1::SettleCouponReservationRequest,
                  loyalty::v1::SettleCouponReservationResponse>(
          loyalty_.get(), &LoyaltyService::Stub::CommitCoupon, api_key,
          request, deadline);
    case Method::kReleaseCoupon:
      return Call<loyalty::v1::SettleCouponReservationRequest,
                  loyalty::v1::SettleCouponReservationResponse>(
          loyalty_.get(), &LoyaltyService::Stub::ReleaseCoupon, api_key,
          request, deadline);
    case Method::kIssueVoucher:
      return Call<loyalty::v1::IssueVoucherRequest,
                  loyalty::v1::IssueVoucherResponse>(
          loyalty_.get(), &LoyaltyService::Stub::IssueVoucher, api_key,
          request, deadline);
    case Method::kRedeemVoucherUnits:
      return Call<loyalty::v1::RedeemVoucherUnitsRequest,
                  loyalty::v1::RedeemVoucherUnitsResponse>(
          loyalty_.get(), &LoyaltyService::Stub::RedeemVoucherUnits, api_key,
          request, deadline);
    case Method::kTransferVoucherUnits:
      return Call<loyalty::v1::TransferVoucherUnitsRequest,
                  loyalty::v1::TransferVoucherUnitsResponse>(
          loyalty_.get(), &LoyaltyService::Stub::TransferVoucherUnits,
          api_key, request, deadline);
    case Method::kGiftVoucherUnits:
      return Call<loyalty::v1::GiftVoucherUnitsRequest,
                  loyalty::v1::GiftVoucherUnitsResponse>(
          loyalty_.get(), &LoyaltyService::Stub::GiftVoucherUnits, api_key,
          request, deadline);
    case Method::kClaimVoucherGift:
      return Call<loyalty::v1::ClaimVoucherGiftRequest,
                  loyalty::v1::ClaimVoucherGiftResponse>(
          loyalty_.get(), &LoyaltyService::Stub::ClaimVoucherGift, api_key,
          request, deadline);
    case Method::kRefundVoucherUnits:
      return Call<loyalty::v1::RefundVoucherUnitsRequest,
                  loyalty::v1::RefundVoucherUnitsResponse>(
          loyalty_.get(), &LoyaltyService::Stub::RefundVoucherUnits, api_key,
          request, deadline);
    case Method::kRedeemReward:
      return Call<loyalty::v1::RedeemRewardRequest,
                  loyalty::v1::RedeemRewardResponse>(
          loyalty_.get(), &LoyaltyService::Stub::RedeemReward, api_key, request,
          deadline);
    case Method::kCancelReward:
      return Call<loyalty::v1::CancelRewardRequest,
                  loyalty::v1::CancelRewardResponse>(
          loyalty_.get(), &LoyaltyService::Stub::CancelReward, api_key, request,
          deadline);
  }
  return Outcome();
}

absl::StatusOr<VerifyLedgerResponse> LedgerClient::Verify() {
  VerifyLedgerResponse response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(300));
  grpc::Status status =
      admin_->VerifyLedger(context.get(), VerifyLedgerRequest(), &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("VerifyLedger: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<Balance> LedgerClient::GetBalance(const std::string& member_id) {
  GetBalanceRequest request;
  request.set_member_id(member_id);
  Balance response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status = loyalty_->GetBalance(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("GetBalance: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<loyalty::v1::Coupon> LedgerClient::GetCoupon(
    const std::string& code) {
  loyalty::v1::GetCouponRequest request;
  request.set_code(code);
  loyalty::v1::Coupon response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status = loyalty_->GetCoupon(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("GetCoupon: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<loyalty::v1::Voucher> LedgerClient::GetVoucher(
    const std::string& code) {
  loyalty::v1::GetVoucherRequest request;
  request.set_code(code);
  loyalty::v1::Voucher response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status = loyalty_->GetVoucher(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("GetVoucher: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<loyalty::v1::ListRewardsResponse> LedgerClient::ListRewards() {
  loyalty::v1::ListRewardsResponse response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status = loyalty_->ListRewards(
      context.get(), loyalty::v1::ListRewardsRequest(), &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("ListRewards: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<std::vector<loyalty::v1::LedgerEntry>>
LedgerClient::ListOfflineReconciliations() {
  loyalty::v1::ListOfflineReconciliationsRequest request;
  request.set_page_size(500);
  std::vector<loyalty::v1::LedgerEntry> entries;
  while (true) {
    loyalty::v1::ListOfflineReconciliationsResponse page;
    auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
    grpc::Status status =
        admin_->ListOfflineReconciliations(context.get(), request, &page);
    if (!status.ok()) {
      return absl::Status(
          static_cast<absl::StatusCode>(status.error_code()),
          absl::StrCat("ListOfflineReconciliations: ", status.error_message()));
    }
    for (loyalty::v1::LedgerEntry& entry : *page.mutable_entries()) {
      entries.push_back(std::move(entry));
    }
    if (page.next_page_token().empty()) return entries;
    request.set_page_token(page.next_page_token());
  }
}

absl::StatusOr<Member> LedgerClient::GetMember(const std::string& member_id) {
  GetMemberRequest request;
  request.set_member_id(member_id);
  Member response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status = loyalty_->GetMember(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("GetMember: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<Member> LedgerClient::LookupMember(
    const MemberIdentifier& identifier) {
  LookupMemberRequest request;
  *request.mutable_identifier() = identifier;
  Member response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status =
      loyalty_->LookupMember(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("LookupMember: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<ListEntriesResponse> LedgerClient::ListEntries(
    const std::string& member_id, int32_t page_size,
    const std::string& page_token) {
  ListEntriesRequest request;
  request.set_member_id(member_id);
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  ListEntriesResponse response;
  auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
  grpc::Status status =
      loyalty_->ListEntries(context.get(), request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("ListEntries: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<std::vector<std::string>> LedgerClient::WalletCodes(
    const std::string& member_id) {
  // Each page reads at least one row; a wallet of the crash test's size
  // never needs this many.
  constexpr int kWalletPagesMax = 100000;
  loyalty::v1::ListWalletRequest request;
  request.set_member_id(member_id);
  request.set_include_unusable(true);
  request.set_page_size(500);
  std::vector<std::string> codes;
  for (int pages = 0; pages < kWalletPagesMax; ++pages) {
    loyalty::v1::ListWalletResponse response;
    auto context = ContextWithKey(kAdminKey, absl::Seconds(30));
    grpc::Status status =
        loyalty_->ListWallet(context.get(), request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("ListWallet: ", status.error_message()));
    }
    for (const loyalty::v1::WalletItem& item : response.items()) {
      codes.push_back(item.has_voucher() ? item.voucher().code()
                                         : item.coupon().code());
    }
    if (response.next_page_token().empty()) return codes;
    request.set_page_token(response.next_page_token());
  }
  return absl::InternalError("ListWallet: the page tokens never end");
}

absl::StatusOr<std::vector<loyalty::v1::LedgerEntry>>
LedgerClient::EntriesSince(const std::string& member_id,
                           uint64_t anchor_sequence,
                           const std::string& anchor_hash,
                           int32_t first_page_size) {
  constexpr int32_t kPageSizeMax = 500;
  std::vector<loyalty::v1::LedgerEntry> fresh;
  bool anchored = anchor_sequence == 0;
  int32_t page_size = std::min(first_page_size, kPageSizeMax);
  std::string token;
  while (true) {
    absl::StatusOr<ListEntriesResponse> page =
        ListEntries(member_id, page_size, token);
    if (!page.ok()) return page.status();
    page_size = std::min(kPageSizeMax, page_size * 4);
    bool reached_anchor = false;
    for (const loyalty::v1::LedgerEntry& entry : page->entries()) {
      if (entry.sequence() <= anchor_sequence) {
        anchored = entry.sequence() == anchor_sequence &&
                   entry.hash() == anchor_hash;
        reached_anchor = true;
        break;
      }
      fresh.push_back(entry);
    }
    token = page->next_page_token();
    if (reached_anchor || token.empty()) break;
  }
  if (!anchored) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the statement of ", member_id, " no longer has entry ",
        anchor_sequence, " as an earlier check read it"));
  }
  std::reverse(fresh.begin(), fresh.end());
  return fresh;
}

bool LedgerClient::WaitUntilConnected(absl::Duration timeout) {
  return channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace loyalty::crash
