// Micro-benchmarks of the ledger's hot paths, to see where a command's time
// goes: key encoding, request validation, the earn rule, request
// fingerprints and entry sealing (SHA-256 chain), the member fold, and
// what loyaltyd does to a request's bytes before anything else (protobuf's
// parse alone against the request guard's check and parse).
//
//   build/tests/bench/ledger-micro-bench
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "ledger/points/earn_rules.h"
#include "ledger/common/hashing.h"
#include "ledger/common/keys.h"
#include "ledger/engine/fold.h"
#include "ledger/common/validation.h"
#include "server/request_guard.h"

namespace loyalty {
namespace {

loyalty::v1::ProgramConfig Program() {
  loyalty::v1::ProgramConfig program;
  program.set_program_id("bench");
  auto* rate = program.add_earn_rates();
  rate->set_rule_id("base-eur");
  rate->set_currency("EUR");
  rate->set_spend_minor_per_step(100);
  rate->set_points_per_step(1);
  return program;
}

loyalty::v1::EarnRequest Basket(int lines) {
  loyalty::v1::EarnRequest request;
  request.mutable_context()->set_request_id("pos-12-000481");
  request.mutable_context()->set_channel(loyalty::v1::CHANNEL_POS);
  request.mutable_context()->set_store_id("store-12");
  request.set_member_id("bm-4711");
  request.set_order_id("A-1001");
  request.set_currency("EUR");
  for (int i = 0; i < lines; ++i) {
    auto* line = request.add_lines();
    line->set_sku(absl::StrCat("SKU-", i));
    line->set_category("grocery");
    line->set_quantity(2);
    line->set_unit_price_minor(1299);
  }
  return request;
}

void BM_MemberEntryKey(benchmark::State& state) {
  uint64_t sequence = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(MemberEntryKey("bm-4711", sequence++));
  }
}
BENCHMARK(BM_MemberEntryKey);

void BM_ValidateEarn(benchmark::State& state) {
  auto request = Basket(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(ValidateEarn(request, 1'800'000'000'000));
  }
}
BENCHMARK(BM_ValidateEarn)->Arg(1)->Arg(5)->Arg(200);

// What gRPC's own parser did before requests were read raw.
void BM_ParseEarnProtobufOnly(benchmark::State& state) {
  const std::string wire =
      Basket(static_cast<int>(state.range(0))).SerializeAsString();
  loyalty::v1::EarnRequest request;
  for (auto _ : state) {
    request.Clear();
    benchmark::DoNotOptimize(
        request.ParseFromArray(wire.data(), static_cast<int>(wire.size())));
  }
}
BENCHMARK(BM_ParseEarnProtobufOnly)->Arg(1)->Arg(5)->Arg(200);

// What loyaltyd does now (server/request_guard.h): the guard's walk, then
// the same parse.
void BM_ParseEarnThroughGuard(benchmark::State& state) {
  const std::string wire =
      Basket(static_cast<int>(state.range(0))).SerializeAsString();
  loyalty::v1::EarnRequest request;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseRequest(wire, &request));
  }
}
BENCHMARK(BM_ParseEarnThroughGuard)->Arg(1)->Arg(5)->Arg(200);

void BM_ComputeEarn(benchmark::State& state) {
  auto program = Program();
  auto request = Basket(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ComputeEarn(program, request, request.context().occurred_at_ms()));
}
BENCHMARK(BM_ComputeEarn)->Arg(1)->Arg(5)->Arg(200);

void BM_RequestFingerprint(benchmark::State& state) {
  auto request = Basket(5);
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha256(DeterministicBytes(request)));
  }
}
BENCHMARK(BM_RequestFingerprint);

void BM_SealEntry(benchmark::State& state) {
  loyalty::v1::LedgerEntry entry;
  entry.set_sequence(42);
  entry.set_member_id("bm-4711");
  entry.set_kind(loyalty::v1::ENTRY_KIND_EARN);
  entry.set_points_delta(34);
  entry.set_order_id("A-1001");
  entry.set_principal("pos-terminal");
  entry.set_request_id("pos-12-000481");
  entry.set_prev_hash(GenesisHash());
  for (auto _ : state) {
    loyalty::v1::LedgerEntry copy = entry;
    benchmark::DoNotOptimize(SealEntry(&copy));
  }
}
BENCHMARK(BM_SealEntry);

void BM_FoldEntry(benchmark::State& state) {
  loyalty::storage::v1::MemberRecord member;
  member.set_member_id("bm-4711");
  member.set_status(loyalty::v1::MEMBER_STATUS_ACTIVE);
  loyalty::v1::LedgerEntry entry;
  entry.set_member_id("bm-4711");
  entry.set_kind(loyalty::v1::ENTRY_KIND_EARN);
  entry.set_points_delta(1);
  for (auto _ : state) {
    entry.set_available_after_points(member.available_points() + 1);
    benchmark::DoNotOptimize(FoldEntry(entry, &member));
  }
}
BENCHMARK(BM_FoldEntry);

}  // namespace
}  // namespace loyalty

BENCHMARK_MAIN();
