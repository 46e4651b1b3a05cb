#include "tests/crash/watch_check.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "loyalty/client/entry_chain.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {

void WatchCheck::Attach(const std::string& address) {
  Detach();
  stop_ = false;
  thread_ = std::thread([this, address] { Follow(address); });
}

void WatchCheck::Detach() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void WatchCheck::Follow(std::string address) {
  auto stub = loyalty::v1::AdminService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  while (!stop_) {
    client::EntryChainVerifier chain(0, "");
    loyalty::v1::WatchEntriesRequest request;
    {
      absl::MutexLock lock(&mutex_);
      if (!problems_.empty()) return;
      chain = client::EntryChainVerifier(
          hashes_.size(), hashes_.empty() ? "" : hashes_.back());
      request.set_from_sequence(hashes_.size() + 1);
      ++counts_.streams;
    }
    request.set_heartbeat_interval_ms(200);
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminKey));
    auto reader = stub->WatchEntries(&context, request);
    loyalty::v1::WatchEntriesResponse response;
    while (!stop_ && reader->Read(&response)) {
      absl::MutexLock lock(&mutex_);
      for (const loyalty::v1::StreamedEntry& streamed : response.entries()) {
        absl::StatusOr<loyalty::v1::LedgerEntry> entry = chain.Accept(streamed);
        if (!entry.ok()) {
          problems_.push_back(absl::StrCat("change stream consumer: ",
                                           entry.status().message()));
          break;
        }
        hashes_.push_back(streamed.hash());
        counts_.entries = hashes_.size();
      }
      if (!problems_.empty()) break;
    }
    context.TryCancel();
    reader->Finish();  // Broken by a kill, a SIGTERM or the cancel above.
    if (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void WatchCheck::CheckCaughtUp(uint64_t head, const std::string& head_hash_hex,
                               std::vector<std::string>* failures) {
  const absl::Time deadline = absl::Now() + absl::Minutes(1);
  absl::MutexLock lock(&mutex_);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return hashes_.size() >= head || !problems_.empty();
  };
  while (!reached() && absl::Now() < deadline) {
    mutex_.Unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    mutex_.Lock();
  }
  for (const std::string& problem : problems_) failures->push_back(problem);
  if (!problems_.empty()) return;
  ++counts_.caught_up_checks;
  if (hashes_.size() < head) {
    failures->push_back(absl::StrCat(
        "change stream consumer: has ", hashes_.size(),
        " entries a minute after the ledger reached ", head));
    return;
  }
  if (absl::BytesToHexString(hashes_[head - 1]) != head_hash_hex) {
    failures->push_back(absl::StrCat(
        "change stream consumer: its entry ", head,
        " has another hash than the ledger's head"));
  }
}

WatchCounts WatchCheck::counts() const {
  absl::MutexLock lock(&mutex_);
  return counts_;
}

}  // namespace loyalty::crash
