// File: server/keys_reloader.h
//
// Keeps the authenticator's keys equal to the keys file's, without a
// restart: the file is read again on SIGHUP (loyaltyd calls ReloadNow) and
// whenever its content changes (polled; a Kubernetes Secret or a `mv` over
// the file is seen the same way). A rollover lists the old and the new key
// together, then the old one goes.
//
// A file that does not load (unreadable, malformed, invalid) changes
// nothing: the keys loaded before stay, and the problem is printed once per
// content, naming the field.
#ifndef LOYALTY_SERVER_KEYS_RELOADER_H_
#define LOYALTY_SERVER_KEYS_RELOADER_H_

#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/auth.h"
#include "server/log.h"

namespace loyalty {

struct KeysReloadStats {
  uint64_t reloads = 0;          // Loads that replaced the keys.
  uint64_t reloads_refused = 0;  // Loads that kept the keys before.
};

class KeysReloader {
 public:
  // `loaded_content` is what `auth` was built from. Polls every
  // `poll_interval_ms` (0: only ReloadNow). Logs each load or refusal to
  // `logger`. `auth` and `logger` outlive the reloader.
  KeysReloader(std::string path, std::string loaded_content,
               Authenticator* auth, int64_t poll_interval_ms, Logger* logger);
  // Stops and joins the polling thread.
  ~KeysReloader();
  KeysReloader(const KeysReloader&) = delete;
  KeysReloader& operator=(const KeysReloader&) = delete;

  // Reads and loads the file now: OK when its keys replaced the old ones,
  // the problem (and nothing changed) otherwise.
  absl::Status ReloadNow();

  KeysReloadStats stats() const;

 private:
  void Poll();
  // Loads `content` (what the file held just now) and reports the outcome.
  absl::Status Load(const std::string& content) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
      mutex_);
  // Counts and logs a load that kept the keys before; returns `problem`.
  absl::Status Refuse(const absl::Status& problem)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string path_;
  Authenticator* const auth_;
  const int64_t poll_interval_ms_;
  Logger* const logger_;
  mutable absl::Mutex mutex_;
  // The content last loaded or refused: polling reloads only a change.
  std::string last_content_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  KeysReloadStats stats_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace loyalty

#endif  // LOYALTY_SERVER_KEYS_RELOADER_H_
