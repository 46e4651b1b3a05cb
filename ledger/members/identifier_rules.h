// File: ledger/members/identifier_rules.h
//
// The checks the rules that link identifiers share (LinkIdentifier,
// UnlinkIdentifier, ImportMember). Writer thread only.
#ifndef LOYALTY_LEDGER_MEMBERS_IDENTIFIER_RULES_H_
#define LOYALTY_LEDGER_MEMBERS_IDENTIFIER_RULES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ledger/engine/batch.h"
#include "loyalty/storage/v1/records.pb.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty {

// ALREADY_EXISTS (IDENTIFIER_TAKEN) naming `field`.
absl::Status IdentifierTaken(absl::string_view field, bool by_this_member);

// FAILED_PRECONDITION (TOO_MANY_IDENTIFIERS).
absl::Status TooManyIdentifiers();

// OK when `identifier` may be linked to `member`: nobody has it and the
// member has room for one more.
absl::Status CheckLinkable(const loyalty::storage::v1::MemberRecord& member,
                           const loyalty::v1::MemberIdentifier& identifier,
                           absl::string_view field, Batch& batch);

bool HasIdentifier(const loyalty::storage::v1::MemberRecord& member,
                   const loyalty::v1::MemberIdentifier& identifier);

}  // namespace loyalty

#endif  // LOYALTY_LEDGER_MEMBERS_IDENTIFIER_RULES_H_
