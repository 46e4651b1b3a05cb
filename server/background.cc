#include "server/background.h"

namespace loyalty {

BackgroundRunner::BackgroundRunner() : thread_([this] { Loop(); }) {}

BackgroundRunner::~BackgroundRunner() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void BackgroundRunner::Run(std::function<void()> task) {
  absl::MutexLock lock(&mutex_);
  tasks_.push_back(std::move(task));
}

void BackgroundRunner::Loop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !tasks_.empty() || stopping_;
      };
      mutex_.Await(absl::Condition(&ready));
      if (tasks_.empty()) return;  // Stopping, and every task has run.
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace loyalty
