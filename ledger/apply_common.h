// File: ledger/apply_common.h
//
// Internal to ledger/: rules every command's Apply shares (ledger_apply.cc,
// ledger_members.cc). Run on the writer thread.
#ifndef LOYALTY_LEDGER_APPLY_COMMON_H_
#define LOYALTY_LEDGER_APPLY_COMMON_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/batch.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/records.pb.h"

namespace loyalty {

// An entry of `kind` for `member_id` with the request's "who did it" fields
// (promise 8), bucket AVAILABLE.
loyalty::v1::LedgerEntry EntryFor(const loyalty::v1::RequestContext& context,
                                  const std::string& principal,
                                  loyalty::v1::EntryKind kind,
                                  const std::string& member_id);

// FAILED_PRECONDITION (BALANCE_OVERFLOW): a lifetime total would pass
// INT64_MAX.
absl::Status TotalOverflow(int64_t total, int64_t delta);
// FAILED_PRECONDITION (INSUFFICIENT_POINTS).
absl::Status InsufficientPoints(int64_t available, int64_t requested);

// FAILED_PRECONDITION (MEMBER_MERGED): `alias` was merged into another
// member and a command that must name that member named it.
absl::Status MemberMerged(const loyalty::v1::MemberRecord& alias);

// The member `member_id` resolves to: itself, or (for an alias) the member
// it was merged into, followed to the end. An unknown id resolves to itself
// so the command reports it with its own field name.
absl::StatusOr<std::string> ResolveMemberId(absl::string_view member_id,
                                            Batch& batch);

// OK when an entry of `kind` moving `delta` points keeps the member's
// available points at or above zero, everything it owns within int64, and
// the lifetime total the kind adds to within int64; else
// FAILED_PRECONDITION (INSUFFICIENT_POINTS or BALANCE_OVERFLOW).
absl::Status CheckDelta(const loyalty::v1::MemberRecord& member,
                        loyalty::v1::EntryKind kind, int64_t delta);

// `requested` when it is free (ALREADY_EXISTS, MEMBER_EXISTS otherwise), or
// a new random opaque id when it is empty.
absl::StatusOr<std::string> ChooseMemberId(const std::string& requested,
                                           Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_APPLY_COMMON_H_
