// File: ledger/common/validation.h
//
// Pure checks of request shape, run before a command is queued. Each returns
// OK or InvalidArgument "field: problem" for the first problem (promise 7).
// Malformed requests never reach the writer, so they are never remembered
// under their request id and never change anything.
#ifndef LOYALTY_LEDGER_COMMON_VALIDATION_H_
#define LOYALTY_LEDGER_COMMON_VALIDATION_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// 1..64 characters of [A-Za-z0-9._:@-]: member ids, principals, program
// and rule ids.
absl::Status ValidateId(absl::string_view value, absl::string_view field);

// Printable ASCII without spaces, at most `length_max` characters (empty
// only when not `required`): order, store, terminal, sku and request ids,
// app user ids and partner accounts.
absl::Status ValidateToken(absl::string_view value, absl::string_view field,
                           size_t length_max, bool required);
// kCardNumberDigitsMin..kCardNumberDigitsMax digits.
absl::Status ValidateCardNumber(absl::string_view value,
                                absl::string_view field);

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
// Protobuf refuses to parse strings that are not, so nothing else may ever
// reach an entry: it would be stored but could not be read back.
bool IsValidUtf8(absl::string_view text);

// At most `length_max` bytes of UTF-8 without control characters: categories,
// notes, display names.
absl::Status ValidateText(absl::string_view value, absl::string_view field,
                          size_t length_max);

// Channel requests (LoyaltyService). `now_ms` bounds occurred_at_ms.
absl::Status ValidateChannelContext(const loyalty::v1::RequestContext& context,
                                    int64_t now_ms);
// Admin requests: the channel must be unset or CHANNEL_ADMIN.
absl::Status ValidateAdminContext(const loyalty::v1::RequestContext& context,
                                  int64_t now_ms);

absl::Status ValidateEnroll(const loyalty::v1::EnrollMemberRequest& request,
                            int64_t now_ms);
// When a request's event happened: context.occurred_at_ms, or `now_ms` when
// the channel sent none. It selects active campaigns and event windows.
int64_t OccurredAtMs(const loyalty::v1::RequestContext& context,
                     int64_t now_ms);

// A quote is an earn request whose request id and order id may be empty.
absl::Status ValidateQuoteEarn(const loyalty::v1::EarnRequest& request,
                               int64_t now_ms);
absl::Status ValidateEarn(const loyalty::v1::EarnRequest& request,
                          int64_t now_ms);
absl::Status ValidateRecordEvent(
    const loyalty::v1::RecordEventRequest& request, int64_t now_ms);
absl::Status ValidateRedeem(const loyalty::v1::RedeemRequest& request,
                            int64_t now_ms);
// timeout_ms must lie in [1 s, timeout_max_ms] (the program's).
absl::Status ValidateHoldPoints(const loyalty::v1::HoldPointsRequest& request,
                                int64_t now_ms, int64_t timeout_max_ms);
absl::Status ValidateReturn(const loyalty::v1::ReturnRequest& request,
                            int64_t now_ms);
// For CapturePoints and ReleasePoints.
absl::Status ValidateSettleHold(const loyalty::v1::SettleHoldRequest& request,
                                int64_t now_ms);
// Hold ids are "H" and the decimal sequence of the HOLD entry, so the ledger
// itself is where a hold is found, open or not.
std::string HoldIdOf(uint64_t hold_sequence);
std::optional<uint64_t> ParseHoldId(absl::string_view hold_id);
// A coupon reservation's id: "R" and its COUPON_RESERVE entry's sequence.
std::string CouponReservationIdOf(uint64_t reserve_sequence);
std::optional<uint64_t> ParseCouponReservationId(
    absl::string_view reservation_id);

absl::Status ValidateAdjust(const loyalty::v1::AdjustRequest& request,
                            int64_t now_ms);
absl::Status ValidateCloseMember(const loyalty::v1::CloseMemberRequest& request,
                                 int64_t now_ms);
absl::Status ValidateMergeMembers(
    const loyalty::v1::MergeMembersRequest& request, int64_t now_ms);
absl::Status ValidateLinkIdentifier(
    const loyalty::v1::LinkIdentifierRequest& request, int64_t now_ms);
absl::Status ValidateUnlinkIdentifier(
    const loyalty::v1::UnlinkIdentifierRequest& request, int64_t now_ms);
absl::Status ValidateTransferPoints(
    const loyalty::v1::TransferPointsRequest& request, int64_t now_ms);
// The row's shape; the phone is checked by IdentifierCodec and earned_on by
// CheckEarnedOn, which need the program.
absl::Status ValidateImportMember(
    const loyalty::v1::ImportMemberRequest& request, int64_t now_ms);
// The start of day `earned_on` ("YYYY-MM-DD") in `time_zone`, in Unix ms;
// InvalidArgument naming earned_on for another shape or a future day.
absl::StatusOr<int64_t> CheckEarnedOn(absl::string_view earned_on,
                                      absl::TimeZone time_zone,
                                      int64_t now_ms);
absl::Status ValidateListEntries(
    const loyalty::v1::ListEntriesRequest& request);
// Wallet: member_id an id, page_size in [0, kPageSizeMax].
absl::Status ValidateListWallet(const loyalty::v1::ListWalletRequest& request);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMON_VALIDATION_H_
