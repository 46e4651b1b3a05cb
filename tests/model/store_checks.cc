// The model test's checks of what was written (see harness.h): every
// Write recorded, the entries, identifier, order and schedule keys it must
// hold, and on sampled steps the whole store scanned and hashed before and
// after. They read the RecordingStore, never the Ledger.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runner.h"

namespace loyalty::model {
namespace {

std::string BigEndian64(uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(value >> (56 - 8 * i));
  }
  return bytes;
}

// Keys as documented in ledger/common/keys.h.
std::string ScheduleKey(int64_t due_ms, const std::string& member_id) {
  return BigEndian64(static_cast<uint64_t>(due_ms)) + member_id;
}
std::string MemberEntryKey(const std::string& member_id, uint64_t sequence) {
  return absl::StrCat(member_id, std::string(1, '\0'), BigEndian64(sequence));
}

// The wallet row an entry gives its member (keys.h: the statement index's
// key layout; records.proto: WalletRef), or nullopt: a COUPON_ISSUE, a
// VOUCHER_ISSUE, the receiver's VOUCHER_TRANSFER_IN and the claimer's
// VOUCHER_CLAIM give one, each of its own new code.
std::optional<std::pair<std::string, std::string>> WalletRowOf(
    const ExpectedEntry& entry) {
  storage::v1::WalletRef ref;
  switch (entry.kind) {
    case v1::ENTRY_KIND_COUPON_ISSUE:
      ref.set_code(entry.coupon_code);
      break;
    case v1::ENTRY_KIND_VOUCHER_ISSUE:
      ref.set_code(entry.voucher_details.voucher_issued().code());
      break;
    case v1::ENTRY_KIND_VOUCHER_TRANSFER_IN:
      ref.set_code(entry.voucher_details.voucher_transferred().code());
      break;
    case v1::ENTRY_KIND_VOUCHER_CLAIM:
      ref.set_code(entry.voucher_details.voucher_gift().claimed_code());
      break;
    default:
      return std::nullopt;
  }
  ref.set_voucher(entry.kind != v1::ENTRY_KIND_COUPON_ISSUE);
  return std::make_pair(MemberEntryKey(entry.member_id, entry.sequence),
                        ref.SerializeAsString());
}

int64_t WalletRowCount(const std::vector<ExpectedEntry>& entries) {
  int64_t count = 0;
  for (const ExpectedEntry& entry : entries) {
    count += WalletRowOf(entry).has_value();
  }
  return count;
}

}  // namespace

// Whether a put in the vouchers or voucher_gifts family is one the model
// expects: its key (the canonical code) listed, new exactly when created.
bool VoucherPutExpected(const RecordedPut& put,
                        const std::map<std::string, bool>& voucher_puts,
                        const std::map<std::string, bool>& gift_puts) {
  const std::map<std::string, bool>& puts =
      put.family == Family::kVouchers ? voucher_puts : gift_puts;
  auto found = puts.find(put.key);
  return !put.erase && found != puts.end() && put.existed == !found->second;
}

// The members whose entries `entries` are.
std::set<std::string> MembersOf(const std::vector<ExpectedEntry>& entries) {
  std::set<std::string> members;
  for (const ExpectedEntry& entry : entries) {
    // Bulk coupon codes: a COUPON_GENERATE belongs to no member.
    if (!entry.member_id.empty()) members.insert(entry.member_id);
  }
  return members;
}

// Entries with a member (each has a statement index key).
int64_t MemberEntryCount(const std::vector<ExpectedEntry>& entries) {
  int64_t count = 0;
  for (const ExpectedEntry& entry : entries) count += !entry.member_id.empty();
  return count;
}

std::string PutsText(const Recording& recording) {
  std::string text;
  for (const RecordedPut& put : recording.puts) {
    absl::StrAppend(&text, FamilyName(put.family),
                    put.erase     ? "-"
                    : put.existed ? "~"
                                  : "+",
                    " ");
  }
  return text;
}

