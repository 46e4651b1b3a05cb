// File: clients/loyaltyctl/wallet_view.cc

#include "clients/loyaltyctl/wallet_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/loyaltyctl/coupon_view.h"
#include "clients/loyaltyctl/format.h"
#include "clients/loyaltyctl/table.h"
#include "clients/loyaltyctl/voucher_view.h"

namespace loyalty::ctl {
namespace {

using loyalty::v1::Coupon;
using loyalty::v1::Voucher;

// The coupon's checkout rules, "; "-separated; "any order" without any.
std::string CouponAppliesTo(const Coupon& coupon) {
  std::vector<std::string> rules;
  if (coupon.has_min_spend()) {
    rules.push_back(absl::StrCat(
        "min spend ", FormatMinorUnits(coupon.min_spend().amount_minor(),
                                       coupon.min_spend().currency())));
  }
  if (!coupon.eligible_categories().empty()) {
    rules.push_back(absl::StrCat(
        "categories ", absl::StrJoin(coupon.eligible_categories(), ", ")));
  }
  if (!coupon.eligible_skus().empty()) {
    rules.push_back(
        absl::StrCat("skus ", absl::StrJoin(coupon.eligible_skus(), ", ")));
  }
  if (rules.empty()) return "any order";
  return absl::StrJoin(rules, "; ");
}

std::vector<std::string> CouponCells(const Coupon& coupon) {
  return {"coupon",
          coupon.code(),
          coupon.display_name().empty() ? OrDash(coupon.template_id())
                                        : coupon.display_name(),
          CouponBenefitText(coupon),
          CouponAppliesTo(coupon),
          FormatTimeUtc(coupon.valid_until_ms()),
          CouponStateText(coupon.state())};
}

std::vector<std::string> VoucherCells(const Voucher& voucher) {
  return {"voucher",
          voucher.code(),
          voucher.display_name().empty() ? OrDash(voucher.product_id())
                                         : voucher.display_name(),
          absl::StrCat(voucher.units_left(), " of ", voucher.units_bought(),
                       " units left"),
          absl::StrCat("sku ", OrDash(voucher.sku())),
          FormatTimeUtc(voucher.expires_at_ms()),
          VoucherStateText(voucher.state())};
}

}  // namespace

std::vector<std::string> WalletItemCells(const loyalty::v1::WalletItem& item) {
  if (item.has_voucher()) return VoucherCells(item.voucher());
  return CouponCells(item.coupon());
}

void PrintWallet(std::ostream& out,
                 const loyalty::v1::ListWalletResponse& wallet) {
  if (wallet.items().empty()) {
    out << "no coupons or vouchers\n";
  } else {
    Table table({{"KIND", Table::Align::kLeft},
                 {"CODE", Table::Align::kLeft},
                 {"NAME", Table::Align::kLeft},
                 {"WORTH", Table::Align::kLeft},
                 {"APPLIES_TO", Table::Align::kLeft},
                 {"EXPIRES_UTC", Table::Align::kLeft},
                 {"STATE", Table::Align::kLeft}});
    for (const loyalty::v1::WalletItem& item : wallet.items()) {
      table.AddRow(WalletItemCells(item));
    }
    table.Print(out);
  }
  if (!wallet.next_page_token().empty()) {
    out << "next page token: " << wallet.next_page_token() << '\n';
  }
}

}  // namespace loyalty::ctl
