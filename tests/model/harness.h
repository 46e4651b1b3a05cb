// File: tests/model/harness.h
//
// Drives the real Ledger (over a MemoryStore, with a ManualClock) and the
// reference model (model.h) through one seeded run of generated commands
// (generator.h), and compares them after every step:
//
//   * the status code and error reason; for OK the entry (sequence, member,
//     delta, kind, who did it, times) and the balance in the response; a
//     replay returns the first response byte for byte (replayed set);
//   * GetBalance of the member against the model;
//   * what was written: nothing for a malformed request, a reused request id
//     or a replay; exactly the one request record for a remembered
//     rejection; one entry with its index, member, head, request record (and
//     order / identifiers) for an applied command. Every Write is recorded
//     (RecordingStore); on sampled steps every family is also scanned and
//     hashed before and after, and the difference must be exactly the
//     recorded puts (no byte changes otherwise), with every family's key
//     count matching the model;
//   * periodically and at the end: Ledger::Verify() is ok, and every
//     member's statement (ListEntries through every page) sums to its
//     balance, oldest entry ENROLL, available_after_points a running sum.
//
// Steps run one at a time (each callback awaited), or as a group of 2..20
// commands submitted together and awaited together; the writer is held
// until the whole group is queued, so the group is applied in batches, and
// the model applies it in submission order.
#ifndef LOYALTY_TESTS_MODEL_HARNESS_H_
#define LOYALTY_TESTS_MODEL_HARNESS_H_

#include <cstdint>
#include <string>

namespace loyalty::model {

struct RunOptions {
  uint64_t seed = 0;
  int64_t steps = 0;
  // Verify and statement checks every this many steps (and at the end).
  int64_t verify_every = 500;
  int64_t statements_every = 250;
  // Average number of store keys the sampled full-store scans may read per
  // step; small stores are scanned on every step.
  int64_t scan_keys_per_step = 4000;
  bool trace = false;  // Print every command and outcome to stderr.
  // Send commands near the int64 and balance limits (see generator.h).
  bool near_limits = true;
};

struct RunReport {
  bool ok = true;
  std::string failure;  // Seed, step, command, expected vs actual, history.
  // What the run exercised.
  int64_t steps = 0;
  int64_t commands = 0;
  int64_t groups = 0;
  int64_t ok_applied = 0;
  int64_t replays = 0;
  int64_t remembered_rejections = 0;
  int64_t balance_overflows = 0;  // Refused at INT64_MAX (a remembered one).
  int64_t request_id_reused = 0;
  int64_t malformed = 0;
  int64_t store_scans = 0;
  int64_t steps_scanned = 0;  // Steps whose whole store was compared.
  int64_t verifies = 0;
  int64_t statements = 0;
  uint64_t members = 0;
  uint64_t last_sequence = 0;
  uint64_t batch_commands_max_seen = 0;
  double seconds = 0;

  std::string Summary() const;
};

RunReport RunModelTest(const RunOptions& options);

}  // namespace loyalty::model

#endif  // LOYALTY_TESTS_MODEL_HARNESS_H_
