// The change stream (AdminService.WatchEntries; server/watch_entries.h):
// every entry in order with hashes that chain, live entries as they become
// durable, resumes that miss nothing and repeat nothing, filters and
// heartbeats, a stalled consumer that holds nothing back, many consumers at
// once, shutdown, bad requests and the stream limit.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "loyalty/client/entry_chain.h"
#include "server_test_util.h"

namespace loyalty::testing {
namespace {

using loyalty::v1::WatchEntriesRequest;
using loyalty::v1::WatchEntriesResponse;

// `count` orders of 1.00 EUR for `member_id` through EarnBatch (one entry
// each), `tag` keeping request ids apart. Whether all were earned (no Catch2
// assertion inside: writers run on threads of their own).
bool EarnOrders(TestServer& server, const std::string& member_id, int count,
                const std::string& tag, loyalty::v1::Channel channel =
                                            loyalty::v1::CHANNEL_APP) {
  auto stub = server.LoyaltyStub();
  for (int first = 0; first < count; first += 1000) {
    loyalty::v1::EarnBatchRequest batch;
    for (int i = first; i < std::min(count, first + 1000); ++i) {
      loyalty::v1::EarnRequest* order = batch.add_events();
      const std::string id = absl::StrCat(tag, "-", member_id, "-", i);
      order->mutable_context()->set_request_id(id);
      order->mutable_context()->set_channel(channel);
      order->mutable_context()->set_store_id("12");
      order->set_member_id(member_id);
      order->set_order_id(id);
      order->set_currency("EUR");
      loyalty::v1::BasketLine* line = order->add_lines();
      line->set_sku("MUG");
      line->set_quantity(1);
      line->set_unit_price_minor(100);
    }
    loyalty::v1::EarnBatchResponse results;
    auto context = ContextWithKey("admin-key");
    if (!stub->EarnBatch(context.get(), batch, &results).ok()) return false;
    for (const auto& result : results.results()) {
      if (result.code() != 0) return false;
    }
  }
  return true;
}

uint64_t Head(TestServer& server) {
  return server.server().ledger().DurableSequence();
}

// A consumer: reads responses into `entries` (checked by a verifier) until
// `enough` says stop, then cancels. Returns the call's status and the last
// response. An entry that does not check stops it, described in `problem`
// (no Catch2 assertion here: consumers run on threads of their own).
struct Consumer {
  explicit Consumer(TestServer& server, std::string api_key = "admin-key")
      : stub(loyalty::v1::AdminService::NewStub(server.NewChannel())),
        key(std::move(api_key)) {}

  grpc::Status Watch(const WatchEntriesRequest& request,
                     const std::function<bool(const WatchEntriesResponse&)>&
                         enough) {
    auto context = ContextWithKey(key);
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(60));
    auto reader = stub->WatchEntries(context.get(), request);
    WatchEntriesResponse response;
    while (reader->Read(&response)) {
      last = response;
      ++responses;
      for (const auto& streamed : response.entries()) {
        absl::StatusOr<loyalty::v1::LedgerEntry> entry =
            chain.Accept(streamed, contiguous);
        if (!entry.ok()) {
          problem = entry.status().ToString();
          context->TryCancel();
          return reader->Finish();
        }
        entries.push_back(*entry);
      }
      if (enough(response)) {
        context->TryCancel();
        break;
      }
    }
    return reader->Finish();
  }

  std::unique_ptr<loyalty::v1::AdminService::Stub> stub;
  std::string key;
  client::EntryChainVerifier chain{0, ""};
  bool contiguous = true;
  std::vector<loyalty::v1::LedgerEntry> entries;
  std::string problem;
  WatchEntriesResponse last;
  int responses = 0;
};

WatchEntriesRequest From(uint64_t sequence) {
  WatchEntriesRequest request;
  request.set_from_sequence(sequence);
  return request;
}

TEST_CASE("a change stream sends every entry in order with hashes that "
          "chain, then new entries as they become durable",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "alice");
  REQUIRE(EarnOrders(server, "alice", 300, "before"));
  const uint64_t before = Head(server);
  REQUIRE(before == 301);

