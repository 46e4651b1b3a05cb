#include "ledger/members/identifier_rules.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::MemberIdentifier;

absl::Status IdentifierTaken(absl::string_view field, bool by_this_member) {
  return WithReason(
      absl::AlreadyExistsError(absl::StrCat(
          field, by_this_member ? ": already linked to this member"
                                : ": already belongs to another member")),
      loyalty::v1::ERROR_REASON_IDENTIFIER_TAKEN);
}

absl::Status TooManyIdentifiers() {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "this member has ", kIdentifiersPerMemberMax,
                        " identifiers, the most a member may have; unlink "
                        "one first")),
                    loyalty::v1::ERROR_REASON_TOO_MANY_IDENTIFIERS);
}

// OK when `identifier` may be linked to `member`: nobody has it and the
// member has room for one more.
absl::Status CheckLinkable(const MemberRecord& member,
                           const MemberIdentifier& identifier,
                           absl::string_view field, Batch& batch) {
  LEDGER_ASSIGN_OR_RETURN(std::optional<std::string> owner,
                          batch.FindIdentifierOwner(IdentifierKey(
                              identifier.kind(), identifier.value())));
  if (owner.has_value()) {
    return IdentifierTaken(field, *owner == member.member_id());
  }
  if (member.identifiers_size() >= kIdentifiersPerMemberMax) {
    return TooManyIdentifiers();
  }
  return absl::OkStatus();
}

bool HasIdentifier(const MemberRecord& member,
                   const MemberIdentifier& identifier) {
  for (const MemberIdentifier& own : member.identifiers()) {
    if (own.kind() == identifier.kind() && own.value() == identifier.value()) {
      return true;
    }
  }
  return false;
}

}  // namespace loyalty
