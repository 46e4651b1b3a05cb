// File: ledger/points/earn.h
//
// Earning points for a basket.
#ifndef LOYALTY_LEDGER_POINTS_EARN_H_
#define LOYALTY_LEDGER_POINTS_EARN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "ledger/points/earn_rules.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// Earn: points for a basket, computed by the program's rules
// (earn_rules.h) before queueing; the writer applies campaign limits and the
// tier multiplier, which depend on earlier earns. ALREADY_EXISTS
// (ORDER_ALREADY_EARNED) for an order that earned already, NOT_FOUND for an
// unknown member, FAILED_PRECONDITION (BALANCE_OVERFLOW, MEMBER_CLOSED).
struct EarnCommand {
  static constexpr CommandInfo kInfo{
      .name = "Earn", .service = Service::kLoyalty, .roles = roles::kEarning};
  using Request = loyalty::v1::EarnRequest;
  using Response = loyalty::v1::EarnResponse;
  using Prepared = EarnComputation;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<EarnCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_EARN_H_
