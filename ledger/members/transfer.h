// File: ledger/members/transfer.h
//
// Transfers of points between members.
#ifndef LOYALTY_LEDGER_MEMBERS_TRANSFER_H_
#define LOYALTY_LEDGER_MEMBERS_TRANSFER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// TransferPoints: moves available points, with their expiry dates, from one
// member to another in one batch (both entries or neither).
// FAILED_PRECONDITION: TRANSFER_NOT_ALLOWED without the program's
// transfer_rules, TRANSFER_LIMIT_REACHED past its per-transfer or per-day
// limit, INSUFFICIENT_POINTS, BALANCE_OVERFLOW for the receiver,
// MEMBER_MERGED when both ids are one member.
struct TransferPointsCommand {
  static constexpr CommandInfo kInfo{.name = "TransferPoints",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kMemberFacing};
  using Request = loyalty::v1::TransferPointsRequest;
  using Response = loyalty::v1::TransferPointsResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<TransferPointsCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_TRANSFER_H_
