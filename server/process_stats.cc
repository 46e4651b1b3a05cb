#include "server/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

namespace loyalty {
namespace {

int64_t ToMs(const timeval& t) {
  return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_usec / 1000;
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    stats.cpu_user_ms = ToMs(usage.ru_utime);
    stats.cpu_system_ms = ToMs(usage.ru_stime);
  }
  // statm: total and resident sizes in pages.
  std::ifstream statm("/proc/self/statm");
  int64_t total_pages = 0;
  int64_t resident_pages = 0;
  if (statm >> total_pages >> resident_pages) {
    stats.rss_bytes = resident_pages * sysconf(_SC_PAGESIZE);
  }
  return stats;
}

}  // namespace loyalty
