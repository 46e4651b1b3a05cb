// File: tests/crash/ledger_client.h
//
// A test client of one loyaltyd over its own gRPC channel (its own TCP
// connection): sends any mutation as (method, API key, serialized request)
// and returns the whole outcome, so a test can record an answer and later
// re-send the identical request and compare.
//
// Mutations are the five one-phase writes, the three calls of two-phase
// redemption (HoldPoints, CapturePoints, ReleasePoints), Return, the member
// commands (LinkIdentifier, UnlinkIdentifier, TransferPoints),
// ImportMembers, CloseMember and MergeMembers. An ImportMembers call answers each row on
// its own; its Outcome is OK only when every row has a definite answer (each
// row's own code is in the response), and otherwise the first row that has
// none (its code, reason and "rows[i]: " message), so that a client retries
// the whole call, with the same request ids, exactly when some row is in
// doubt.
//
//   LedgerClient client("127.0.0.1:40123");
//   Outcome first = client.Mutate(Method::kEarn, kPosKey, request_bytes);
//   if (IsAcknowledged(first)) ...
#ifndef LOYALTY_TESTS_CRASH_LEDGER_CLIENT_H_
#define LOYALTY_TESTS_CRASH_LEDGER_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"

namespace loyalty::crash {

enum class Method {
  kEnroll,
  kEarn,
  kRedeem,
  kAdjust,
  kEvent,
  kHold,                  // HoldPoints
  kCapture,               // CapturePoints
  kRelease,               // ReleasePoints
  kReturn,                // Return
  kLink,                  // LinkIdentifier
  kUnlink,                // UnlinkIdentifier
  kTransfer,              // TransferPoints
  kImport,                // AdminService.ImportMembers (one call, several rows)
  kClose,                 // AdminService.CloseMember
  kMerge,                 // AdminService.MergeMembers
  kIssueCoupon,           // IssueCoupon
  kRedeemCoupon,          // RedeemCoupon
  kReserveCoupon,         // ReserveCoupon
  kCommitCoupon,          // CommitCoupon
  kReleaseCoupon,         // ReleaseCoupon
  kIssueVoucher,          // IssueVoucher
  kRedeemVoucherUnits,    // RedeemVoucherUnits
  kTransferVoucherUnits,  // TransferVoucherUnits
  kGiftVoucherUnits,      // GiftVoucherUnits
  kClaimVoucherGift,      // ClaimVoucherGift
  kRefundVoucherUnits,    // RefundVoucherUnits
  kRedeemReward,          // RedeemReward
  kCancelReward,          // CancelReward
};
const char* MethodName(Method method);

// The answer to one call, as the client saw it.
struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;
  std::string reason;    // "loyalty-reason" trailing metadata, or "".
  std::string response;  // The serialized response message when code is OK.
};
std::string Describe(const Outcome& outcome);

// An answer the service gives again for a retry with the same request id:
// OK, or a remembered business rejection (NOT_FOUND, FAILED_PRECONDITION,
// ALREADY_EXISTS other than REQUEST_ID_REUSED).
bool IsAcknowledged(const Outcome& outcome);

// A failure that says nothing about whether the request was applied: the
// connection broke (UNAVAILABLE, CANCELLED), the deadline passed, or the
// server was shutting down or full (UNAVAILABLE, RESOURCE_EXHAUSTED).
bool IsInDoubt(const Outcome& outcome);

// Whether two OK responses of `method` are the same outcome: equal in every
// field except `replayed` (for ImportMembers: every row's).
bool SameResponse(Method method, const std::string& a, const std::string& b,
                  std::string* difference);
// The `replayed` flag of an OK response; for ImportMembers, whether every
// OK row was replayed.
bool WasReplayed(Method method, const std::string& response);
// The (first) entry of an OK response: a Return's RETURN entry, a
// transfer's TRANSFER_OUT, a merge's MERGE_OUT, an import's first written
// entry (none for a dry run).
loyalty::v1::LedgerEntry EntryOf(Method method, const std::string& response);
// Every entry of an OK response: one, a Return's RETURN and RESTORE, a
// transfer's TRANSFER_OUT and TRANSFER_IN (a voucher transfer's too, and a
// voucher claim's GIFT_CLAIMED and CLAIM), a merge's MERGE_OUT, MERGE_IN
// (and TIER entries), or the ENROLL, LINK and OPENING entries of every OK
// row of an import (none for a dry run).
std::vector<loyalty::v1::LedgerEntry> EntriesOf(Method method,
                                                const std::string& response);

class LedgerClient {
 public:
  explicit LedgerClient(const std::string& address);

  // Sends one mutation; never throws. `request` is the serialized request
  // message of `method`.
  Outcome Mutate(Method method, const std::string& api_key,
                 const std::string& request,
                 absl::Duration deadline = absl::Seconds(10));

  absl::StatusOr<loyalty::v1::VerifyLedgerResponse> Verify();
  absl::StatusOr<loyalty::v1::Balance> GetBalance(const std::string& member_id);
  absl::StatusOr<loyalty::v1::Coupon> GetCoupon(const std::string& code);
  absl::StatusOr<loyalty::v1::Voucher> GetVoucher(const std::string& code);
  absl::StatusOr<loyalty::v1::ListRewardsResponse> ListRewards();
  // Every offline reconciliation, through every page (admin key).
  absl::StatusOr<std::vector<loyalty::v1::LedgerEntry>>
  ListOfflineReconciliations();
  absl::StatusOr<loyalty::v1::Member> GetMember(const std::string& member_id);
  // NotFound (reason MEMBER_NOT_FOUND) when no member has `identifier`.
  absl::StatusOr<loyalty::v1::Member> LookupMember(
      const loyalty::v1::MemberIdentifier& identifier);
  absl::StatusOr<loyalty::v1::ListEntriesResponse> ListEntries(
      const std::string& member_id, int32_t page_size,
      const std::string& page_token);
  // Wallet: the codes (as printed) of every coupon and voucher in the
  // member's wallet, usable or not, oldest first, through every page.
  absl::StatusOr<std::vector<std::string>> WalletCodes(
      const std::string& member_id);

  // The member's entries after `anchor_sequence`, oldest first, read newest
  // first in pages of `first_page_size` growing 4x up to 500. The anchor
  // entry (0 = none: every entry) must still be in the statement with
  // `anchor_hash`; FailedPrecondition if it is not. Errors of ListEntries
  // (NotFound for an unknown member) pass through.
  absl::StatusOr<std::vector<loyalty::v1::LedgerEntry>> EntriesSince(
      const std::string& member_id, uint64_t anchor_sequence,
      const std::string& anchor_hash, int32_t first_page_size);

  // Waits until the channel is connected; false after `timeout`.
  bool WaitUntilConnected(absl::Duration timeout);

 private:
  // Counts sends, so every third earn, return and event goes through
  // SubmitBatch (Mutate).
  std::atomic<int64_t> next_send_{0};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<loyalty::v1::LoyaltyService::Stub> loyalty_;
  std::unique_ptr<loyalty::v1::AdminService::Stub> admin_;
};

}  // namespace loyalty::crash

#endif  // LOYALTY_TESTS_CRASH_LEDGER_CLIENT_H_
