// File: ledger/points/holds.h
//
// Two-phase redemption: a hold reserves points; capture spends them,
// release gives them back, each at most once (promise 5).
#ifndef LOYALTY_LEDGER_POINTS_HOLDS_H_
#define LOYALTY_LEDGER_POINTS_HOLDS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// HoldPoints: reserves available points for a two-phase redemption; the
// hold times out by itself. FAILED_PRECONDITION (INSUFFICIENT_POINTS,
// TOO_MANY_HOLDS).
struct HoldPointsCommand {
  static constexpr CommandInfo kInfo{.name = "HoldPoints",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::HoldPointsRequest;
  using Response = loyalty::v1::HoldPointsResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<HoldPointsCommand>& command);
};

// CapturePoints: spends a hold, once. NOT_FOUND (HOLD_NOT_FOUND) for an id that
// is no HOLD of the member, FAILED_PRECONDITION (HOLD_NOT_ACTIVE) for one
// captured, released or timed out.
struct CapturePointsCommand {
  static constexpr CommandInfo kInfo{.name = "CapturePoints",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::SettleHoldRequest;
  using Response = loyalty::v1::SettleHoldResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<CapturePointsCommand>& command);
};

// ReleasePoints: gives back a hold, once. NOT_FOUND (HOLD_NOT_FOUND) for an id
// that is no HOLD of the member, FAILED_PRECONDITION (HOLD_NOT_ACTIVE) for one
// captured, released or timed out.
struct ReleasePointsCommand {
  static constexpr CommandInfo kInfo{.name = "ReleasePoints",
                                     .service = Service::kLoyalty,
                                     .roles = roles::kTillAndApp};
  using Request = loyalty::v1::SettleHoldRequest;
  using Response = loyalty::v1::SettleHoldResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<ReleasePointsCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_POINTS_HOLDS_H_