bool Runner::CheckWrites(const Command& command, const Expected& expected,
                         const Recording& recording,
                         uint64_t write_count_before) {
  const uint64_t writes = memory_.write_count() - write_count_before;
  if (static_cast<int64_t>(writes) != recording.writes) {
    return Fail("MemoryStore::write_count disagrees with the recorded writes");
  }
  if (expected.effect == Effect::kNothing) {
    if (writes != 0 || !recording.puts.empty()) {
      return Fail(absl::StrCat("a command that must change nothing wrote ",
                               writes, " batch(es): ", PutsText(recording)));
    }
    return true;
  }
  // One batch: the time-driven entries and the command's own (if applied),
  // each with its statement index key; the request record; the member and
  // the head if any entry was written; an earn's order; an enroll's
  // identifiers; the member's schedule key if it moved.
  const int64_t entries = static_cast<int64_t>(expected.entries.size());
  // Each member with an entry (a transfer writes two), once.
  const std::set<std::string> touched = MembersOf(expected.entries);
  std::map<Family, int64_t> want = {
      {Family::kEntries, entries},
      {Family::kMemberEntries, MemberEntryCount(expected.entries)},
      {Family::kRequests, 1},
      {Family::kMembers, static_cast<int64_t>(touched.size())},
      {Family::kMeta, entries > 0 ? 1 : 0},
      {Family::kOrders, expected.orders_written},
      {Family::kIdentifiers,
       expected.identifiers_added + expected.identifiers_moved},
      {Family::kCoupons, expected.coupon_puts},
      {Family::kCouponCounts, expected.coupon_count_puts},
      {Family::kVouchers, static_cast<int64_t>(expected.voucher_puts.size())},
      {Family::kVoucherGifts, static_cast<int64_t>(expected.gift_puts.size())},
      {Family::kCouponBatches, expected.coupon_batch_puts},
      {Family::kCouponBearerUses, expected.bearer_use_puts},
      {Family::kRewardCounts, expected.reward_count_puts},
      {Family::kWallet, WalletRowCount(expected.entries)}};
  bool exact = writes == 1 &&
               recording.ErasesIn(Family::kIdentifiers) ==
                   expected.identifiers_removed &&
               recording.ErasesIn(Family::kOrders) == expected.orders_erased;
  for (const auto& [family, count] : want) {
    exact = exact && recording.PutsIn(family) == count &&
            (family == Family::kIdentifiers || family == Family::kOrders ||
             recording.ErasesIn(family) == 0);
  }
  int64_t new_coupons = 0;
  for (const RecordedPut& put : recording.puts) {
    // Append-only: only a member record, an order record and the head are
    // overwritten; schedule keys are put new and erased existing. Identifier
    // keys are put new, put again (a merge moves them) and erased (an
    // unlink, an erasing close): CheckIdentifierWrites says which. A merge
    // moves order records: erased at the source, put new at the target.
    if (put.family == Family::kSchedule) {
      exact = exact && put.existed == put.erase;
    } else if (put.family == Family::kIdentifiers) {
      // CheckIdentifierWrites.
    } else if (put.family == Family::kOrders) {
      exact = exact && put.existed == (put.erase || expected.orders_added == 0);
    } else if (put.family == Family::kCoupons) {
      // New on an issue (its one new coupon), rewritten on a use, a
      // reservation and its end.
      new_coupons += !put.existed;
    } else if (put.family == Family::kCouponCounts ||
               put.family == Family::kCouponBatches ||
               put.family == Family::kCouponBearerUses ||
               put.family == Family::kRewardCounts) {
      // A count is new on its first issue, rewritten after; a batch record
      // is new on its first chunk; a bearer-use count on its first use.
    } else if (put.family == Family::kVouchers ||
               put.family == Family::kVoucherGifts) {
      exact = exact && VoucherPutExpected(put, expected.voucher_puts,
                                          expected.gift_puts);
    } else if (put.existed && put.family != Family::kMembers &&
               put.family != Family::kMeta) {
      exact = false;
    }
    if (put.family == Family::kMembers) {
      exact = exact && touched.count(put.key) == 1 &&
              put.existed == (put.key != expected.enrolled_member_id);
    }
  }
  exact = exact && new_coupons == expected.coupons_created;
  if (!exact) {
    return Fail(absl::StrCat("a command (", expected.entries.size(),
                             " entries) wrote ", writes,
                             " batch(es): ", PutsText(recording)));
  }
  // The request record: new, under (principal 0x00 request id), with the
  // response of an OK or the rejection's code and reason.
  const std::string request_key =
      absl::StrCat(command.principal, std::string(1, '\0'),
                   ContextOf(command.request).request_id());
  for (const RecordedPut& put : recording.puts) {
    if (put.family != Family::kRequests) continue;
    storage::v1::RequestRecord record;
    const bool ok = expected.effect == Effect::kApplied;
    if (put.key != request_key || put.existed ||
        !record.ParseFromString(put.value) ||
        record.status_code() != static_cast<int>(expected.code) ||
        record.error_reason() != (ok ? 0 : expected.reason) ||
        record.response().empty() != !ok) {
      return Fail(
          "the request record is not a new record of this outcome under "
          "(principal, request id)");
    }
  }
  if (!CheckEntryWrites(recording, expected.entries)) return false;
  if (!CheckIdentifierWrites(recording, expected.entries)) return false;
  return CheckScheduleWrites(recording, MembersOf(expected.entries),
                             &expected.schedule_moves);
}

