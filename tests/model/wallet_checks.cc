// The model test's checks of the wallet (see harness.h): ListWallet of a
// member, through every page, lists exactly the coupons and vouchers the
// model gave to it and to the members merged into it, oldest first; the
// default listing keeps the usable ones of them. The Ledger is read here
// only through ListWallet; the model says what each member owns.
#include <algorithm>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runner.h"

namespace loyalty::model {
namespace {

// Page sizes the checks ask for: the server's default, tiny pages (so pages
// end inside a wallet and between its members' rows) and a large one.
constexpr int32_t kWalletPageSizes[] = {0, 1, 2, 3, 500};

// One item the model expects: the sequence of the entry that gave it, its
// canonical code and whether it is usable now.
struct WantedItem {
  uint64_t sequence = 0;
  std::string code;
  bool usable = false;
};

std::string CodesText(const std::vector<std::string>& codes) {
  return codes.empty() ? "none" : absl::StrJoin(codes, " ");
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Runner::ListWalletCodes(
    const std::string& named_id, bool include_unusable) {
  v1::ListWalletRequest request;
  request.set_member_id(named_id);
  request.set_include_unusable(include_unusable);
  request.set_page_size(kWalletPageSizes[std::uniform_int_distribution<size_t>(
      0, std::size(kWalletPageSizes) - 1)(check_rng_)]);
  std::vector<std::string> codes;
  // Each page reads at least one row, so there are at most as many pages
  // as rows (entries) plus the last.
  for (uint64_t pages = 0; pages <= model_.last_sequence() + 1; ++pages) {
    absl::StatusOr<v1::ListWalletResponse> page = ledger_->ListWallet(request);
    if (!page.ok()) return page.status();
    ++report_.wallet_pages;
    for (const v1::WalletItem& item : page->items()) {
      codes.push_back(ModelCanonicalCode(
          item.has_voucher() ? item.voucher().code() : item.coupon().code()));
    }
    if (page->next_page_token().empty()) return codes;
    request.set_page_token(page->next_page_token());
  }
  return absl::InternalError("the page tokens never end");
}

bool Runner::CheckWalletOf(const std::string& named_id) {
  const std::string member_id = model_.Resolve(named_id);
  if (model_.FindMember(member_id) == nullptr) return true;
  const int64_t now_ms = clock_.NowMs();
  std::vector<WantedItem> wanted;
  for (const auto& [code, coupon] : model_.coupons()) {
    // Bulk coupon codes (owner "") are nobody's until used.
    if (coupon.owner.empty() || model_.Resolve(coupon.owner) != member_id) {
      continue;
    }
    wanted.push_back(
        {coupon.issued_sequence, code,
         !coupon.cancelled && coupon.uses < coupon.uses_allowed &&
             now_ms < coupon.valid_until_ms});
  }
  for (const auto& [code, voucher] : model_.vouchers()) {
    if (model_.Resolve(voucher.owner) != member_id) continue;
    wanted.push_back({voucher.issued_sequence, code,
                      voucher.left > 0 && now_ms < voucher.expires_at_ms});
  }
  std::sort(wanted.begin(), wanted.end(),
            [](const WantedItem& a, const WantedItem& b) {
              return a.sequence < b.sequence;
            });
  std::vector<std::string> want_all;
  std::vector<std::string> want_usable;
  for (const WantedItem& item : wanted) {
    want_all.push_back(item.code);
    if (item.usable) want_usable.push_back(item.code);
  }
  ++report_.wallet_reads;
  report_.wallet_items += static_cast<int64_t>(want_all.size());
  report_.wallet_reads_of_aliases += member_id != named_id;
  for (const bool include_unusable : {true, false}) {
    const std::vector<std::string>& want =
        include_unusable ? want_all : want_usable;
    absl::StatusOr<std::vector<std::string>> got =
        ListWalletCodes(named_id, include_unusable);
    if (!got.ok()) {
      return Fail(absl::StrCat("ListWallet(", named_id,
                               "): ", OutcomeText(got.status())));
    }
    if (*got != want) {
      return Fail(absl::StrCat("ListWallet(", named_id,
                               ", include_unusable=", include_unusable,
                               ") lists ", CodesText(*got), "; the model has ",
                               member_id, " owning ", CodesText(want)));
    }
  }
  return true;
}

}  // namespace loyalty::model
