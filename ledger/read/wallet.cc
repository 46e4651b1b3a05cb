#include "ledger/read/wallet.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/common/keys.h"
#include "ledger/common/limits.h"
#include "ledger/common/page_token.h"
#include "ledger/common/status_util.h"
#include "ledger/coupons/templates.h"
#include "ledger/vouchers/products.h"

namespace loyalty {
namespace {

using loyalty::storage::v1::MemberRecord;
using loyalty::storage::v1::WalletRef;

struct IndexedRow {
  uint64_t sequence = 0;
  std::string member_id;
  WalletRef ref;
};

// Appends up to `rows_max` of `member_id`'s rows after `after_sequence`,
// oldest first.
absl::Status ReadRowsOf(const StoreReader& store, const std::string& member_id,
                        std::optional<uint64_t> after_sequence, size_t rows_max,
                        std::vector<IndexedRow>& rows) {
  std::string lower = WalletLower(member_id);
  if (after_sequence.has_value()) {
    if (*after_sequence == std::numeric_limits<uint64_t>::max()) {
      return absl::OkStatus();
    }
    lower = WalletKey(member_id, *after_sequence + 1);
  }
  size_t read = 0;
  absl::Status problem = absl::OkStatus();
  LEDGER_RETURN_IF_ERROR(store.Scan(
      Family::kWallet, lower, WalletUpper(member_id), /*reverse=*/false,
      [&](absl::string_view key, absl::string_view value) {
        IndexedRow row;
        std::optional<uint64_t> sequence = SequenceOfMemberEntryKey(key);
        if (!sequence.has_value() ||
            !row.ref.ParseFromArray(value.data(),
                                    static_cast<int>(value.size()))) {
          problem = absl::DataLossError(absl::StrCat(
              "a wallet row of member \"", member_id, "\" is malformed"));
          return false;
        }
        row.sequence = *sequence;
        row.member_id = member_id;
        rows.push_back(std::move(row));
        return ++read < rows_max;
      }));
  return problem;
}

absl::Status NotTheRowsMember(const IndexedRow& row) {
  return absl::DataLossError(
      absl::StrCat("wallet row ", row.sequence, " of member \"", row.member_id,
                   "\" names ", row.ref.voucher() ? "voucher " : "coupon ",
                   row.ref.code(), ", which is missing or another member's"));
}

// The row's coupon or voucher as of `now_ms`.
absl::StatusOr<loyalty::v1::WalletItem> LoadItem(const StoreReader& store,
                                                 const Rules& rules,
                                                 const IndexedRow& row,
                                                 int64_t now_ms) {
  loyalty::v1::WalletItem item;
  const std::string key = row.ref.voucher() ? VoucherKey(row.ref.code())
                                            : CouponKey(row.ref.code());
  absl::StatusOr<std::string> bytes =
      store.Get(row.ref.voucher() ? Family::kVouchers : Family::kCoupons, key);
  if (absl::IsNotFound(bytes.status())) return NotTheRowsMember(row);
  if (!bytes.ok()) return bytes.status();
  if (row.ref.voucher()) {
    loyalty::storage::v1::VoucherRecord record;
    if (!record.ParseFromString(*bytes)) {
      return absl::DataLossError("a stored voucher cannot be decoded");
    }
    // Invariant: a voucher stays with the member it was given to (a
    // transfer or claim gives the receiver a code of its own).
    if (record.member_id() != row.member_id) return NotTheRowsMember(row);
    *item.mutable_voucher() = VoucherView(
        record, FindVoucherProduct(rules.program, record.product_id()), now_ms);
  } else {
    loyalty::storage::v1::CouponRecord record;
    if (!record.ParseFromString(*bytes)) {
      return absl::DataLossError("a stored coupon cannot be decoded");
    }
    // Invariant: a coupon stays with the member it was issued to (a merge
    // makes its owner an alias of the target; the record is unchanged).
    if (record.member_id() != row.member_id) return NotTheRowsMember(row);
    *item.mutable_coupon() = CouponView(
        record, FindCouponTemplate(rules.program, record.template_id()),
        now_ms);
  }
  return item;
}

}  // namespace

bool IsUsableWalletItem(const loyalty::v1::WalletItem& item) {
  if (item.has_voucher()) {
    return item.voucher().state() == loyalty::v1::VOUCHER_STATE_USABLE;
  }
  switch (item.coupon().state()) {
    case loyalty::v1::COUPON_STATE_USABLE:
    case loyalty::v1::COUPON_STATE_RESERVED:
    case loyalty::v1::COUPON_STATE_NOT_YET_VALID:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<loyalty::v1::ListWalletResponse> ListWalletOf(
    const StoreReader& store, const Rules& rules, const MemberRecord& owner,
    const loyalty::v1::ListWalletRequest& request,
    std::optional<uint64_t> after_sequence, int64_t now_ms) {
  // Invariant: the request was validated and the owner resolved.
  LEDGER_CHECK(request.page_size() >= 0);
  LEDGER_CHECK(request.page_size() <= kPageSizeMax);
  LEDGER_CHECK(owner.status() != loyalty::v1::MEMBER_STATUS_MERGED);
  const size_t page_size = request.page_size() == 0
                               ? static_cast<size_t>(kPageSizeDefault)
                               : static_cast<size_t>(request.page_size());
  const size_t rows_scanned_max = kWalletRowsScannedMax;

  // The first rows_scanned_max + 1 rows of the union are among the first
  // rows_scanned_max + 1 of each member's: reading that many of each and
  // sorting gives the union's first ones, and one more than can be read
  // tells whether rows remain.
  std::vector<IndexedRow> rows;
  LEDGER_RETURN_IF_ERROR(ReadRowsOf(store, owner.member_id(), after_sequence,
                                    rows_scanned_max + 1, rows));
  for (const std::string& merged_id : owner.merged_member_ids()) {
    LEDGER_RETURN_IF_ERROR(ReadRowsOf(store, merged_id, after_sequence,
                                      rows_scanned_max + 1, rows));
  }
  std::sort(rows.begin(), rows.end(),
            [](const IndexedRow& a, const IndexedRow& b) {
              return a.sequence < b.sequence;
            });

  loyalty::v1::ListWalletResponse response;
  size_t scanned = 0;
  while (scanned < rows.size() && scanned < rows_scanned_max &&
         static_cast<size_t>(response.items_size()) < page_size) {
    const IndexedRow& row = rows[scanned++];
    LEDGER_ASSIGN_OR_RETURN(loyalty::v1::WalletItem item,
                            LoadItem(store, rules, row, now_ms));
    if (request.include_unusable() || IsUsableWalletItem(item)) {
      *response.add_items() = std::move(item);
    }
  }
  if (scanned < rows.size()) {
    response.set_next_page_token(
        EncodeWalletPageToken(request.member_id(), rows[scanned - 1].sequence));
  }
  return response;
}

}  // namespace loyalty