bool Runner::CheckIdentifierWrites(const Recording& recording,
                                   const std::vector<ExpectedEntry>& entries) {
  // Keys as documented in ledger/common/keys.h: u8(kind) value -> member id.
  // ENROLL and LINK put new keys, a MERGE_IN puts the source's keys again
  // for the target, UNLINK and an erasing CLOSE erase theirs.
  using Op = std::tuple<bool, std::string, std::string, bool>;
  std::multiset<Op> want;
  for (const ExpectedEntry& entry : entries) {
    for (const auto& [kind, value] : entry.identifiers) {
      const std::string key = std::string(1, static_cast<char>(kind)) + value;
      if (entry.kind == v1::ENTRY_KIND_UNLINK ||
          entry.kind == v1::ENTRY_KIND_CLOSE) {
        want.emplace(true, key, "", true);
      } else {
        want.emplace(false, key, entry.member_id,
                     entry.kind == v1::ENTRY_KIND_MERGE_IN);
      }
    }
  }
  std::multiset<Op> got;
  for (const RecordedPut& put : recording.puts) {
    if (put.family == Family::kIdentifiers) {
      got.emplace(put.erase, put.key, put.value, put.existed);
    }
  }
  if (got != want) {
    return Fail(absl::StrCat("identifier keys written (", got.size(),
                             " puts and erases) are not those of the "
                             "entries' identifiers (",
                             want.size(), ")"));
  }
  return true;
}

bool Runner::CheckEntryWrites(const Recording& recording,
                              const std::vector<ExpectedEntry>& entries) {
  size_t next = 0;
  std::multiset<std::string> index_keys;
  std::multiset<std::pair<std::string, std::string>> wallet_rows;
  for (const RecordedPut& put : recording.puts) {
    if (put.family == Family::kMemberEntries) {
      if (!put.value.empty()) return Fail("a statement index value is set");
      index_keys.insert(put.key);
    }
    if (put.family == Family::kWallet) {
      // Written once with its entry, never changed or erased.
      if (put.erase || put.existed) return Fail("a wallet row was changed");
      wallet_rows.emplace(put.key, put.value);
    }
    if (put.family != Family::kEntries) continue;
    if (next == entries.size()) return Fail("more entries than the model's");
    const ExpectedEntry& want = entries[next++];
    storage::v1::StoredEntry stored;
    v1::LedgerEntry entry;
    storage::v1::EntryStorageFields storage;
    if (put.key != BigEndian64(want.sequence) ||
        !stored.ParseFromString(put.value) ||
        !entry.ParseFromString(stored.body()) ||
        !storage.ParseFromString(stored.body())) {
      return Fail(absl::StrCat("entry ", want.sequence,
                               " is not stored under its sequence"));
    }
    // The body is the entry followed by its storage fields (records.proto):
    // those are read above, and are unknown to the contract's message.
    entry.DiscardUnknownFields();
    std::string problem = CompareEntry(want, entry, &storage);
    if (!problem.empty()) return Fail("the stored " + problem);
  }
  if (next != entries.size()) {
    return Fail(absl::StrCat("the ledger wrote ", next, " entries; the model ",
                             entries.size()));
  }
  std::multiset<std::string> want_keys;
  for (const ExpectedEntry& entry : entries) {
    if (entry.member_id.empty()) continue;  // In no statement.
    want_keys.insert(MemberEntryKey(entry.member_id, entry.sequence));
  }
  if (index_keys != want_keys) {
    return Fail("the statement index keys are not the entries' own");
  }
  std::multiset<std::pair<std::string, std::string>> want_rows;
  for (const ExpectedEntry& entry : entries) {
    if (auto row = WalletRowOf(entry)) want_rows.insert(*std::move(row));
  }
  if (wallet_rows != want_rows) {
    return Fail(absl::StrCat("the wallet rows written (", wallet_rows.size(),
                             ") are not those the entries give (",
                             want_rows.size(), ")"));
  }
  return true;
}

