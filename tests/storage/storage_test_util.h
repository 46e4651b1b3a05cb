// File: tests/storage/storage_test_util.h
//
// What the storage fault tests share beyond tests/ledger/ledger_test_util.h:
// a program, synchronous calls of the Ledger's callback API, request
// builders, and AcknowledgedLog, which remembers
// every acknowledged answer and checks after a restart that each is still
// there and is given again to a retry.
//
//   AcknowledgedLog log;
//   log.Earn(ledger, EarnRequestFor("r1", "alice", "A-1", {1299}));
//   ... restart ...
//   log.CheckInStatements(ledger);
//   log.CheckReplays(ledger);
#ifndef LOYALTY_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
#define LOYALTY_TESTS_STORAGE_STORAGE_TEST_UTIL_H_

#include <stdlib.h>

#include <array>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "google/protobuf/util/message_differencer.h"
#include "ledger/common/hashing.h"
#include "ledger/commands.h"
#include "ledger/commands.h"
#include "ledger/engine/ledger.h"
#include "ledger/points/sweep.h"
#include "ledger/storage/ledger_store.h"
#include "loyalty/v1/loyalty_service.pb.h"
#include "loyalty/v1/program.pb.h"
// REQUIRE_OK, StatusText, TempDir, DumpStore and the callers kPos, kApp and
// kAdmin come from the ledger tests' helpers.
#include "tests/ledger/ledger_test_util.h"

namespace loyalty::testing {

// 1 point per whole 1.00 EUR.
inline v1::ProgramConfig StorageTestProgram() {
  v1::ProgramConfig program;
  program.set_program_id("storage-fault-test");
  auto* rate = program.add_earn_rates();
  rate->set_rule_id("base-eur");
  rate->set_currency("EUR");
  rate->set_spend_minor_per_step(100);
  rate->set_points_per_step(1);
  return program;
}

// Calls a Ledger mutation and waits for its `done`.
template <typename Spec, typename Request = typename Spec::Request,
          typename Response = typename Spec::Response>
absl::StatusOr<Response> Send(
    Ledger& ledger, const Caller& caller, Request request) {
  std::promise<absl::StatusOr<Response>> promise;
  std::future<absl::StatusOr<Response>> result = promise.get_future();
  ledger.Submit<Spec>(caller, std::move(request),
                      [&promise](absl::StatusOr<Response> r) {
                        promise.set_value(std::move(r));
                      });
  return result.get();
}

// Request builders. Channel requests come from the app, except earns (POS).
inline v1::EnrollMemberRequest EnrollRequestFor(const std::string& request_id,
                                                const std::string& member_id,
                                                const std::string& card) {
  v1::EnrollMemberRequest request;
  request.mutable_context()->set_request_id(request_id);
  request.mutable_context()->set_channel(v1::CHANNEL_APP);
  request.set_member_id(member_id);
  if (!card.empty()) {
    auto* identifier = request.add_identifiers();
    identifier->set_kind(v1::IDENTIFIER_KIND_CARD_NUMBER);
    identifier->set_value(card);
  }
  return request;
}

inline v1::EarnRequest EarnRequestFor(const std::string& request_id,
                                      const std::string& member_id,
                                      const std::string& order_id,
                                      const std::vector<int64_t>& prices) {
  v1::EarnRequest request;
  auto* context = request.mutable_context();
  context->set_request_id(request_id);
  context->set_channel(v1::CHANNEL_POS);
  context->set_store_id("store-12");
  context->set_terminal_id("till-3");
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  request.set_currency("EUR");
  for (size_t i = 0; i < prices.size(); ++i) {
    auto* line = request.add_lines();
    line->set_sku(absl::StrCat("SKU-", i));
    line->set_quantity(1);
    line->set_unit_price_minor(prices[i]);
  }
  return request;
}

inline v1::RedeemRequest RedeemRequestFor(const std::string& request_id,
                                          const std::string& member_id,
                                          const std::string& order_id,
                                          int64_t points) {
  v1::RedeemRequest request;
  request.mutable_context()->set_request_id(request_id);
  request.mutable_context()->set_channel(v1::CHANNEL_APP);
  request.set_member_id(member_id);
  request.set_order_id(order_id);
  request.set_points(points);
  return request;
}

inline v1::AdjustRequest AdjustRequestFor(const std::string& request_id,
                                          const std::string& member_id,
                                          int64_t delta) {
  v1::AdjustRequest request;
  request.mutable_context()->set_request_id(request_id);
  request.set_member_id(member_id);
  request.set_points_delta(delta);
  request.set_reason_code("GOODWILL");
  request.set_operator_id("support.jane");
  return request;
}

// A member's whole statement, newest first.
inline std::vector<v1::LedgerEntry> Statement(const Ledger& ledger,
                                              const std::string& member_id) {
  std::vector<v1::LedgerEntry> entries;
  std::string token;
  for (int pages = 0; pages < 10'000; ++pages) {
    v1::ListEntriesRequest request;
    request.set_member_id(member_id);
    request.set_page_size(500);
    request.set_page_token(token);
    auto page = ledger.ListEntries(request);
    REQUIRE_OK(page);
    for (const auto& entry : page->entries()) entries.push_back(entry);
    token = page->next_page_token();
    if (token.empty()) break;
  }
  return entries;
}

inline bool SameEntries(const std::vector<v1::LedgerEntry>& a,
                        const std::vector<v1::LedgerEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals(a[i], b[i])) {
      return false;
    }
  }
  return true;
}

