#include "ledger/members/members_verify.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/common/keys.h"
#include "ledger/common/status_util.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::MemberRecord;
using loyalty::v1::LedgerEntry;

// Just the lots an entry transferred, to compare two entries' lots whole.
LedgerEntry TransferredLots(const LedgerEntry& entry) {
  LedgerEntry lots;
  *lots.mutable_transferred_lots() = entry.transferred_lots();
  return lots;
}

}  // namespace

void MembersVerifyPart::BeforeFold(uint64_t /*key_sequence*/,
                                   const LedgerEntry& entry,
                                   const MemberRecord& member_before,
                                   Problems& /*problems*/) {
  if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT) {
    merge_source_before_ = member_before;
  }
}

void MembersVerifyPart::AfterFold(const LedgerEntry& entry,
                                  const loyalty::storage::v1::EntryStorageFields& storage,
                                  Problems& problems) {
  for (const auto& identifier : entry.identifiers()) {
    const std::string identifier_key =
        IdentifierKey(identifier.kind(), identifier.value());
    if (entry.kind() == loyalty::v1::ENTRY_KIND_UNLINK ||
        entry.kind() == loyalty::v1::ENTRY_KIND_CLOSE) {
      identifiers_.erase(identifier_key);
    } else {
      identifiers_[identifier_key] = entry.member_id();
    }
  }
  CheckTransferPair(entry, problems);
  CheckMergePair(entry, storage, problems);
}

absl::Status MembersVerifyPart::Finish(const StoreReader& store,
                                       const ReplayedMembers& /*members*/,
                                       Problems& problems) {
  if (pending_transfer_out_.has_value()) {
    problems.Add(absl::StrCat("entry ", pending_transfer_out_->sequence(),
                              ": a TRANSFER_OUT without its TRANSFER_IN right "
                              "after it"));
  }
  if (pending_merge_out_.has_value()) {
    problems.Add(absl::StrCat("entry ", pending_merge_out_->sequence(),
                              ": a MERGE_OUT without its MERGE_IN right after "
                              "it"));
  }
  return CheckFamilyMatches(store, Family::kIdentifiers, identifiers_,
                            "identifier", problems);
}

// A TRANSFER_OUT is followed at once by its TRANSFER_IN: the other member,
// the same points and the same lots (the pair is one command's).
void MembersVerifyPart::CheckTransferPair(const LedgerEntry& entry,
                                          Problems& problems) {
  const bool is_in = entry.kind() == loyalty::v1::ENTRY_KIND_TRANSFER_IN;
  if (pending_transfer_out_.has_value() || is_in) {
    const LedgerEntry* out =
        pending_transfer_out_.has_value() ? &*pending_transfer_out_ : nullptr;
    const bool paired = out != nullptr && is_in &&
                        entry.member_id() == out->counterparty_member_id() &&
                        entry.counterparty_member_id() == out->member_id() &&
                        entry.points_delta() == -out->points_delta() &&
                        google::protobuf::util::MessageDifferencer::Equals(
                            TransferredLots(entry), TransferredLots(*out));
    if (!paired) {
      problems.Add(absl::StrCat("entry ", entry.sequence(),
                                is_in ? ": a TRANSFER_IN without its "
                                        "TRANSFER_OUT"
                                      : ": a TRANSFER_OUT without its "
                                        "TRANSFER_IN right after it"));
    }
    pending_transfer_out_.reset();
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_TRANSFER_OUT) {
    pending_transfer_out_ = entry;
  }
}

// A MERGE_OUT is followed at once by its MERGE_IN: the other member, the
// same points, and the source's state exactly as replay has it. Then the
// source's orders are the target's.
void MembersVerifyPart::CheckMergePair(const LedgerEntry& entry,
                                       const loyalty::storage::v1::EntryStorageFields& storage,
                                       Problems& problems) {
  const bool is_in = entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_IN;
  if (pending_merge_out_.has_value() || is_in) {
    const LedgerEntry* out =
        pending_merge_out_.has_value() ? &*pending_merge_out_ : nullptr;
    MemberRecord carried;
    const bool paired =
        out != nullptr && is_in &&
        entry.member_id() == out->counterparty_member_id() &&
        entry.counterparty_member_id() == out->member_id() &&
        entry.points_delta() == -out->points_delta() &&
        entry.merged_pending_points() == out->merged_pending_points() &&
        entry.merged_held_points() == out->merged_held_points() &&
        carried.ParseFromString(storage.merged_member_record()) &&
        google::protobuf::util::MessageDifferencer::Equals(
            carried, merge_source_before_);
    if (!paired) {
      problems.Add(absl::StrCat(
          "entry ", entry.sequence(),
          is_in ? ": a MERGE_IN without its MERGE_OUT, or carrying another "
                  "state than the source's"
                : ": a MERGE_OUT without its MERGE_IN right after it"));
    } else {
      points_.MoveOrders(out->member_id(), entry.member_id(), problems);
    }
    pending_merge_out_.reset();
  }
  if (entry.kind() == loyalty::v1::ENTRY_KIND_MERGE_OUT) {
    pending_merge_out_ = entry;
  }
}

}  // namespace loyalty
