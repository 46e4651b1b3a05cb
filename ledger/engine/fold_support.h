// File: ledger/engine/fold_support.h
//
// Internal to the folds (engine/fold.cc and each domain's *_fold.cc): what
// they share to name a broken entry and keep sorted lists.
#ifndef LOYALTY_LEDGER_ENGINE_FOLD_SUPPORT_H_
#define LOYALTY_LEDGER_ENGINE_FOLD_SUPPORT_H_

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "loyalty/v1/common.pb.h"

namespace loyalty::fold {

// Internal: `entry` cannot follow the state (a fold never decides; a rule
// that appended it has a bug, or the stored ledger was altered).
inline absl::Status Broken(const loyalty::v1::LedgerEntry& entry,
                           absl::string_view problem) {
  return absl::InternalError(absl::StrCat("entry ", entry.sequence(), " (",
                                          entry.member_id(), "): ", problem));
}

// Broken unless `entry` moves the `expected` bucket.
inline absl::Status ExpectBucket(const loyalty::v1::LedgerEntry& entry,
                                 loyalty::v1::Bucket expected) {
  return entry.bucket() == expected
             ? absl::OkStatus()
             : Broken(entry, "the entry moves the wrong bucket");
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

}  // namespace loyalty::fold

#endif  // LOYALTY_LEDGER_ENGINE_FOLD_SUPPORT_H_
