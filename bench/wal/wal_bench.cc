// craft-walbench measures craft::wal next to the floor of the disk it runs
// on, and prints one line per cell:
//
//   craft-walbench [--dir DIR] [--batch B] [--seconds S] [--reps R]
//                  [--recovery-mib M]
//
// append (for B = 1, 16 and 256, or just --batch): batches of B entries of
// 128 bytes, each batch one Wal::Save with sync, for S seconds; the floor
// is the same payload bytes written to plain preallocated files (fresh
// ones, as the WAL's segments are) with write(2) + fdatasync(2) per batch,
// no framing. Floor and WAL alternate,
// R repetitions each, medians reported:
//   bench=wal_append batch=256 entry_bytes=128 entries_per_s=...
//     mb_per_s=... floor_entries_per_s=... floor_mb_per_s=...
//     wal_vs_floor=...   (the WAL's time per batch / the floor's)
//
// recovery (M > 0): writes a WAL of M MiB, evicts it from the page cache,
// and times Wal::Open (replay of every record) against reading the same
// files with read(2) after the same eviction:
//   bench=wal_recovery mib=... entries=... open_s=... mb_per_s=...
//     read_mb_per_s=... cached_open_s=...   (Open again, files cached)
//
// DIR (default: a fresh directory under $TMPDIR or /tmp) must be on the
// disk to measure. Exits 1 if a WAL operation fails, 2 on a bad command
// line.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "craft/raftpb.h"
#include "craft/wal/wal.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kEntryBytes = 128;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "craft-walbench: %s\n", what.c_str());
  std::exit(1);
}

// Seconds per batch of the floor: write + fdatasync of batch * 128 bytes,
// appended to plain files preallocated like WAL segments (64 MiB, a fresh
// file when one is full, as the WAL writes into fresh segments: writing
// into newly allocated space costs the file system more than overwriting).
double FloorSecondsPerBatch(const std::string& dir, size_t batch,
                            double seconds) {
  constexpr off_t kPrealloc = off_t{64} << 20;
  const std::string buf(batch * kEntryBytes, 'x');
  int fd = -1, files = 0;
  off_t off = kPrealloc;  // opens the first file
  std::string path;
  uint64_t batches = 0;
  const Clock::time_point start = Clock::now();
  Clock::duration elapsed{};
  while (Seconds(elapsed = Clock::now() - start) < seconds) {
    if (off + static_cast<off_t>(buf.size()) > kPrealloc) {
      if (fd >= 0) {
        ::close(fd);
        ::unlink(path.c_str());
      }
      path = dir + "/floor" + std::to_string(files++);
      fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
      if (fd < 0) Die("open " + path);
      if (::posix_fallocate(fd, 0, kPrealloc) != 0) Die("fallocate " + path);
      if (::fsync(fd) != 0) Die("fsync " + path);
      off = 0;
    }
    if (::pwrite(fd, buf.data(), buf.size(), off) !=
        static_cast<ssize_t>(buf.size())) {
      Die("write " + path);
    }
    if (::fdatasync(fd) != 0) Die("fdatasync " + path);
    off += static_cast<off_t>(buf.size());
    ++batches;
  }
  ::close(fd);
  ::unlink(path.c_str());
  return Seconds(elapsed) / static_cast<double>(batches);
}

// Seconds per batch of Wal::Save with sync, in a fresh WAL.
double WalSecondsPerBatch(const std::string& dir, size_t batch,
                          double seconds) {
  const std::string wdir = dir + "/wal";
  std::filesystem::remove_all(wdir);
  absl::StatusOr<std::unique_ptr<craft::Wal>> wal =
      craft::Wal::Open(wdir, {}, nullptr);
  if (!wal.ok()) Die(wal.status().ToString());
  const craft::Payload payload(std::string(kEntryBytes, 'x'));
  std::vector<craft::Entry> ents(batch);
  craft::HardState hs;
  hs.set_term(1);
  uint64_t next = 1, batches = 0;
  const Clock::time_point start = Clock::now();
  Clock::duration elapsed{};
  while (Seconds(elapsed = Clock::now() - start) < seconds) {
    for (craft::Entry& e : ents) {
      e = craft::MakeEntry(next++, 1);
      e.set_data(payload);  // shared, as the core hands entries over
    }
    hs.set_commit(next - 1);
    if (absl::Status s = (*wal)->Save(&hs, ents, true); !s.ok()) {
      Die(s.ToString());
    }
    ++batches;
  }
  wal->reset();
  std::filesystem::remove_all(wdir);
  return Seconds(elapsed) / static_cast<double>(batches);
}

