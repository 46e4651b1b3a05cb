// File: tests/storage/fault_injection_fs.h
//
// A rocksdb::FileSystem over the local one that makes writes fail with
// IOStatus::NoSpace() ("disk full") while a fault is set, so a test can fill
// the disk at a chosen moment, in process, without root. RocksDbStore takes it
// through RocksDbOptions::file_system.
//
// Faults apply to writable files opened through this file system (WAL,
// MANIFEST, SST and OPTIONS files), also to ones opened before the fault was
// set:
//   kWrites      Append, PositionedAppend, Flush, Sync, Fsync, RangeSync fail
//                and nothing reaches the file: a full disk.
//   kSyncs       Append and Flush pass (bytes reach the OS page cache), but
//                Sync, Fsync and RangeSync fail: the data's fate is unknown, the
//                way a failed fsync leaves it.
// `files` limits the fault to file names ending in a suffix (".log" for WALs,
// ".sst" for table files); empty means every file.
//
// Not covered: RocksDB's info LOG. RocksDB opens it with Env::NewLogger,
// which the composite Env (rocksdb::NewCompositeEnv) forwards to the default
// Env, so LOG writes bypass this file system. A full disk that fails the LOG
// too is what disk_full_test (a real tmpfs) exercises.
//
//   auto fs = std::make_shared<FaultInjectingFileSystem>();
//   RocksDbOptions options; options.file_system = fs;
//   fs->SetFault(FaultInjectingFileSystem::Fault::kWrites);  // disk full
//   ... writes now fail ...
//   fs->SetFault(FaultInjectingFileSystem::Fault::kNone);    // space freed
#ifndef LOYALTY_TESTS_STORAGE_FAULT_INJECTION_FS_H_
#define LOYALTY_TESTS_STORAGE_FAULT_INJECTION_FS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace loyalty::testing {

class FaultInjectingFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  enum class Fault { kNone, kWrites, kSyncs };

  FaultInjectingFileSystem();

  static const char* kClassName() { return "FaultInjectingFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // Sets the fault for every later call on every writable file whose name
  // ends in `file_suffix` ("" = all).
  void SetFault(Fault fault, std::string file_suffix = "");
  // Calls failed so far.
  uint64_t injected() const { return injected_.load(); }
  // Names (last path component) of files whose calls failed, comma-separated
  // and in first-failure order: what RocksDB was writing when it failed.
  std::string failed_files() const;

  // True when a call of kind `sync` (else a data write) on `file_name` should
  // fail now; counts it.
  bool ShouldFail(const std::string& file_name, bool sync);

  rocksdb::IOStatus NewWritableFile(
      const std::string& file_name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& file_name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& file_name, const std::string& old_file_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* debug) override;

 private:
  mutable absl::Mutex mutex_;
  Fault fault_ ABSL_GUARDED_BY(mutex_) = Fault::kNone;
  std::string file_suffix_ ABSL_GUARDED_BY(mutex_);
  std::string failed_files_ ABSL_GUARDED_BY(mutex_);
  std::atomic<uint64_t> injected_{0};
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_STORAGE_FAULT_INJECTION_FS_H_
