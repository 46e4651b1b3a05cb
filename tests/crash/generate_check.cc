#include "tests/crash/generate_check.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "loyalty/v1/loyalty_service.grpc.pb.h"
#include "tests/crash/test_program.h"

namespace loyalty::crash {
namespace {

// Codes of each chunk handed to the CouponBook for redemptions.
constexpr int kOfferedPerChunk = 3;

}  // namespace

void GenerateCheck::Record(const std::string& batch_id, int64_t first_index,
                           const std::vector<std::string>& codes,
                           Failures* failures) {
  std::lock_guard<std::mutex> lock(mutex_);
  Batch& batch = batches_[batch_id];
  for (size_t i = 0; i < codes.size(); ++i) {
    const int64_t index = first_index + static_cast<int64_t>(i);
    auto [at, inserted] = batch.codes.emplace(index, codes[i]);
    if (!inserted && at->second != codes[i] && failures != nullptr) {
      failures->push_back(absl::StrCat("batch ", batch_id, ": code ", index,
                                       " was ", at->second, ", now ",
                                       codes[i]));
    }
  }
}

bool GenerateCheck::Stream(const std::string& address,
                           const std::string& batch_id, Failures* failures,
                           bool* cut) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = loyalty::v1::AdminService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminKey));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  loyalty::v1::GenerateCouponsRequest request;
  // A new request id per call: the batch id is what resumes.
  request.mutable_context()->set_request_id(absl::StrCat(
      batch_id, "-",
      std::chrono::steady_clock::now().time_since_epoch().count()));
  request.set_batch_id(batch_id);
  request.set_template_id(kCouponTemplateMulti);
  request.set_count(kBatchCount);
  auto reader = stub->GenerateCoupons(&context, request);
  loyalty::v1::GenerateCouponsResponse chunk;
  bool any = false;
  while (reader->Read(&chunk)) {
    any = true;
    std::vector<std::string> codes(chunk.codes().begin(), chunk.codes().end());
    Record(batch_id, chunk.first_index(), codes, failures);
    std::lock_guard<std::mutex> lock(mutex_);
    counts_.codes_streamed += codes.size();
    if (failures != nullptr) continue;  // Offered during the load only.
    for (int i = 0; i < kOfferedPerChunk && i < static_cast<int>(codes.size());
         ++i) {
      offered_.push_back(codes[static_cast<size_t>(i)]);
    }
  }
  const grpc::Status status = reader->Finish();
  if (cut != nullptr) *cut = any && !status.ok();
  if (!status.ok() && failures != nullptr) {
    failures->push_back(
        absl::StrCat("GenerateCoupons of batch ", batch_id,
                     " after the restart: ", status.error_message()));
  }
  return status.ok();
}

void GenerateCheck::RunDuringLoad(const std::string& address,
                                  const std::atomic<bool>* stop,
                                  CouponBook* book) {
  while (!stop->load()) {
    std::string batch_id;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch_id = absl::StrCat("crash-batch-", next_batch_);
    }
    bool cut = false;
    const size_t offered_before = [&] {
      std::lock_guard<std::mutex> lock(mutex_);
      return offered_.size();
    }();
    // Failures during the load are the signal's doing: not recorded.
    const bool complete = Stream(address, batch_id, nullptr, &cut);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = offered_before; i < offered_.size(); ++i) {
        book->AddBearer(offered_[i]);
        ++counts_.bearer_codes_offered;
      }
      counts_.batches_cut += cut;
      if (complete) ++next_batch_;
    }
    // The server is down until the next cycle: ask again shortly.
    std::this_thread::sleep_for(
        std::chrono::milliseconds(complete ? kPauseBetweenBatchesMs : 20));
  }
}

void GenerateCheck::CheckAfterRestart(const std::string& address,
                                      Failures* failures) {
  std::vector<std::string> batch_ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string last_complete;
    for (const auto& [batch_id, batch] : batches_) {
      if (!batch.complete) {
        batch_ids.push_back(batch_id);
      } else {
        last_complete = batch_id;
      }
    }
    if (!last_complete.empty()) batch_ids.push_back(last_complete);
  }
  for (const std::string& batch_id : batch_ids) {
    std::map<int64_t, std::string> before;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      before = batches_[batch_id].codes;
    }
    // Completes the batch (or streams it again): Record fails any code that
    // moved.
    if (!Stream(address, batch_id, failures, nullptr)) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    Batch& batch = batches_[batch_id];
    if (static_cast<int64_t>(batch.codes.size()) != kBatchCount ||
        batch.codes.begin()->first != 0 ||
        batch.codes.rbegin()->first != kBatchCount - 1) {
      failures->push_back(absl::StrCat("batch ", batch_id, " has ",
                                       batch.codes.size(), " codes, not ",
                                       kBatchCount));
    }
    for (const auto& [index, code] : before) {
      if (batch.codes[index] != code) {
        failures->push_back(absl::StrCat("batch ", batch_id, ": code ", index,
                                         " streamed before the signal is "
                                         "gone"));
      }
    }
    if (batch.complete) continue;  // Its codes were counted when checked.
    std::set<std::string> distinct;
    for (const auto& [index, code] : batch.codes) {
      auto [at, inserted] = checked_codes_.emplace(code, batch_id);
      if (!inserted || !distinct.insert(code).second) {
        failures->push_back(absl::StrCat("code ", code, " (batch ", batch_id,
                                         ", ", index, ") is also in batch ",
                                         at->second));
      }
    }
    batch.complete = true;
    ++counts_.batches_complete;
    counts_.batches_resumed +=
        !before.empty() && static_cast<int64_t>(before.size()) < kBatchCount;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // The load's stream moves to a new batch: every one begun is complete.
  next_batch_ = static_cast<int>(batches_.size());
}

std::vector<std::string> GenerateCheck::TakeOffered() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> taken = std::move(offered_);
  offered_.clear();
  return taken;
}

}  // namespace loyalty::crash
