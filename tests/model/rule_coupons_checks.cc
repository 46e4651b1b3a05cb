// The model test's checks of coupons issued by program rules (see
// rule_coupons_model.cc): the codes an earn's or a merge's rules drew are
// the ledger's, taken from its answer; each must be well-formed, new and
// once in the answer. The entries, records and counts they make are
// compared with the model's like every other (harness.cc, coupons_checks.cc).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/coupons/codes.h"
#include "runner.h"

namespace loyalty::model {

bool Runner::SetRuleCouponCodes(const Observed& observed) {
  std::vector<std::string> codes;
  if (observed.status.ok() && !observed.replayed) {
    std::set<std::string> seen;
    for (const std::string& printed : observed.rule_coupon_codes) {
      absl::StatusOr<std::string> canonical = ParseCouponCode(printed, "code");
      if (!canonical.ok() || model_.coupons().count(*canonical) > 0 ||
          !seen.insert(*canonical).second) {
        return Fail(absl::StrCat("a program rule issued coupon code \"",
                                 printed,
                                 "\", which is malformed, taken or twice "
                                 "in the answer"));
      }
      codes.push_back(*canonical);
    }
  }
  model_.SetRuleCouponCodes(std::move(codes));
  return true;
}

}  // namespace loyalty::model
