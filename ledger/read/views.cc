#include "ledger/read/views.h"

#include "ledger/engine/fold.h"
#include "ledger/points/tiers.h"
#include "ledger/points/time_driven.h"

namespace loyalty {

using loyalty::storage::v1::MemberRecord;

loyalty::v1::Balance BalanceAt(const MemberRecord& record, int64_t now_ms,
                               const Rules& rules) {
  // Nothing due (always so for a member the writer just settled): the
  // projection would be an identical copy of the whole record.
  if (!NextDueEntry(record, now_ms, rules.program, rules.time_zone)) {
    return BalanceOf(record, now_ms);
  }
  return BalanceOf(ProjectedAt(record, now_ms, rules.program, rules.time_zone),
                   now_ms);
}

loyalty::v1::Member MemberAt(const MemberRecord& record, int64_t now_ms,
                             const Rules& rules) {
  loyalty::v1::Member member;
  member.set_member_id(record.member_id());
  member.set_status(record.status());
  member.set_enrolled_at_ms(record.enrolled_at_ms());
  *member.mutable_identifiers() = record.identifiers();
  *member.mutable_merged_member_ids() = record.merged_member_ids();
  const MemberRecord projected =
      ProjectedAt(record, now_ms, rules.program, rules.time_zone);
  *member.mutable_balance() = BalanceOf(projected, now_ms);
  if (HasTiers(rules.program)) {
    *member.mutable_tier() =
        TierStatusOf(projected, rules.program, rules.time_zone, now_ms);
  }
  return member;
}

}  // namespace loyalty
