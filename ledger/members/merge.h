// File: ledger/members/merge.h
//
// Merging two members into one.
#ifndef LOYALTY_LEDGER_MEMBERS_MERGE_H_
#define LOYALTY_LEDGER_MEMBERS_MERGE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// MergeMembers (README "Merging members"): a MERGE_OUT on the source and a
// MERGE_IN on the target, in one batch, move everything the source owns;
// orders move with it. The source is an alias from then on: every read and
// write naming it acts on the target, except CloseMember and MergeMembers'
// source (MEMBER_MERGED). FAILED_PRECONDITION: TOO_MANY_IDENTIFIERS,
// ORDER_ID_CONFLICT, MEMBER_MERGED, MEMBER_CLOSED, BALANCE_OVERFLOW.
struct MergeMembersCommand {
  static constexpr CommandInfo kInfo{.name = "MergeMembers",
                                     .service = Service::kAdmin,
                                     .roles = roles::kAdminOnly};
  using Request = loyalty::v1::MergeMembersRequest;
  using Response = loyalty::v1::MergeMembersResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<MergeMembersCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_MERGE_H_
