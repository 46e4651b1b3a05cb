#include "server/keys_reloader.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace loyalty {

KeysReloader::KeysReloader(std::string path, std::string loaded_content,
                           Authenticator* auth, int64_t poll_interval_ms,
                           Logger* logger)
    : path_(std::move(path)),
      auth_(auth),
      poll_interval_ms_(poll_interval_ms),
      logger_(logger),
      last_content_(std::move(loaded_content)) {
  if (poll_interval_ms_ > 0) thread_ = std::thread([this] { Poll(); });
}

KeysReloader::~KeysReloader() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status KeysReloader::ReloadNow() {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<std::string> content = ReadKeysFileBytes(path_);
  if (!content.ok()) return Refuse(content.status());
  return Load(*content);
}

absl::Status KeysReloader::Refuse(const absl::Status& problem) {
  ++stats_.reloads_refused;
  logger_->Warn("keys file refused; keeping the keys loaded",
                {{"file", path_},
                 {"keys", auth_->key_count()},
                 {"error", problem.message()}});
  return problem;
}

absl::Status KeysReloader::Load(const std::string& content) {
  last_content_ = content;
  absl::StatusOr<KeyRing> keys = ParseKeysFile(content, path_);
  if (!keys.ok()) return Refuse(keys.status());
  const size_t count = keys->principals_by_key_hash.size();
  const size_t subjects = keys->principals_by_cert_subject.size();
  auth_->ReplaceKeys(std::move(*keys));
  ++stats_.reloads;
  logger_->Info("keys loaded", {{"file", path_},
                                {"keys", count},
                                {"client_certificate_subjects", subjects}});
  return absl::OkStatus();
}

void KeysReloader::Poll() {
  absl::MutexLock lock(&mutex_);
  while (true) {
    mutex_.AwaitWithTimeout(absl::Condition(&stopping_),
                            absl::Milliseconds(poll_interval_ms_));
    if (stopping_) return;
    // A file that is missing for a moment (being replaced) is not a change:
    // the next poll sees the new one.
    absl::StatusOr<std::string> content = ReadKeysFileBytes(path_);
    if (content.ok() && *content != last_content_) {
      Load(*content).IgnoreError();
    }
  }
}

KeysReloadStats KeysReloader::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

}  // namespace loyalty