  Consumer consumer(server);
  std::atomic<bool> later_earned{false};
  std::thread later([&] {
    // Written while the consumer follows the tail.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    later_earned = EarnOrders(server, "alice", 50, "later");
  });
  grpc::Status status = consumer.Watch(From(0), [&](const auto& response) {
    return response.next_sequence() > before + 50;
  });
  later.join();
  REQUIRE(later_earned);
  CHECK(consumer.problem.empty());
  CHECK(status.error_code() == grpc::StatusCode::CANCELLED);
  REQUIRE(consumer.entries.size() == before + 50);
  for (size_t i = 0; i < consumer.entries.size(); ++i) {
    CHECK(consumer.entries[i].sequence() == i + 1);
  }
  CHECK(consumer.entries[0].kind() == loyalty::v1::ENTRY_KIND_ENROLL);
  CHECK(consumer.entries.back().order_id() == "later-alice-49");
  // The stream's last hash is the ledger's.
  loyalty::v1::VerifyLedgerResponse verified;
  auto context = ContextWithKey("admin-key");
  REQUIRE(server.AdminStub()
              ->VerifyLedger(context.get(), loyalty::v1::VerifyLedgerRequest(),
                             &verified)
              .ok());
  CHECK(absl::BytesToHexString(consumer.chain.last_hash()) ==
        verified.last_hash_hex());
}

TEST_CASE("the chain verifier refuses an altered entry, a missing one and "
          "one that does not link",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "hank");
  REQUIRE(EarnOrders(server, "hank", 3, "chain"));
  std::vector<loyalty::v1::StreamedEntry> streamed;
  auto stub = loyalty::v1::AdminService::NewStub(server.NewChannel());
  auto context = ContextWithKey("admin-key");
  auto reader = stub->WatchEntries(context.get(), From(1));
  WatchEntriesResponse response;
  while (streamed.size() < 4 && reader->Read(&response)) {
    for (const auto& entry : response.entries()) streamed.push_back(entry);
  }
  context->TryCancel();
  reader->Finish();
  REQUIRE(streamed.size() == 4);

  client::EntryChainVerifier whole(0, "");
  for (const auto& entry : streamed) CHECK(whole.Accept(entry).ok());

  loyalty::v1::StreamedEntry altered = streamed[1];
  altered.mutable_body()->back() ^= 1;
  client::EntryChainVerifier first_only(0, "");
  REQUIRE(first_only.Accept(streamed[0]).ok());
  absl::Status status = first_only.Accept(altered).status();
  CHECK(status.code() == absl::StatusCode::kDataLoss);
  CHECK(absl::StrContains(status.message(), "entry 2"));
  // Nothing was accepted: the true entry 2 still follows.
  CHECK(first_only.Accept(streamed[1]).ok());
  CHECK(absl::StrContains(first_only.Accept(streamed[3]).status().message(),
                          "expected sequence 3: entries are missing"));
  // A resume that says another hash came before entry 3.
  client::EntryChainVerifier resumed(2, std::string(32, 'x'));
  CHECK(absl::StrContains(resumed.Accept(streamed[2]).status().message(),
                          "its prev_hash is not the hash of the entry before"));
  // With filters, order still holds: nothing twice, nothing backwards.
  client::EntryChainVerifier filtered(0, "");
  CHECK(filtered.Accept(streamed[2], /*contiguous=*/false).ok());
  CHECK_FALSE(filtered.Accept(streamed[1], /*contiguous=*/false).ok());
}

