// Runs a libFuzzer target without libFuzzer: on each file named on the
// command line, or, with none, on `--random=N` seeded random inputs (default
// 2000) for a smoke run in ordinary test builds.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long runs = 2000;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--random=", 9) == 0) {
      runs = std::strtol(argv[i] + 9, nullptr, 10);
    } else {
      files.push_back(argv[i]);
    }
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      return 2;
    }
    std::string data((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
  }
  if (files.empty()) {
    std::mt19937_64 rng(20261122);
    for (long r = 0; r < runs; ++r) {
      std::vector<uint8_t> data(rng() % 4096);
      for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
      LLVMFuzzerTestOneInput(data.data(), data.size());
    }
  }
  std::printf("%zu files and %ld random inputs ran without a crash\n",
              files.size(), files.empty() ? runs : 0L);
  return 0;
}
