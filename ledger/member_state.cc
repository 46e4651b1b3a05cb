#include "ledger/member_state.h"

#include <algorithm>
#include <limits>
#include <string>

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

// The item of `list` (sorted by the id `id_of` returns) whose id is `id`;
// a new one, with that id and every other field zero, is inserted in its
// sorted place when there is none. `*inserted` says which.
template <typename Item, typename IdOf, typename SetId>
Item* FindOrInsertSorted(google::protobuf::RepeatedPtrField<Item>* list,
                         const std::string& id, IdOf id_of, SetId set_id,
                         bool* inserted) {
  auto at = std::lower_bound(
      list->begin(), list->end(), id,
      [&](const Item& item, const std::string& key) { return id_of(item) < key; });
  int index = static_cast<int>(at - list->begin());
  *inserted = at == list->end() || id_of(*at) != id;
  if (*inserted) {
    set_id(list->Add(), id);
    // Move the new item from the end to its sorted place.
    for (int i = list->size() - 1; i > index; --i) list->SwapElements(i, i - 1);
  }
  return list->Mutable(index);
}

// Counts an EVENT entry in the member's per-event counts (sorted by id).
void CountEvent(const LedgerEntry& entry, MemberRecord* m) {
  bool inserted = false;
  loyalty::v1::EventCount* at = FindOrInsertSorted(
      m->mutable_event_counts(), entry.event_id(),
      [](const loyalty::v1::EventCount& item) -> const std::string& {
        return item.event_id();
      },
      [](loyalty::v1::EventCount* item, const std::string& id) {
        item->set_event_id(id);
      },
      &inserted);
  if (inserted) at->set_last_day(std::numeric_limits<int64_t>::min());
  at->set_count(at->count() + 1);
  // A day before the last one (the clock stepped back) counts as the last.
  if (entry.event_day() > at->last_day()) {
    at->set_last_day(entry.event_day());
    at->set_count_on_last_day(1);
  } else {
    at->set_count_on_last_day(at->count_on_last_day() + 1);
  }
}

absl::Status ApplyPoints(const LedgerEntry& entry, MemberRecord* m) {
  const int64_t delta = entry.points_delta();
  absl::Status s = AddChecked(
      entry, delta, [m] { return m->available_points(); },
      [m](int64_t v) { m->set_available_points(v); });
  if (!s.ok()) return s;
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_EVENT:
      if (delta <= 0) return Broken(entry, "an EVENT has no positive delta");
      if (entry.event_id().empty()) return Broken(entry, "an EVENT has no id");
      CountEvent(entry, m);
      return AddChecked(
          entry, delta, [m] { return m->earned_points_total(); },
          [m](int64_t v) { m->set_earned_points_total(v); });
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

int64_t EventDay(int64_t recorded_at_ms, absl::TimeZone time_zone) {
  absl::CivilDay day =
      absl::ToCivilDay(absl::FromUnixMillis(recorded_at_ms), time_zone);
  return day - absl::CivilDay(1970, 1, 1);
}

loyalty::v1::EventCount EventCountOf(const MemberRecord& member,
                                     absl::string_view event_id) {
  for (const loyalty::v1::EventCount& count : member.event_counts()) {
    if (count.event_id() == event_id) return count;
  }
  loyalty::v1::EventCount none;
  none.set_event_id(std::string(event_id));
  none.set_last_day(std::numeric_limits<int64_t>::min());
  return none;
}

int64_t PointsOfRule(const RulePointsList& list, absl::string_view rule_id) {
  auto found = std::lower_bound(
      list.begin(), list.end(), rule_id,
      [](const loyalty::v1::RulePoints& item, absl::string_view id) {
        return item.rule_id() < id;
      });
  return found != list.end() && found->rule_id() == rule_id ? found->points()
                                                            : 0;
}

absl::Status AddCampaignLines(const LedgerEntry& entry, RulePointsList* list,
                              Accumulate accumulate) {
  if (entry.kind() != loyalty::v1::ENTRY_KIND_EARN) return absl::OkStatus();
  for (const loyalty::v1::EarnBreakdownLine& line : entry.breakdown()) {
    if (line.kind() != loyalty::v1::RULE_KIND_CAMPAIGN) continue;
    if (line.points() < 0) return Broken(entry, "a campaign line is negative");
    bool inserted = false;
    loyalty::v1::RulePoints* at = FindOrInsertSorted(
        list, line.rule_id(),
        [](const loyalty::v1::RulePoints& item) -> const std::string& {
          return item.rule_id();
        },
        [](loyalty::v1::RulePoints* item, const std::string& id) {
          item->set_rule_id(id);
        },
        &inserted);
    int64_t sum = 0;
    if (__builtin_add_overflow(at->points(), line.points(), &sum)) {
      if (accumulate == Accumulate::kChecked) {
        return Broken(entry, "a campaign total overflows int64");
      }
      sum = std::numeric_limits<int64_t>::max();
    }
    at->set_points(sum);
  }
  return absl::OkStatus();
}

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
    s = AddCampaignLines(entry, next.mutable_campaign_points(),
                         Accumulate::kChecked);
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
