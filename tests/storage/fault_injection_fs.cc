#include "tests/storage/fault_injection_fs.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace loyalty::testing {
namespace {

rocksdb::IOStatus NoSpace(const std::string& file_name) {
  return rocksdb::IOStatus::NoSpace("injected: no space left on device",
                                    file_name);
}

// A writable file whose writes and syncs ask the file system first.
class FaultInjectingWritableFile final
    : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultInjectingWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file,
                             FaultInjectingFileSystem* file_system,
                             std::string file_name)
      : FSWritableFileOwnerWrapper(std::move(file)),
        file_system_(file_system),
        file_name_(std::move(file_name)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, false)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::Append(data, options, debug);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, false)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::Append(data, options, info, debug);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, false)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options,
                                                        debug);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, false)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options,
                                                        info, debug);
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, false)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::Flush(options, debug);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, true)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::Sync(options, debug);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, true)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::Fsync(options, debug);
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t bytes,
                              const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* debug) override {
    if (file_system_->ShouldFail(file_name_, true)) return NoSpace(file_name_);
    return FSWritableFileOwnerWrapper::RangeSync(offset, bytes, options, debug);
  }

 private:
  FaultInjectingFileSystem* const file_system_;
  const std::string file_name_;
};

}  // namespace

FaultInjectingFileSystem::FaultInjectingFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

void FaultInjectingFileSystem::SetFault(Fault fault, std::string file_suffix) {
  absl::MutexLock lock(&mutex_);
  fault_ = fault;
  file_suffix_ = std::move(file_suffix);
}

std::string FaultInjectingFileSystem::failed_files() const {
  absl::MutexLock lock(&mutex_);
  return failed_files_;
}

bool FaultInjectingFileSystem::ShouldFail(const std::string& file_name,
                                          bool sync) {
  absl::MutexLock lock(&mutex_);
  bool fail = false;
  switch (fault_) {
    case Fault::kNone:
      break;
    case Fault::kWrites:
      fail = true;
      break;
    case Fault::kSyncs:
      fail = sync;
      break;
  }
  if (!fail || !absl::EndsWith(file_name, file_suffix_)) return false;
  ++injected_;
  std::string base = file_name.substr(file_name.rfind('/') + 1);
  if (!absl::StrContains(absl::StrCat(",", failed_files_, ","),
                         absl::StrCat(",", base, ","))) {
    absl::StrAppend(&failed_files_, failed_files_.empty() ? "" : ",", base);
  }
  return true;
}

rocksdb::IOStatus FaultInjectingFileSystem::NewWritableFile(
    const std::string& file_name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* debug) {
  rocksdb::IOStatus s =
      target()->NewWritableFile(file_name, options, result, debug);
  if (s.ok()) {
    *result = std::make_unique<FaultInjectingWritableFile>(std::move(*result),
                                                           this, file_name);
  }
  return s;
}

rocksdb::IOStatus FaultInjectingFileSystem::ReopenWritableFile(
    const std::string& file_name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* debug) {
  rocksdb::IOStatus s =
      target()->ReopenWritableFile(file_name, options, result, debug);
  if (s.ok()) {
    *result = std::make_unique<FaultInjectingWritableFile>(std::move(*result),
                                                           this, file_name);
  }
  return s;
}

rocksdb::IOStatus FaultInjectingFileSystem::ReuseWritableFile(
    const std::string& file_name, const std::string& old_file_name,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* debug) {
  rocksdb::IOStatus s = target()->ReuseWritableFile(file_name, old_file_name,
                                                    options, result, debug);
  if (s.ok()) {
    *result = std::make_unique<FaultInjectingWritableFile>(std::move(*result),
                                                           this, file_name);
  }
  return s;
}

}  // namespace loyalty::testing
