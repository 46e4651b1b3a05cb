// File: ledger/members/link.h
//
// Linking and unlinking a member's identifiers.
#ifndef LOYALTY_LEDGER_MEMBERS_LINK_H_
#define LOYALTY_LEDGER_MEMBERS_LINK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// LinkIdentifier: a card, phone, email, app user or partner account now
// finds the member. ALREADY_EXISTS (IDENTIFIER_TAKEN) when any member has it,
// FAILED_PRECONDITION (TOO_MANY_IDENTIFIERS) past kIdentifiersPerMemberMax.
struct LinkIdentifierCommand {
  static constexpr CommandInfo kInfo{.name = "LinkIdentifier",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::LinkIdentifierRequest;
  using Response = loyalty::v1::LinkIdentifierResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<LinkIdentifierCommand>& command);
};

// UnlinkIdentifier: the identifier no longer finds the member and is free
// again. NOT_FOUND (IDENTIFIER_NOT_FOUND) when the member lacks it.
struct UnlinkIdentifierCommand {
  static constexpr CommandInfo kInfo{.name = "UnlinkIdentifier",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::UnlinkIdentifierRequest;
  using Response = loyalty::v1::UnlinkIdentifierResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<UnlinkIdentifierCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_LINK_H_