TEST_CASE("a consumer that resumes from next_sequence under load misses "
          "nothing and sees nothing twice",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "bob");
  std::atomic<bool> writing{true};
  std::atomic<bool> writes_failed{false};
  std::thread writer([&] {
    for (int round = 0; writing.load(); ++round) {
      if (!EarnOrders(server, "bob", 100, absl::StrCat("r", round))) {
        writes_failed = true;
      }
    }
  });
  std::vector<grpc::StatusCode> codes;
  Consumer consumer(server);
  uint64_t resume_from = 1;
  for (int resume = 0; resume < 6; ++resume) {
    int taken = 0;
    grpc::Status status =
        consumer.Watch(From(resume_from), [&](const auto& response) {
          return ++taken >= 3 && !response.entries().empty();
        });
    codes.push_back(status.error_code());
    resume_from = consumer.last.next_sequence();
  }
  writing = false;
  writer.join();
  CHECK_FALSE(writes_failed);
  CHECK(consumer.problem.empty());
  for (grpc::StatusCode code : codes) {
    CHECK(code == grpc::StatusCode::CANCELLED);
  }
  // Then read to the head.
  const uint64_t head = Head(server);
  consumer.Watch(From(resume_from), [&](const auto& response) {
    return response.next_sequence() > head;
  });
  REQUIRE(consumer.entries.size() == head);
  for (size_t i = 0; i < consumer.entries.size(); ++i) {
    REQUIRE(consumer.entries[i].sequence() == i + 1);
  }
}

TEST_CASE("filters pick by member, kind and channel, and heartbeats carry "
          "the head when nothing matches",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "carol");
  EnrollAppMember(server, "dave");
  REQUIRE(EarnOrders(server, "carol", 5, "app"));
  REQUIRE(EarnOrders(server, "dave", 4, "pos", loyalty::v1::CHANNEL_POS));
  const uint64_t head = Head(server);

  Consumer daves(server);
  daves.contiguous = false;
  WatchEntriesRequest request = From(1);
  request.add_member_ids("dave");
  request.add_kinds(loyalty::v1::ENTRY_KIND_EARN);
  daves.Watch(request, [&](const auto& response) {
    return response.next_sequence() > head;
  });
  REQUIRE(daves.entries.size() == 4);
  for (const auto& entry : daves.entries) {
    CHECK(entry.member_id() == "dave");
    CHECK(entry.kind() == loyalty::v1::ENTRY_KIND_EARN);
  }

  Consumer pos(server);
  pos.contiguous = false;
  WatchEntriesRequest by_channel = From(1);
  by_channel.add_channels(loyalty::v1::CHANNEL_POS);
  pos.Watch(by_channel, [&](const auto& response) {
    return response.next_sequence() > head;
  });
  CHECK(pos.entries.size() == 4);

  Consumer nobody(server);
  WatchEntriesRequest none = From(1);
  none.add_member_ids("nobody");
  none.set_heartbeat_interval_ms(100);
  int heartbeats = 0;
  nobody.Watch(none, [&](const auto& response) {
    CHECK(response.entries().empty());
    CHECK(response.head_sequence() == head);
    CHECK(response.server_time_ms() > 0);
    return ++heartbeats == 3;
  });
  CHECK(nobody.last.next_sequence() == head + 1);
}