bool Runner::CheckScheduleWrites(const Recording& recording,
                                 const std::set<std::string>& touched,
                                 const std::vector<ScheduleMove>* moves) {
  std::multiset<std::pair<bool, std::string>> ops;
  for (const RecordedPut& put : recording.puts) {
    if (put.family != Family::kSchedule) continue;
    const std::string member_id = put.key.size() > 8 ? put.key.substr(8) : "";
    int64_t due_ms = 0;
    for (int i = 0; i < 8 && i < static_cast<int>(put.key.size()); ++i) {
      due_ms = (due_ms << 8) | static_cast<uint8_t>(put.key[i]);
    }
    if (put.key.size() <= 8 || !put.value.empty() || due_ms <= 0 ||
        touched.count(member_id) == 0 || put.existed != put.erase) {
      return Fail(absl::StrCat("a schedule ", put.erase ? "erase" : "put",
                               " of member \"", member_id, "\" due ", due_ms,
                               put.existed ? " (key existed)" : " (key new)",
                               " that the written members do not explain"));
    }
    std::set<int64_t>& keys = schedule_[member_id];
    if (put.erase) {
      keys.erase(due_ms);
      schedule_print_.keys -= 1;
      schedule_print_.sum -= PairHash(put.key, "");
    } else {
      keys.insert(due_ms);
      schedule_print_.keys += 1;
      schedule_print_.sum += PairHash(put.key, "");
    }
    ops.emplace(put.erase, put.key);
  }
  for (const std::string& member_id : touched) {
    const int64_t due_ms = model_.FindMember(member_id)->stored_due_ms;
    const std::set<int64_t> want =
        due_ms == 0 ? std::set<int64_t>{} : std::set<int64_t>{due_ms};
    if (schedule_[member_id] != want) {
      std::string keys;
      for (int64_t key : schedule_[member_id]) absl::StrAppend(&keys, key, " ");
      return Fail(absl::StrCat("member ", member_id, " is scheduled at [", keys,
                               "]; the model's next due time is ", due_ms));
    }
  }
  if (moves == nullptr) return true;
  std::multiset<std::pair<bool, std::string>> want_ops;
  for (const ScheduleMove& move : *moves) {
    if (move.from_ms != 0) {
      want_ops.emplace(true, ScheduleKey(move.from_ms, move.member_id));
    }
    if (move.to_ms != 0) {
      want_ops.emplace(false, ScheduleKey(move.to_ms, move.member_id));
    }
  }
  if (ops != want_ops) {
    return Fail(absl::StrCat("schedule writes differ: ", ops.size(),
                             " puts and erases; the model moves ",
                             moves->size(), " keys"));
  }
  return true;
}

