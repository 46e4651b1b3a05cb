#include "ledger/read/verify_part.h"

#include "absl/strings/str_cat.h"
#include "ledger/common/limits.h"
#include "ledger/common/status_util.h"

namespace loyalty {

void Problems::Add(std::string text) {
  ++count_;
  if (count_ <= static_cast<uint64_t>(kVerifyProblemsMax)) {
    kept_.push_back(std::move(text));
  }
}

std::vector<std::string> Problems::Report() const {
  std::vector<std::string> report = kept_;
  if (count_ > static_cast<uint64_t>(kVerifyProblemsMax)) {
    report.push_back(absl::StrCat("... and ", count_ - kVerifyProblemsMax,
                                  " more problems"));
  }
  return report;
}

absl::Status CheckFamilyMatches(
    const StoreReader& store, Family family,
    const absl::flat_hash_map<std::string, std::string>& expected,
    absl::string_view what, Problems& problems) {
  uint64_t stored_count = 0;
  LEDGER_RETURN_IF_ERROR(store.Scan(
      family, "", "", /*reverse=*/false,
      [&](absl::string_view key, absl::string_view value) {
        ++stored_count;
        auto it = expected.find(key);
        if (it == expected.end() || it->second != value) {
          problems.Add(absl::StrCat("a stored ", what,
                                    " index key disagrees with the entries"));
        }
        return true;
      }));
  if (stored_count != expected.size()) {
    problems.Add(absl::StrCat("the ", what, " index has ", stored_count,
                              " keys; the entries give ", expected.size()));
  }
  return absl::OkStatus();
}

}  // namespace loyalty
