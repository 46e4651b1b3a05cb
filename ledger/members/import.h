// File: ledger/members/import.h
//
// Legacy balances carried in from a paper-card program.
#ifndef LOYALTY_LEDGER_MEMBERS_IMPORT_H_
#define LOYALTY_LEDGER_MEMBERS_IMPORT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/engine/command.h"
#include "loyalty/v1/loyalty_service.pb.h"

namespace loyalty {

// One legacy balance (a row of ImportMembers): finds the member by card
// (or enrols one), links the phone, credits an OPENING entry. ALREADY_EXISTS
// (IDENTIFIER_TAKEN) when the phone belongs to another member. A dry run
// applies the same rules to the stored state and writes nothing.
struct ImportMemberCommand {
  static constexpr CommandInfo kInfo{.name = "ImportMember",
                                     .service = Service::kAdmin,
                                     .roles = roles::kAdminOnly,
                                     .unary_rpc = false,
                                     .has_dry_run = true};
  using Request = loyalty::v1::ImportMemberRequest;
  using Response = loyalty::v1::ImportMemberResponse;
  using Prepared = NothingPrepared;

  static absl::Status Prepare(const Rules& rules, int64_t now_ms,
                              Request& request, Prepared& prepared);
  static absl::Status Decide(const Rules& rules, Batch& batch,
                             Queued<ImportMemberCommand>& command);
};

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_IMPORT_H_