bool Runner::CheckGroupWrites(const std::vector<Expected>& expected,
                              const Recording& recording,
                              uint64_t write_count_before) {
  const uint64_t writes = memory_.write_count() - write_count_before;
  if (static_cast<int64_t>(writes) != recording.writes) {
    return Fail("MemoryStore::write_count disagrees with the recorded writes");
  }
  int64_t decided = 0;
  int64_t orders = 0;  // New order records.
  int64_t orders_written = 0;
  int64_t orders_erased = 0;
  int64_t identifiers = 0;
  int64_t identifiers_removed = 0;
  int64_t coupon_puts = 0;  // A coupon used twice in a batch is put once.
  int64_t coupon_count_puts = 0;
  int64_t coupon_batch_puts = 0;
  int64_t bearer_use_puts = 0;
  int64_t reward_count_puts = 0;
  std::vector<ExpectedEntry> entries;
  // Voucher and gift records: the keys the commands wrote, each put at
  // least once (once per batch it changed in).
  std::set<std::string> voucher_keys;
  std::set<std::string> gift_keys;
  for (const Expected& e : expected) {
    for (const auto& [key, created] : e.voucher_puts) voucher_keys.insert(key);
    for (const auto& [key, created] : e.gift_puts) gift_keys.insert(key);
    coupon_puts += e.coupon_puts;
    coupon_count_puts += e.coupon_count_puts;
    coupon_batch_puts += e.coupon_batch_puts;
    bearer_use_puts += e.bearer_use_puts;
    reward_count_puts += e.reward_count_puts;
    decided += e.effect != Effect::kNothing;
    orders += e.orders_added;
    orders_written += e.orders_written;
    orders_erased += e.orders_erased;
    identifiers += e.identifiers_added + e.identifiers_moved;
    identifiers_removed += e.identifiers_removed;
    entries.insert(entries.end(), e.entries.begin(), e.entries.end());
  }
  const int64_t appended = static_cast<int64_t>(entries.size());
  const std::set<std::string> touched = MembersOf(entries);
  // A member or an order record is written once per batch it changes in.
  // A merge moves order records: an order made and moved in one batch is
  // put once (at the target) and erased at the source, which the store
  // never had; one moved twice in a batch is put once.
  int64_t orders_new = 0;
  std::set<std::string> voucher_keys_put;
  std::set<std::string> gift_keys_put;
  for (const RecordedPut& put : recording.puts) {
    orders_new += put.family == Family::kOrders && !put.existed;
    if (put.family == Family::kVouchers) voucher_keys_put.insert(put.key);
    if (put.family == Family::kVoucherGifts) gift_keys_put.insert(put.key);
  }
  const bool exact =
      recording.PutsIn(Family::kEntries) == appended &&
      recording.PutsIn(Family::kMemberEntries) == MemberEntryCount(entries) &&
      recording.PutsIn(Family::kWallet) == WalletRowCount(entries) &&
      recording.PutsIn(Family::kRequests) == decided &&
      (orders_erased == 0 ? orders_new == orders : orders_new <= orders) &&
      recording.PutsIn(Family::kOrders) <= orders_written &&
      recording.ErasesIn(Family::kOrders) <= orders_erased &&
      recording.PutsIn(Family::kIdentifiers) == identifiers &&
      recording.ErasesIn(Family::kIdentifiers) == identifiers_removed &&
      recording.PutsIn(Family::kMembers) <= appended &&
      recording.PutsIn(Family::kMembers) >=
          static_cast<int64_t>(touched.size()) &&
      recording.PutsIn(Family::kMeta) <= recording.writes &&
      recording.PutsIn(Family::kCoupons) <= coupon_puts &&
      (coupon_puts == 0) == (recording.PutsIn(Family::kCoupons) == 0) &&
      recording.PutsIn(Family::kCouponCounts) <= coupon_count_puts &&
      voucher_keys_put == voucher_keys && gift_keys_put == gift_keys &&
      recording.PutsIn(Family::kCouponBatches) <= coupon_batch_puts &&
      (coupon_batch_puts == 0) ==
          (recording.PutsIn(Family::kCouponBatches) == 0) &&
      recording.PutsIn(Family::kCouponBearerUses) <= bearer_use_puts &&
      (bearer_use_puts == 0) ==
          (recording.PutsIn(Family::kCouponBearerUses) == 0) &&
      recording.PutsIn(Family::kRewardCounts) <= reward_count_puts &&
      (reward_count_puts == 0) ==
          (recording.PutsIn(Family::kRewardCounts) == 0) &&
      (appended == 0) == (recording.PutsIn(Family::kMeta) == 0) &&
      (decided == 0) == (writes == 0);
  if (!exact) {
    return Fail(absl::StrCat(
        "a group of ", expected.size(), " commands (", decided, " decided, ",
        appended, " entries of ", touched.size(), " members) wrote ", writes,
        " batch(es) with entries=", recording.PutsIn(Family::kEntries),
        " requests=", recording.PutsIn(Family::kRequests),
        " members=", recording.PutsIn(Family::kMembers),
        " orders=", recording.PutsIn(Family::kOrders),
        " identifiers=", recording.PutsIn(Family::kIdentifiers), " meta=",
        recording.PutsIn(Family::kMeta), "; the model: orders=", orders,
        " identifiers=", identifiers, "\n  ", PutsText(recording)));
  }
  for (const RecordedPut& put : recording.puts) {
    if (put.family == Family::kSchedule) continue;  // CheckScheduleWrites.
    // Identifier keys: CheckIdentifierWrites, op by op.
    if (put.family == Family::kIdentifiers) continue;
    if (put.family == Family::kOrders && put.erase) continue;  // Moved.
    if (put.erase ||
        (put.existed && put.family != Family::kMembers &&
         put.family != Family::kOrders && put.family != Family::kMeta &&
         put.family != Family::kCoupons &&
         put.family != Family::kCouponCounts &&
         put.family != Family::kVouchers &&
         put.family != Family::kVoucherGifts &&
         put.family != Family::kCouponBatches &&
         put.family != Family::kCouponBearerUses &&
         put.family != Family::kRewardCounts)) {
      return Fail(
          absl::StrCat("a group overwrote a key in ", FamilyName(put.family)));
    }
    if (put.family == Family::kMembers && touched.count(put.key) == 0) {
      return Fail("a group wrote a member without entries");
    }
  }
  if (!CheckEntryWrites(recording, entries)) return false;
  if (!CheckIdentifierWrites(recording, entries)) return false;
  // Batches may split the group anywhere, so the schedule moves are
  // checked by where they leave each member, not one by one.
  return CheckScheduleWrites(recording, touched, nullptr);
}

