#include "tests/crash/recheck.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace loyalty::crash {
namespace {

constexpr int32_t kStatementPageSize = 500;

// Runs visit(i) for every i in [0, count) on `threads` threads, each with
// its own client (and connection).
template <typename Visit>
void InParallel(const std::string& address, size_t count, int threads,
                Visit visit) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      LedgerClient client(address);
      client.WaitUntilConnected(absl::Seconds(10));
      for (size_t i = t; i < count; i += threads) visit(client, i);
    });
  }
  for (auto& worker : workers) worker.join();
}

// Empty when `again` is the same outcome as `first` for a retry.
std::string CompareRetry(Method method, const Outcome& first,
                         const Outcome& again) {
  if (again.code != first.code) {
    return absl::StrCat("first answer ", Describe(first), ", on retry ",
                        Describe(again));
  }
  if (first.code != grpc::StatusCode::OK) {
    if (again.reason != first.reason || again.message != first.message) {
      return absl::StrCat("first answer ", Describe(first), ", on retry ",
                          Describe(again));
    }
    return "";
  }
  if (!WasReplayed(method, again.response)) {
    return "the retry was applied again (replayed=false): a double write";
  }
  std::string difference;
  if (!SameResponse(method, first.response, again.response, &difference)) {
    return absl::StrCat("the retry's response differs: ", difference);
  }
  return "";
}

std::string Name(const SentRequest& request) {
  return absl::StrCat(MethodName(request.method), " ", request.request_id);
}

}  // namespace

void ResendAndCompare(const std::string& address,
                      const std::vector<const SentRequest*>& requests,
                      int threads, Failures* failures) {
  std::mutex mutex;
  InParallel(address, requests.size(), threads,
             [&](LedgerClient& client, size_t i) {
               const SentRequest& request = *requests[i];
               Outcome again = client.Mutate(request.method, request.api_key,
                                             request.request);
               std::string problem =
                   CompareRetry(request.method, request.outcome, again);
               if (problem.empty()) return;
               std::lock_guard<std::mutex> lock(mutex);
               failures->push_back(absl::StrCat(
                   Name(request), " (cycle ", request.cycle,
                   ", acknowledged): ", problem));
             });
}

uint64_t CheckStatements(LedgerClient& client,
                         const std::vector<const SentRequest*>& requests,
                         Failures* failures) {
  // member -> sequence -> (request, entry) of every acknowledged entry (a
  // Return's RESTORE too).
  std::map<std::string,
           std::map<uint64_t,
                    std::pair<const SentRequest*, loyalty::v1::LedgerEntry>>>
      wanted;
  for (const SentRequest* request : requests) {
    if (request->outcome.code != grpc::StatusCode::OK) continue;
    for (loyalty::v1::LedgerEntry& entry :
         EntriesOf(request->method, request->outcome.response)) {
      auto& slot = wanted[entry.member_id()][entry.sequence()];
      slot.first = request;
      slot.second = std::move(entry);
    }
  }
  uint64_t checked = 0;
  for (const auto& [member_id, entries] : wanted) {
    uint64_t oldest_wanted = entries.begin()->first;
    std::map<uint64_t, loyalty::v1::LedgerEntry> found;
    std::string token;
    // Newest first: stop once past the oldest entry we look for.
    while (true) {
      auto page = client.ListEntries(member_id, kStatementPageSize, token);
      if (!page.ok()) {
        failures->push_back(absl::StrCat("statement of ", member_id, ": ",
                                         page.status().ToString()));
        break;
      }
      bool past_oldest = false;
      for (const auto& entry : page->entries()) {
        found[entry.sequence()] = entry;
        past_oldest = past_oldest || entry.sequence() <= oldest_wanted;
      }
      token = page->next_page_token();
      if (past_oldest || token.empty()) break;
    }
    for (const auto& [sequence, wanted_entry] : entries) {
      ++checked;
      const SentRequest* request = wanted_entry.first;
      const loyalty::v1::LedgerEntry& acknowledged = wanted_entry.second;
      auto it = found.find(sequence);
      if (it == found.end()) {
        failures->push_back(absl::StrCat(
            Name(*request), " (cycle ", request->cycle, "): acknowledged entry ",
            sequence, " is missing from the statement of ", member_id));
      } else if (it->second.hash() != acknowledged.hash()) {
        failures->push_back(absl::StrCat(
            Name(*request), " (cycle ", request->cycle, "): entry ", sequence,
            " in the statement of ", member_id,
            " is not the acknowledged one: ", it->second.ShortDebugString(),
            " vs ", acknowledged.ShortDebugString()));
      }
    }
  }
  return checked;
}

uint64_t SettleInDoubt(const std::string& address,
                       const std::vector<SentRequest*>& requests, int threads,
                       Failures* failures) {
  std::mutex mutex;
  uint64_t applied_before = 0;
  InParallel(address, requests.size(), threads, [&](LedgerClient& client,
                                                    size_t i) {
    SentRequest& request = *requests[i];
    Outcome settled =
        client.Mutate(request.method, request.api_key, request.request);
    const absl::Time settled_at = absl::Now();
    ++request.attempts;
    std::string problem;
    if (!IsAcknowledged(settled)) {
      problem = absl::StrCat("no definite answer after the restart: ",
                             Describe(settled));
    } else {
      Outcome again =
          client.Mutate(request.method, request.api_key, request.request);
      // The settling answer may itself have been a replay; what matters is
      // that the answer no longer changes.
      Outcome first = settled;
      problem = CompareRetry(request.method, first, again);
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (!problem.empty()) {
      failures->push_back(absl::StrCat(Name(request), " (cycle ",
                                       request.cycle, ", in doubt): ",
                                       problem));
      return;
    }
    if (settled.code == grpc::StatusCode::OK &&
        WasReplayed(request.method, settled.response)) {
      ++applied_before;
    }
    request.outcome = std::move(settled);
    request.answered_at = settled_at;
  });
  return applied_before;
}

}  // namespace loyalty::crash
