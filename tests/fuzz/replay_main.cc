// File: tests/fuzz/replay_main.cc
//
// main() for the plain (g++) build of a fuzz target, so every ctest run
// exercises the targets without clang or libFuzzer:
//
//   validation_fuzz_replay [--mutations=N] [--seed=S] PATH...
//
// Feeds LLVMFuzzerTestOneInput every file under each PATH (a file or a
// directory; files whose names start with '.' are skipped, so .gitkeep can
// hold an empty regressions dir in git), then N mutations of those files made
// by a pseudo-random generator with a fixed seed, so a run is deterministic:
// the same inputs in the same order every time. Prints
//   replayed 1042 inputs (42 files, 1000 mutations, seed 1)
// and exits 0. A target that finds a broken invariant aborts; before dying,
// the handler below names the input and writes its bytes to
// ./fuzz-replay-crash-input (the ctest working directory: the build dir), so
// a crash found by a mutation can be replayed with the libFuzzer binary or
// kept as a regression file.
//
// Exits 2 on a usage error, a missing PATH or when no file was found at all:
// a test that replays nothing is a broken test, not a pass.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

struct Input {
  std::string name;
  std::string bytes;
};

// What the crash handler reports. Filled before every call; the handler reads
// it with async-signal-safe calls only.
constexpr char kCrashInputPath[] = "fuzz-replay-crash-input";
char current_name[512] = "";
const std::string* current_bytes = nullptr;

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void OnCrash(int signal_number) {
  const char kPrefix[] = "\nfuzz replay: crashed on input: ";
  WriteAll(STDERR_FILENO, kPrefix, sizeof(kPrefix) - 1);
  WriteAll(STDERR_FILENO, current_name, strlen(current_name));
  if (current_bytes != nullptr) {
    int fd = open(kCrashInputPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      WriteAll(fd, current_bytes->data(), current_bytes->size());
      close(fd);
      const char kSaved[] = "\nfuzz replay: its bytes are in ./";
      WriteAll(STDERR_FILENO, kSaved, sizeof(kSaved) - 1);
      WriteAll(STDERR_FILENO, kCrashInputPath, sizeof(kCrashInputPath) - 1);
    }
  }
  WriteAll(STDERR_FILENO, "\n", 1);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void Run(const std::string& name, const std::string& bytes) {
  std::snprintf(current_name, sizeof(current_name), "%s", name.c_str());
  current_bytes = &bytes;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                         bytes.size());
  current_bytes = nullptr;
}

bool ReadFile(const fs::path& path, std::string* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes->assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  return true;
}

// Appends the files of `path` (a file, or a directory searched recursively)
// sorted by name, so the order does not depend on the file system.
bool CollectInputs(const fs::path& path, std::vector<Input>* inputs) {
  std::error_code error;
  std::vector<fs::path> files;
  if (fs::is_regular_file(path, error)) {
    files.push_back(path);
  } else if (fs::is_directory(path, error)) {
    for (const auto& entry : fs::recursive_directory_iterator(path, error)) {
      if (!entry.is_regular_file()) continue;
      if (entry.path().filename().string().rfind('.', 0) == 0) continue;
      files.push_back(entry.path());
    }
    if (error) return false;
    std::sort(files.begin(), files.end());
  } else {
    return false;
  }
  for (const fs::path& file : files) {
    Input input{file.string(), ""};
    if (!ReadFile(file, &input.bytes)) return false;
    inputs->push_back(std::move(input));
  }
  return true;
}

// A few of libFuzzer's mutations, enough to walk off the seeds' happy paths:
// bit flips, byte sets to interesting values, inserts, erases, truncation,
// duplicated chunks and splices with another input.
std::string Mutate(const std::vector<Input>& inputs, const std::string& base,
                   std::mt19937_64& rng) {
  static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80,
                                             0xff, 0x20, 0x0a, '"'};
  std::string out = base;
  auto below = [&rng](size_t n) {
    return static_cast<size_t>(rng() % std::max<size_t>(n, 1));
  };
  int steps = 1 + static_cast<int>(below(4));
  for (int step = 0; step < steps; ++step) {
    switch (below(7)) {
      case 0:  // Flip one bit.
        if (!out.empty())
          out[below(out.size())] ^= static_cast<char>(1 << below(8));
        break;
      case 1:  // Set a byte to an interesting value.
        if (!out.empty()) {
          out[below(out.size())] =
              static_cast<char>(kInteresting[below(sizeof(kInteresting))]);
        }
        break;
      case 2:  // Insert a random byte.
        out.insert(
            out.begin() + static_cast<std::ptrdiff_t>(below(out.size() + 1)),
            static_cast<char>(below(256)));
        break;
      case 3:  // Erase a short run.
        if (!out.empty()) {
          size_t at = below(out.size());
          out.erase(at, 1 + below(std::min<size_t>(8, out.size() - at)));
        }
        break;
      case 4:  // Truncate.
        out.resize(below(out.size() + 1));
        break;
      case 5: {  // Duplicate a chunk in place.
        if (out.empty()) break;
        size_t at = below(out.size());
        size_t length = 1 + below(std::min<size_t>(16, out.size() - at));
        out.insert(at, out.substr(at, length));
        break;
      }
      default: {  // Splice: our head, another input's tail.
        const std::string& other = inputs[below(inputs.size())].bytes;
        out = out.substr(0, below(out.size() + 1)) +
              other.substr(below(other.size() + 1));
        break;
      }
    }
  }
  return out;
}

bool ParseCount(const char* arg, const char* flag, uint64_t* value) {
  size_t length = strlen(flag);
  if (strncmp(arg, flag, length) != 0) return false;
  char* end = nullptr;
  *value = std::strtoull(arg + length, &end, 10);
  return end != arg + length && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t mutations = 0;
  uint64_t seed = 1;
  std::vector<Input> inputs;
  for (int i = 1; i < argc; ++i) {
    if (ParseCount(argv[i], "--mutations=", &mutations) ||
        ParseCount(argv[i], "--seed=", &seed)) {
      continue;
    }
    if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: %s [--mutations=N] [--seed=S] PATH...\n",
                   argv[0]);
      return 2;
    }
    if (!CollectInputs(argv[i], &inputs)) {
      std::fprintf(stderr, "fuzz replay: cannot read %s\n", argv[i]);
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "fuzz replay: no inputs found\n");
    return 2;
  }

  for (int signal_number : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    std::signal(signal_number, OnCrash);
  }

  for (const Input& input : inputs) Run(input.name, input.bytes);

  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < mutations; ++i) {
    const Input& base = inputs[i % inputs.size()];
    std::string mutated = Mutate(inputs, base.bytes, rng);
    Run("mutation " + std::to_string(i) + " of " + base.name, mutated);
  }

  std::printf("replayed %llu inputs (%zu files, %llu mutations, seed %llu)\n",
              static_cast<unsigned long long>(inputs.size() + mutations),
              inputs.size(), static_cast<unsigned long long>(mutations),
              static_cast<unsigned long long>(seed));
  return 0;
}