// Drops the files of `dir` from the page cache (they are synced).
void Evict(const std::string& dir) {
  for (const auto& ent : std::filesystem::directory_iterator(dir)) {
    const int fd = ::open(ent.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

void Recovery(const std::string& dir, uint64_t mib) {
  const std::string wdir = dir + "/recovery";
  std::filesystem::remove_all(wdir);
  {
    absl::StatusOr<std::unique_ptr<craft::Wal>> wal =
        craft::Wal::Open(wdir, {}, nullptr);
    if (!wal.ok()) Die(wal.status().ToString());
    const craft::Payload payload(std::string(1024, 'r'));
    std::vector<craft::Entry> ents(256);
    uint64_t next = 1;
    for (uint64_t written = 0; written < (mib << 20);
         written += ents.size() * payload.size()) {
      for (craft::Entry& e : ents) {
        e = craft::MakeEntry(next++, 1);
        e.set_data(payload);
      }
      if (absl::Status s = (*wal)->Save(nullptr, ents, false); !s.ok()) {
        Die(s.ToString());
      }
    }
    if (absl::Status s = (*wal)->Sync(); !s.ok()) Die(s.ToString());
  }
  uint64_t bytes = 0;
  for (const auto& ent : std::filesystem::directory_iterator(wdir)) {
    bytes += ent.file_size();
  }
  const double mb = static_cast<double>(bytes) / 1e6;

  Evict(wdir);
  Clock::time_point start = Clock::now();
  std::vector<char> buf(size_t{1} << 20);
  for (const auto& ent : std::filesystem::directory_iterator(wdir)) {
    const int fd = ::open(ent.path().c_str(), O_RDONLY);
    if (fd < 0) Die("open " + ent.path().string());
    while (::read(fd, buf.data(), buf.size()) > 0) {
    }
    ::close(fd);
  }
  const double read_s = Seconds(Clock::now() - start);

  Evict(wdir);
  start = Clock::now();
  craft::WalContents contents;
  absl::StatusOr<std::unique_ptr<craft::Wal>> wal =
      craft::Wal::Open(wdir, {}, &contents);
  const double open_s = Seconds(Clock::now() - start);
  if (!wal.ok()) Die(wal.status().ToString());
  wal->reset();
  contents = {};
  // Again from the page cache: the replay's own cost.
  start = Clock::now();
  wal = craft::Wal::Open(wdir, {}, &contents);
  const double cached_s = Seconds(Clock::now() - start);
  if (!wal.ok()) Die(wal.status().ToString());
  wal->reset();
  std::filesystem::remove_all(wdir);
  std::printf(
      "bench=wal_recovery mib=%.1f entries=%zu open_s=%.3f mb_per_s=%.1f "
      "read_mb_per_s=%.1f cached_open_s=%.3f\n",
      static_cast<double>(bytes) / (1 << 20), contents.entries.size(), open_s,
      mb / open_s, mb / read_s, cached_s);
}

void Append(const std::string& dir, size_t batch, double seconds, int reps) {
  std::vector<double> floor, wal;
  for (int r = 0; r < reps; ++r) {
    floor.push_back(FloorSecondsPerBatch(dir, batch, seconds));
    wal.push_back(WalSecondsPerBatch(dir, batch, seconds));
  }
  const double f = Median(floor), w = Median(wal);
  const double n = static_cast<double>(batch);
  const double mb = n * kEntryBytes / 1e6;
  std::printf(
      "bench=wal_append batch=%zu entry_bytes=%zu entries_per_s=%.0f "
      "mb_per_s=%.2f floor_entries_per_s=%.0f floor_mb_per_s=%.2f "
      "wal_vs_floor=%.3f\n",
      batch, kEntryBytes, n / w, mb / w, n / f, mb / f, w / f);
  std::fflush(stdout);
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "craft-walbench: %s\nusage: craft-walbench [--dir DIR] "
               "[--batch B] [--seconds S] [--reps R] [--recovery-mib M]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  std::vector<size_t> batches = {1, 16, 256};
  double seconds = 2;
  uint64_t reps = 3;
  uint64_t recovery_mib = 1024;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage("missing value for " + flag);
    const std::string value = argv[++i];
    uint64_t n = 0;
    if (flag == "--dir") {
      dir = value;
    } else if (flag == "--seconds") {
      if (!absl::SimpleAtod(value, &seconds) || seconds <= 0) {
        return Usage("bad --seconds " + value);
      }
    } else if (!absl::SimpleAtoi(value, &n)) {
      return Usage("bad number for " + flag + ": " + value);
    } else if (flag == "--batch" && n > 0) {
      batches = {static_cast<size_t>(n)};
    } else if (flag == "--reps" && n > 0) {
      reps = n;
    } else if (flag == "--recovery-mib") {
      recovery_mib = n;
    } else {
      return Usage("unknown flag or bad value: " + flag + " " + value);
    }
  }
  bool scratch = false;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/craft_walbench_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) return Usage("mkdtemp failed");
    dir = tmpl;
    scratch = true;
  } else {
    std::filesystem::create_directories(dir);
  }
  for (size_t b : batches) Append(dir, b, seconds, static_cast<int>(reps));
  if (recovery_mib > 0) Recovery(dir, recovery_mib);
  if (scratch) std::filesystem::remove_all(dir);
  return 0;
}
