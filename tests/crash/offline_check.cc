#include "tests/crash/offline_check.h"

#include "absl/strings/str_cat.h"

namespace loyalty::crash {

void OfflineCheck::Learn(const std::vector<SentRequest>& requests,
                         Failures* failures) {
  for (const SentRequest& request : requests) {
    if (request.method != Method::kRedeem ||
        request.outcome.code != grpc::StatusCode::OK) {
      continue;
    }
    loyalty::v1::RedeemRequest sent;
    if (!sent.ParseFromString(request.request) || !sent.offline()) continue;
    loyalty::v1::RedeemResponse response;
    const std::string name = RequestName(request);
    if (!response.ParseFromString(request.outcome.response) ||
        !response.entry().has_offline_redemption()) {
      failures->push_back(
          absl::StrCat(name, ": an OK offline Redeem without its details"));
      continue;
    }
    const loyalty::v1::LedgerEntry& entry = response.entry();
    const loyalty::v1::OfflineRedemption& offline = entry.offline_redemption();
    const bool applied =
        offline.outcome() == loyalty::v1::OFFLINE_OUTCOME_APPLIED ||
        offline.outcome() == loyalty::v1::OFFLINE_OUTCOME_DEBT;
    const bool consistent =
        offline.points() == sent.points() &&
        entry.kind() ==
            (applied ? loyalty::v1::ENTRY_KIND_REDEEM
                     : loyalty::v1::ENTRY_KIND_OFFLINE_REDEEM_REFUSED) &&
        -entry.points_delta() ==
            (applied ? offline.points() - offline.written_off_points() : 0);
    if (!consistent) {
      failures->push_back(absl::StrCat(
          name, ": the answer does not add up: ", entry.ShortDebugString()));
      continue;
    }
    if (applied) {
      applied_[entry.sequence()] = {entry.member_id(), offline.day(),
                                    offline.points()};
    }
    if (offline.outcome() != loyalty::v1::OFFLINE_OUTCOME_APPLIED) {
      reconciled_[entry.sequence()] = name;
    }
  }
}

void OfflineCheck::Check(LedgerClient& client, Failures* failures) {
  counts_ = OfflineCounts();
  std::map<std::pair<std::string, int64_t>, int64_t> per_day;
  for (const auto& [sequence, applied] : applied_) {
    ++counts_.applied;
    per_day[{applied.member_id, applied.day}] += applied.points;
  }
  for (const auto& [member_day, points] : per_day) {
    if (points > allowance_points_) {
      failures->push_back(absl::StrCat(
          "member \"", member_day.first, "\" redeemed ", points,
          " points offline on day ", member_day.second, ", over the ",
          allowance_points_, " a day the program allows"));
    }
  }
  absl::StatusOr<std::vector<loyalty::v1::LedgerEntry>> listed =
      client.ListOfflineReconciliations();
  if (!listed.ok()) {
    failures->push_back(std::string(listed.status().message()));
    return;
  }
  counts_.listed = listed->size();
  std::map<uint64_t, std::string> unlisted = reconciled_;
  uint64_t previous = 0;
  for (const loyalty::v1::LedgerEntry& entry : *listed) {
    if (entry.sequence() <= previous) {
      failures->push_back("the offline reconciliations are not oldest first");
    }
    previous = entry.sequence();
    switch (entry.offline_redemption().outcome()) {
      case loyalty::v1::OFFLINE_OUTCOME_DEBT:
        ++counts_.debt;
        break;
      case loyalty::v1::OFFLINE_OUTCOME_REFUSED_OVER_ALLOWANCE:
        ++counts_.refused_over_allowance;
        break;
      default:
        break;
    }
    if (unlisted.erase(entry.sequence()) == 0) {
      failures->push_back(absl::StrCat(
          "entry ", entry.sequence(),
          " is listed as an offline reconciliation no answer acknowledged"));
    }
  }
  for (const auto& [sequence, name] : unlisted) {
    failures->push_back(absl::StrCat(name, ": its entry ", sequence,
                                     " is missing from the offline "
                                     "reconciliations"));
  }
}

}  // namespace loyalty::crash