TEST_CASE("a stalled consumer holds nothing back: the writer goes on, the "
          "server reads no further ahead once the stream's window is full, "
          "and the consumer later gets everything in order",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "erin");
  auto stub = loyalty::v1::AdminService::NewStub(server.NewChannel());
  auto context = ContextWithKey("admin-key");
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(120));
  auto reader = stub->WatchEntries(context.get(), From(1));
  auto entries_sent = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    loyalty::v1::ServerStats stats;
    auto stats_context = ContextWithKey("admin-key");
    REQUIRE(server.AdminStub()
                ->GetServerStats(stats_context.get(),
                                 loyalty::v1::GetServerStatsRequest(), &stats)
                .ok());
    CHECK(stats.watch_streams() == 1);
    return stats.watch_entries_sent();
  };
  // Not read while 30,000 entries are written: the stream fills gRPC's
  // flow-control window (about 18,000 entries here), and then the session
  // stops reading the ledger.
  REQUIRE(EarnOrders(server, "erin", 30'000, "stalled"));
  const uint64_t sent_when_full = entries_sent();
  CHECK(sent_when_full < Head(server));
  // 5,000 more: the writer goes on, the stalled stream takes none of them.
  REQUIRE(EarnOrders(server, "erin", 5'000, "more"));
  CHECK(entries_sent() == sent_when_full);
  const uint64_t head = Head(server);
  REQUIRE(head == 35'001);

  client::EntryChainVerifier chain(0, "");
  WatchEntriesResponse response;
  uint64_t received = 0;
  while (received < head && reader->Read(&response)) {
    for (const auto& streamed : response.entries()) {
      REQUIRE(chain.Accept(streamed).ok());
      ++received;
    }
  }
  CHECK(received == head);
  context->TryCancel();
  reader->Finish();
}

TEST_CASE("many consumers at once each get the whole ledger while it is "
          "written",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "frank");
  std::atomic<bool> earned{false};
  std::thread writer(
      [&] { earned = EarnOrders(server, "frank", 3000, "many"); });
  std::vector<std::unique_ptr<Consumer>> consumers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    consumers.push_back(std::make_unique<Consumer>(server));
  }
  for (auto& consumer : consumers) {
    threads.emplace_back([consumer = consumer.get()] {
      consumer->Watch(From(1), [&](const auto& response) {
        return response.next_sequence() > 3001;
      });
    });
  }
  writer.join();
  for (auto& thread : threads) thread.join();
  REQUIRE(earned);
  for (auto& consumer : consumers) {
    CHECK(consumer->problem.empty());
    CHECK(consumer->entries.size() == 3001);
  }
}

TEST_CASE("a change stream ends UNAVAILABLE at shutdown, saying where to "
          "resume",
          "[server][watch]") {
  TempDir dir;
  TestServer server(dir.path());
  EnrollAppMember(server, "gina");
  Consumer consumer(server);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.Shutdown();
  });
  grpc::Status status =
      consumer.Watch(From(1), [](const auto&) { return false; });
  stopper.join();
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(absl::StrContains(status.error_message(), "resume from sequence 2"));
  CHECK(consumer.entries.size() == 1);
}

TEST_CASE("bad change-stream requests are INVALID_ARGUMENT naming the field, "
          "and streams past the limit are RESOURCE_EXHAUSTED",
          "[server][watch]") {
  TempDir dir;
  ServerOptions options = TestServerOptions(dir.path());
  options.watch_streams_max = 1;
  TestServer server(options, nullptr);
  auto refusal = [&](const WatchEntriesRequest& request) {
    Consumer consumer(server);
    return consumer.Watch(request, [](const auto&) { return true; });
  };
  WatchEntriesRequest fast = From(1);
  fast.set_heartbeat_interval_ms(10);
  grpc::Status status = refusal(fast);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(absl::StrContains(status.error_message(), "heartbeat_interval_ms"));
  WatchEntriesRequest bad_kind = From(1);
  bad_kind.add_kinds(static_cast<loyalty::v1::EntryKind>(999));
  CHECK(absl::StrContains(refusal(bad_kind).error_message(), "kinds[0]"));
  WatchEntriesRequest bad_member = From(1);
  bad_member.add_member_ids("not an id");
  CHECK(absl::StrContains(refusal(bad_member).error_message(),
                          "member_ids[0]"));

  // One stream open: a second is refused until it ends.
  Consumer holder(server);
  std::atomic<bool> holding{true};
  std::thread hold([&] {
    holder.Watch(From(1), [&](const auto&) { return !holding.load(); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Consumer second(server);
  grpc::Status full =
      second.Watch(From(1), [](const auto&) { return true; });
  CHECK(full.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  holding = false;
  hold.join();
}

}  // namespace
}  // namespace loyalty::testing