int64_t Runner::WalletRowsOfModel() const {
  // One row per coupon issued to a member and per voucher code (each is
  // made by its ISSUE, TRANSFER_IN or CLAIM).
  int64_t rows = static_cast<int64_t>(model_.vouchers().size());
  for (const auto& [code, coupon] : model_.coupons()) {
    rows += !coupon.owner.empty();
  }
  return rows;
}

absl::StatusOr<StorePrint> Runner::Scan() {
  ++report_.store_scans;
  return ScanStore(memory_);
}

bool Runner::Before(std::optional<StorePrint>* before, uint64_t* write_count) {
  if (store_.Take().writes != 0) {
    return Fail("the ledger wrote to the store between commands");
  }
  *write_count = memory_.write_count();
  if (!ShouldScan()) return true;
  // The last scan still holds when no Write came since.
  if (last_print_.has_value() && last_print_write_count_ == *write_count) {
    *before = *last_print_;
    return true;
  }
  absl::StatusOr<StorePrint> scanned = Scan();
  if (!scanned.ok()) return Fail(OutcomeText(scanned.status()));
  *before = *scanned;
  return true;
}

bool Runner::ShouldScan() {
  // Small stores every step; big ones sampled to a budget of keys read.
  const double keys = static_cast<double>(std::max<int64_t>(1, store_.keys()));
  const double p =
      static_cast<double>(options_.scan_keys_per_step) / (2 * keys);
  return std::uniform_real_distribution<double>(0, 1)(check_rng_) < p;
}

bool Runner::CheckScan(const StorePrint& before, const Recording& recording) {
  ++report_.steps_scanned;
  absl::StatusOr<StorePrint> after = Scan();
  if (!after.ok()) return Fail(OutcomeText(after.status()));
  // No byte may change except by the recorded puts.
  const StorePrint want = recording.Apply(before);
  if (*after != want) {
    return Fail(absl::StrCat("the store changed beyond the recorded puts:\n",
                             "  before   ", PrintText(before), "\n  expected ",
                             PrintText(want), "\n  after    ",
                             PrintText(*after)));
  }
  last_print_ = *after;
  last_print_write_count_ = memory_.write_count();
  // Every family's size follows from the model.
  const auto keys = [&](Family f) {
    return (*after)[static_cast<int>(f)].keys;
  };
  const int64_t sequence = static_cast<int64_t>(model_.last_sequence());
  const int64_t memberless = static_cast<int64_t>(model_.memberless_entries());
  if (keys(Family::kEntries) != sequence ||
      keys(Family::kMemberEntries) != sequence - memberless ||
      keys(Family::kMembers) !=
          static_cast<int64_t>(model_.member_order().size()) ||
      keys(Family::kIdentifiers) !=
          static_cast<int64_t>(model_.identifier_count()) ||
      keys(Family::kRequests) !=
          static_cast<int64_t>(model_.requests_remembered()) ||
      keys(Family::kOrders) != static_cast<int64_t>(model_.order_count()) ||
      keys(Family::kMeta) != (sequence > 0 ? 1 : 0) ||
      keys(Family::kWallet) != WalletRowsOfModel() ||
      keys(Family::kSchedule) !=
          static_cast<int64_t>(model_.scheduled_count())) {
    return Fail(absl::StrCat("store family sizes disagree with the model: ",
                             PrintText(*after), " model: sequence=", sequence,
                             " members=", model_.member_order().size(),
                             " identifiers=", model_.identifier_count(),
                             " requests=", model_.requests_remembered(),
                             " orders=", model_.order_count(),
                             " scheduled=", model_.scheduled_count(),
                             " wallet rows=", WalletRowsOfModel()));
  }
  // The schedule holds exactly the keys the writes left (which
  // CheckScheduleWrites held against the model member by member).
  if ((*after)[static_cast<int>(Family::kSchedule)] != schedule_print_) {
    return Fail("the schedule family differs from the keys the writes left");
  }
  return true;
}

}  // namespace loyalty::model
