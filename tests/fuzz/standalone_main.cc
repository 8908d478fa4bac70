// Runs a libFuzzer target without libFuzzer, for ordinary test builds: on
// each file named on the command line (a directory stands for the files in
// it, such as a seed corpus), then on `--random=N` seeded random inputs. With
// no file and no --random, 2000 random inputs. `--first=K` starts the random
// inputs at the K-th (numbered from 0), to rerun one that failed.
//
// A target reports a failure by aborting; the driver then names the input
// that was running.

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

// What is running, for the abort handler.
char current[512] = "";

void OnAbort(int) {
  const char prefix[] = "standalone fuzz driver: aborted on ";
  (void)!write(2, prefix, sizeof(prefix) - 1);
  (void)!write(2, current, std::strlen(current));
  (void)!write(2, "\n", 1);
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

void Run(const std::string& data) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                         data.size());
}

}  // namespace

int main(int argc, char** argv) {
  long runs = -1;
  long first = 0;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--random=", 9) == 0) {
      runs = std::strtol(argv[i] + 9, nullptr, 10);
    } else if (std::strncmp(argv[i], "--first=", 8) == 0) {
      first = std::strtol(argv[i] + 8, nullptr, 10);
    } else if (std::filesystem::is_directory(argv[i])) {
      std::vector<std::string> in_dir;
      for (const auto& f : std::filesystem::directory_iterator(argv[i])) {
        if (f.is_regular_file()) in_dir.push_back(f.path().string());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(argv[i]);
    }
  }
  if (runs < 0) runs = files.empty() ? 2000 : 0;
  std::signal(SIGABRT, OnAbort);
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 2;
    }
    std::snprintf(current, sizeof(current), "file %s", f.c_str());
    Run(std::string((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>()));
  }
  std::mt19937_64 rng(20261122);
  for (long r = 0; r < first + runs; ++r) {
    std::string data(rng() % 4096, '\0');
    for (char& b : data) b = static_cast<char>(rng());
    if (r < first) continue;
    std::snprintf(current, sizeof(current),
                  "random input %ld (rerun with --first=%ld --random=1)", r, r);
    Run(data);
  }
  std::printf("%zu files and %ld random inputs ran without a failure\n",
              files.size(), runs);
  return 0;
}
