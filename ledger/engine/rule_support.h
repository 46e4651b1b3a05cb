// File: ledger/engine/rule_support.h
//
// Internal to ledger/: what the rules of every domain share (the entry's
// "who did it", the checks of a points delta, member ids and aliases). Run
// on the writer thread.
#ifndef LOYALTY_LEDGER_ENGINE_RULE_SUPPORT_H_
#define LOYALTY_LEDGER_ENGINE_RULE_SUPPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/engine/batch.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

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

// FAILED_PRECONDITION (MEMBER_CLOSED): nothing more may be written to the
// closed member `member_id`.
absl::Status MemberClosed(absl::string_view member_id);

// FAILED_PRECONDITION (MEMBER_MERGED): `alias` was merged into another
// member and a command that must name that member named it.
absl::Status MemberMerged(const loyalty::storage::v1::MemberRecord& alias);

// The member `member_id` resolves to: itself, or (for an alias) the member
// it was merged into, followed to the end. An unknown id resolves to itself
// so the command reports it with its own field name.
absl::StatusOr<std::string> ResolveMemberId(absl::string_view member_id,
                                            Batch& batch);

// Rewrites `*member_id` to the member it resolves to (ResolveMemberId):
// every rule that names a member runs this first, so writes naming a merged
// member's old id act on the member it was merged into.
absl::Status ResolveMemberAlias(std::string* member_id, Batch& batch);

// FAILED_PRECONDITION (MEMBER_MERGED) where a command names ids that a
// merge made one member, or an alias where it must name a member itself.
absl::Status NamesMergedMember(absl::string_view problem);

// `loaded`, with a not-found message that names the request's `field`.
absl::StatusOr<loyalty::storage::v1::MemberRecord*> LoadNamed(
    absl::StatusOr<loyalty::storage::v1::MemberRecord*> loaded,
    absl::string_view field, absl::string_view member_id);

// OK when an entry of `kind` moving `delta` points keeps the member's
// available points at or above zero, everything it owns within int64, and
// the lifetime total the kind adds to within int64; else
// FAILED_PRECONDITION (INSUFFICIENT_POINTS or BALANCE_OVERFLOW).
absl::Status CheckDelta(const loyalty::storage::v1::MemberRecord& member,
                        loyalty::v1::EntryKind kind, int64_t delta);

// `requested` when it is free (ALREADY_EXISTS, MEMBER_EXISTS otherwise), or
// a new random opaque id when it is empty.
absl::StatusOr<std::string> ChooseMemberId(const std::string& requested,
                                           Batch& batch);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_ENGINE_RULE_SUPPORT_H_
