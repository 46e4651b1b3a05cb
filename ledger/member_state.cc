#include "ledger/member_state.h"

#include "absl/strings/str_cat.h"

namespace loyalty {
namespace {

using loyalty::v1::LedgerEntry;
using loyalty::v1::MemberRecord;

absl::Status Broken(const LedgerEntry& entry, absl::string_view problem) {
  return absl::InternalError(absl::StrCat("entry ", entry.sequence(), " (",
                                          entry.member_id(), "): ", problem));
}

// Adds `delta` to a total through `get`/`set`, refusing to wrap (promise 6).
template <typename Get, typename Set>
absl::Status AddChecked(const LedgerEntry& entry, int64_t delta, Get get,
                        Set set) {
  int64_t sum = 0;
  if (__builtin_add_overflow(get(), delta, &sum)) {
    return Broken(entry, "a total overflows int64");
  }
  set(sum);
  return absl::OkStatus();
}

absl::Status ApplyPoints(const LedgerEntry& entry, MemberRecord* m) {
  const int64_t delta = entry.points_delta();
  absl::Status s = AddChecked(
      entry, delta, [m] { return m->available_points(); },
      [m](int64_t v) { m->set_available_points(v); });
  if (!s.ok()) return s;
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_EARN:
      if (delta < 0) return Broken(entry, "an EARN has a negative delta");
      return AddChecked(
          entry, delta, [m] { return m->earned_points_total(); },
          [m](int64_t v) { m->set_earned_points_total(v); });
    case loyalty::v1::ENTRY_KIND_REDEEM:
      if (delta >= 0) return Broken(entry, "a REDEEM must have a negative delta");
      return AddChecked(
          entry, -delta, [m] { return m->redeemed_points_total(); },
          [m](int64_t v) { m->set_redeemed_points_total(v); });
    case loyalty::v1::ENTRY_KIND_ADJUST:
      if (delta == 0) return Broken(entry, "an ADJUST has a zero delta");
      return AddChecked(
          entry, delta, [m] { return m->adjusted_points_total(); },
          [m](int64_t v) { m->set_adjusted_points_total(v); });
    default:
      return Broken(entry, "unknown entry kind");
  }
}

}  // namespace

absl::Status ApplyEntry(const LedgerEntry& entry, MemberRecord* member) {
  MemberRecord next = *member;
  if (entry.kind() == loyalty::v1::ENTRY_KIND_ENROLL) {
    if (!member->member_id().empty()) {
      return Broken(entry, "ENROLL of a member that already exists");
    }
    if (entry.points_delta() != 0) {
      return Broken(entry, "ENROLL carries points");
    }
    next.set_member_id(entry.member_id());
    next.set_status(loyalty::v1::MEMBER_STATUS_ACTIVE);
    next.set_enrolled_at_ms(entry.recorded_at_ms());
    *next.mutable_identifiers() = entry.identifiers();
  } else {
    if (member->member_id() != entry.member_id()) {
      return Broken(entry, "entry for a member that was never enrolled");
    }
    absl::Status s = ApplyPoints(entry, &next);
    if (!s.ok()) return s;
  }
  // Invariant: no entry takes a member below zero (promise 5).
  if (next.available_points() < 0) {
    return Broken(entry, "available points below zero");
  }
  if (next.available_points() != entry.available_after_points()) {
    return Broken(entry, absl::StrCat("available_after_points says ",
                                      entry.available_after_points(),
                                      " but replay gives ",
                                      next.available_points()));
  }
  next.set_entry_count(next.entry_count() + 1);
  next.set_last_sequence(entry.sequence());
  *member = std::move(next);
  return absl::OkStatus();
}

loyalty::v1::Balance BalanceOf(const MemberRecord& member) {
  loyalty::v1::Balance balance;
  balance.set_member_id(member.member_id());
  balance.set_available_points(member.available_points());
  balance.set_earned_points_total(member.earned_points_total());
  balance.set_redeemed_points_total(member.redeemed_points_total());
  balance.set_adjusted_points_total(member.adjusted_points_total());
  balance.set_entry_count(member.entry_count());
  balance.set_last_sequence(member.last_sequence());
  return balance;
}

}  // namespace loyalty
