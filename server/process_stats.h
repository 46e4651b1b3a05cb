// File: server/process_stats.h
//
// CPU time and resident memory of this process, for GetServerStats.
#ifndef LOYALTY_SERVER_PROCESS_STATS_H_
#define LOYALTY_SERVER_PROCESS_STATS_H_

#include <cstdint>

namespace loyalty {

struct ProcessStats {
  int64_t cpu_user_ms = 0;
  int64_t cpu_system_ms = 0;
  int64_t rss_bytes = 0;  // 0 when /proc is not readable.
};

ProcessStats ReadProcessStats();

}  // namespace loyalty

#endif  // LOYALTY_SERVER_PROCESS_STATS_H_
