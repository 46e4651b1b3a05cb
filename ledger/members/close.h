// File: ledger/members/close.h
//
// Closing a member, and erasing its identifiers.
#ifndef LOYALTY_LEDGER_MEMBERS_CLOSE_H_
#define LOYALTY_LEDGER_MEMBERS_CLOSE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// CloseMember (README "Closing a member"): a CLOSE entry forfeits the
// remaining available points or writes off a debt, and with
// erase_personal_data removes every identifier. FAILED_PRECONDITION:
// MEMBER_NOT_SETTLED while points are pending or holds open, MEMBER_CLOSED
// when it is closed already, MEMBER_MERGED for an alias (closing it would
// close the member it resolves to, so that one must be named). Every later
// write naming a closed member is FAILED_PRECONDITION (MEMBER_CLOSED).
struct CloseMemberCommand {
  static constexpr CommandInfo kInfo{.name = "CloseMember",
                                     .service = Service::kAdmin,
                                     .roles = roles::kAdminOnly};
  using Request = loyalty::v1::CloseMemberRequest;
  using Response = loyalty::v1::CloseMemberResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<CloseMemberCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_CLOSE_H_
