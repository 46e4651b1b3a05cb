// File: ledger/command.h
//
// Internal to ledger/: one queued mutation, with what the caller's thread
// precomputed (fingerprint, request key, earn computation) so the single
// writer does as little as possible, and the outcome the writer decides.
#ifndef LOYALTY_LEDGER_COMMAND_H_
#define LOYALTY_LEDGER_COMMAND_H_

#include <string>
#include <variant>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "ledger/earn_rules.h"
#include "ledger/ledger.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// The ledger's own command: settle members whose schedule says something
// fell due. No request id, nothing remembered.
struct SweepRequest {
  int members_max = 0;
};

struct Command {
  using Request =
      std::variant<loyalty::v1::EnrollMemberRequest, loyalty::v1::EarnRequest,
                   loyalty::v1::RedeemRequest, loyalty::v1::AdjustRequest,
                   loyalty::v1::RecordEventRequest,
                   loyalty::v1::HoldPointsRequest,
                   loyalty::v1::SettleHoldRequest, loyalty::v1::ReturnRequest,
                   loyalty::v1::LinkIdentifierRequest,
                   loyalty::v1::UnlinkIdentifierRequest,
                   loyalty::v1::TransferPointsRequest,
                   loyalty::v1::ImportMemberRequest,
                   loyalty::v1::CloseMemberRequest,
                   loyalty::v1::MergeMembersRequest, SweepRequest>;
  using Response =
      std::variant<std::monostate, loyalty::v1::EnrollMemberResponse,
                   loyalty::v1::EarnResponse, loyalty::v1::RedeemResponse,
                   loyalty::v1::AdjustResponse,
                   loyalty::v1::RecordEventResponse,
                   loyalty::v1::HoldPointsResponse,
                   loyalty::v1::SettleHoldResponse,
                   loyalty::v1::ReturnResponse,
                   loyalty::v1::LinkIdentifierResponse,
                   loyalty::v1::UnlinkIdentifierResponse,
                   loyalty::v1::TransferPointsResponse,
                   loyalty::v1::ImportMemberResponse,
                   loyalty::v1::CloseMemberResponse,
                   loyalty::v1::MergeMembersResponse, SweepResult>;

  std::string principal;
  Request request;
  // RequestKey(principal, request id).
  std::string request_key;
  // SHA-256 over the method and the request's deterministic bytes.
  std::string fingerprint;
  // Earn only: the points, computed before queueing.
  EarnComputation earn;
  // SettleHoldRequest only: capture (true) or release (false).
  bool capture = false;
  // ImportMemberRequest only: apply the rules to the stored state in a
  // batch that is never written, and remember nothing.
  bool dry_run = false;

  // Set by the writer (or by Submit for an early rejection).
  absl::Status outcome;
  Response response;
  // Hands outcome/response to the caller's typed callback. Called once.
  absl::AnyInvocable<void(Command&) &&> complete;
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_COMMAND_H_