// Remembers acknowledged answers (OK or a remembered rejection) and checks
// them again after a restart.
class AcknowledgedLog {
 public:
  void Enroll(Ledger& ledger, v1::EnrollMemberRequest request) {
    Record<EnrollMemberCommand>(ledger, kApp, std::move(request));
  }
  void Earn(Ledger& ledger, v1::EarnRequest request) {
    Record<EarnCommand>(ledger, kPos, std::move(request));
  }
  void Redeem(Ledger& ledger, v1::RedeemRequest request) {
    Record<RedeemCommand>(ledger, kApp, std::move(request));
  }
  void Adjust(Ledger& ledger, v1::AdjustRequest request) {
    Record<AdjustCommand>(ledger, kAdmin, std::move(request));
  }
  // An earn acknowledged OK elsewhere.
  void AddEarn(v1::EarnRequest request, v1::EarnResponse response) {
    Remember<EarnCommand>(kPos, std::move(request),
             absl::StatusOr<v1::EarnResponse>(std::move(response)));
  }

  int rejected_count() const { return rejected_; }

  // Every acknowledged entry is in its member's statement, unchanged.
  void CheckInStatements(const Ledger& ledger) const {
    std::map<std::string, std::vector<v1::LedgerEntry>> statements;
    for (const v1::LedgerEntry& acknowledged : entries_) {
      auto& statement = statements[acknowledged.member_id()];
      if (statement.empty()) statement = Statement(ledger, acknowledged.member_id());
      bool found = false;
      for (const auto& entry : statement) {
        if (entry.sequence() != acknowledged.sequence()) continue;
        found = google::protobuf::util::MessageDifferencer::Equals(
            entry, acknowledged);
      }
      INFO("acknowledged entry " << acknowledged.ShortDebugString());
      CHECK(found);
    }
  }

  // A retry of every acknowledged request gets its first answer again.
  void CheckReplays(Ledger& ledger) const {
    for (const auto& replay : replays_) replay(ledger);
  }

 private:
  template <typename Spec, typename Request = typename Spec::Request,
            typename Response = typename Spec::Response>
  void Record(Ledger& ledger, const Caller& caller, Request request) {
    absl::StatusOr<Response> answer = Send<Spec>(ledger, caller, request);
    INFO(request.ShortDebugString() << " -> " << StatusText(answer));
    bool acknowledged = answer.ok() || absl::IsNotFound(answer.status()) ||
                        absl::IsFailedPrecondition(answer.status()) ||
                        absl::IsAlreadyExists(answer.status());
    REQUIRE(acknowledged);
    Remember<Spec>(caller, std::move(request), std::move(answer));
  }

  template <typename Spec, typename Request = typename Spec::Request,
            typename Response = typename Spec::Response>
  void Remember(const Caller& caller, Request request,
                absl::StatusOr<Response> first) {
    if (first.ok()) {
      entries_.push_back(first->entry());
    } else {
      ++rejected_;
    }
    replays_.push_back([caller, request = std::move(request),
                        first = std::move(first)](Ledger& ledger) {
      absl::StatusOr<Response> again = Send<Spec>(ledger, caller, request);
      INFO(request.ShortDebugString() << ": first " << StatusText(first)
                                      << ", on retry " << StatusText(again));
      REQUIRE(again.status().code() == first.status().code());
      if (!first.ok()) {
        CHECK(again.status().message() == first.status().message());
        return;
      }
      CHECK(again->replayed());
      Response expected = *first;
      expected.set_replayed(true);
      CHECK(google::protobuf::util::MessageDifferencer::Equals(*again,
                                                               expected));
    });
  }

  std::vector<v1::LedgerEntry> entries_;
  std::vector<std::function<void(Ledger&)>> replays_;
  int rejected_ = 0;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
