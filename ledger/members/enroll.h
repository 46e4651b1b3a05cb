// File: ledger/members/enroll.h
//
// Enrolling a member.
#ifndef LOYALTY_LEDGER_MEMBERS_ENROLL_H_
#define LOYALTY_LEDGER_MEMBERS_ENROLL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// EnrollMember: a new member, with the id asked for (ALREADY_EXISTS,
// MEMBER_EXISTS, when taken) or a new opaque one, and its identifiers
// (ALREADY_EXISTS, IDENTIFIER_TAKEN, when any member has one). Everyone starts
// in the program's lowest tier.
struct EnrollMemberCommand {
  static constexpr CommandInfo kInfo{.name = "EnrollMember",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::EnrollMemberRequest;
  using Response = loyalty::v1::EnrollMemberResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<EnrollMemberCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_ENROLL_H_
