// craft::Wal against damaged directories: torn tails at every offset, bit
// flips, missing segments, foreign and newer files.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "craft/raftpb.h"
#include "craft/wal/wal.h"
#include "gtest/gtest.h"
#include "wal/format.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using wal_internal::ReadRecord;
using wal_internal::ReadResult;
using wal_internal::RecordType;
using wal_test::CopyDir;
using wal_test::E;
using wal_test::FilesIn;
using wal_test::HS;
using wal_test::PayloadFor;
using wal_test::ReadAll;
using wal_test::SameEntries;
using wal_test::ScratchDir;
using wal_test::WriteAll;

constexpr uint64_t kSegmentBytes = 4096;

absl::StatusOr<std::unique_ptr<Wal>> OpenWal(const std::string& dir,
                                             WalContents* out) {
  WalOptions opts;
  opts.segment_bytes = kSegmentBytes;
  return Wal::Open(dir, opts, out);
}

// A record of a segment as the test sees it.
struct Rec {
  uint64_t start = 0;
  uint64_t end = 0;
  RecordType type = RecordType::kEntry;
  std::vector<Entry> entries;
  std::optional<HardState> hs;
};

// The records of a segment file, in order (the header first).
std::vector<Rec> Records(absl::string_view data) {
  std::vector<Rec> out;
  uint64_t pos = 0;
  uint32_t chain = 0;
  for (;;) {
    ReadResult r = ReadRecord(data, pos, chain);
    if (r.kind != ReadResult::kRecord) break;
    Rec rec{pos, r.next, r.type, {}, std::nullopt};
    if (r.type == RecordType::kEntry) {
      rec.entries.push_back(*wal_internal::DecodeEntry(r.payload));
    } else if (r.type == RecordType::kEntries) {
      EXPECT_TRUE(wal_internal::DecodeEntries(r.payload, &rec.entries).ok());
    } else if (r.type == RecordType::kHardState) {
      rec.hs = *wal_internal::DecodeHardState(r.payload);
    }
    out.push_back(std::move(rec));
    chain = r.crc;
    pos = r.next;
  }
  return out;
}

// The log a prefix of records gives (appends only, as the fixture writes).
void Replay(const std::vector<Rec>& recs, size_t n, std::vector<Entry>* ents,
            HardState* hs) {
  for (size_t i = 0; i < n; ++i) {
    ents->insert(ents->end(), recs[i].entries.begin(), recs[i].entries.end());
    if (recs[i].hs) *hs = *recs[i].hs;
  }
}

// A WAL of single-entry saves (with a hard state every third), at least
// three segments, the last holding at least `tail_records` records after
// its header and copies.
class Fixture {
 public:
  explicit Fixture(size_t tail_records) {
    auto wal = OpenWal(dir_.path(), nullptr);
    EXPECT_TRUE(wal.ok()) << wal.status();
    if (!wal.ok()) return;
    for (uint64_t i = 1;; ++i) {
      HardState hs = HS(1, i);
      EXPECT_TRUE(
          (*wal)
              ->Save(i % 3 == 0 ? &hs : nullptr, {E(i, 1, PayloadFor(i))}, true)
              .ok());
      if ((*wal)->segment_count() < 3) continue;
      const std::vector<Rec> recs = Records(ReadAll(LastSegment()));
      size_t normal = 0;
      for (size_t k = 1; k < recs.size(); ++k) {
        if (!recs[k].entries.empty()) normal = recs.size() - k;
        if (!recs[k].entries.empty()) break;
      }
      if (normal >= tail_records) break;
    }
  }

  const std::string& dir() const { return dir_.path(); }
  std::vector<std::string> Segments() const { return FilesIn(dir(), ".wal"); }
  std::string LastSegment() const {
    return absl::StrCat(dir(), "/", Segments().back());
  }

  // The entries and hard state of every segment but the last.
  void Before(std::vector<Entry>* ents, HardState* hs) const {
    const std::vector<std::string> segs = Segments();
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
      const std::vector<Rec> recs =
          Records(ReadAll(absl::StrCat(dir(), "/", segs[i])));
      Replay(recs, recs.size(), ents, hs);
    }
  }

 private:
  ScratchDir dir_;
};

enum class Damage { kTruncate, kZeroFill };

// Damages the copy's last segment at `cut` in the given way, reopens, and
// checks that exactly the records wholly before the cut are there (the one
// across the cut too if the damage left it intact), and that the reopened
// WAL appends durably.
void CheckTornTail(const Fixture& fx, const std::vector<Rec>& tail,
                   const std::string& original, uint64_t cut, Damage how) {
  SCOPED_TRACE(absl::StrCat(how == Damage::kTruncate ? "truncate" : "zero",
                            " at offset ", cut));
  ScratchDir copy;
  CopyDir(fx.dir(), copy.path());
  const std::string seg = absl::StrCat(copy.path(), "/", fx.Segments().back());
  std::string damaged = original.substr(0, cut);
  if (how == Damage::kZeroFill) damaged.resize(original.size(), '\0');
  WriteAll(seg, damaged);

  std::vector<Entry> want;
  HardState want_hs;
  fx.Before(&want, &want_hs);
  size_t kept = 0;
  while (kept < tail.size() &&
         (tail[kept].end <= cut ||
          (how == Damage::kZeroFill &&
           wal_internal::AllZero(
               absl::string_view(original).substr(0, tail[kept].end), cut)))) {
    ++kept;
  }
  Replay(tail, kept, &want, &want_hs);

  WalContents c;
  {
    auto wal = OpenWal(copy.path(), &c);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE(SameEntries(c.entries, want));
    EXPECT_EQ(c.hard_state, want_hs);
    // Appends continue after the last whole record and survive a reopen.
    const uint64_t next = want.back().index() + 1;
    HardState hs = HS(2, next);
    ASSERT_TRUE((*wal)->Save(&hs, {E(next, 2, "after repair")}, true).ok());
    want.push_back(E(next, 2, "after repair"));
    want_hs = hs;
  }
  auto wal = OpenWal(copy.path(), &c);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_TRUE(SameEntries(c.entries, want));
  EXPECT_EQ(c.hard_state, want_hs);
}

TEST(WalCorruptionTest, TornTailAtEveryOffset) {
  constexpr size_t kTail = 6;
  Fixture fx(kTail + 2);
  const std::string original = ReadAll(fx.LastSegment());
  const std::vector<Rec> tail = Records(original);
  ASSERT_GT(tail.size(), kTail + 1);
  const uint64_t from = tail[tail.size() - kTail].start;
  const uint64_t to = tail.back().end + 2;
  for (uint64_t cut = from; cut <= to; ++cut) {
    CheckTornTail(fx, tail, original, cut, Damage::kTruncate);
    CheckTornTail(fx, tail, original, cut, Damage::kZeroFill);
    if (::testing::Test::HasFailure()) break;  // one offset's report is enough
  }
}

// Flips one bit of a copy of `segment` at `offset` and expects Open to fail
// with DataLoss naming the file and `want_offset`.
void ExpectFlipDetected(const Fixture& fx, size_t segment, uint64_t offset,
                        uint64_t want_offset) {
  SCOPED_TRACE(absl::StrCat("segment ", segment, " bit flip at ", offset));
  ScratchDir copy;
  CopyDir(fx.dir(), copy.path());
  const std::string seg =
      absl::StrCat(copy.path(), "/", fx.Segments()[segment]);
  std::string data = ReadAll(seg);
  ASSERT_LT(offset, data.size());
  data[offset] = static_cast<char>(data[offset] ^ (1 << (offset % 8)));
  WriteAll(seg, data);
  auto wal = OpenWal(copy.path(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsDataLoss(wal.status())) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), seg)) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(),
                                absl::StrCat("byte offset ", want_offset, ":")))
      << wal.status();
}

TEST(WalCorruptionTest, BitFlipInAnEarlierSegment) {
  Fixture fx(4);
  const std::vector<std::string> segs = fx.Segments();
  const size_t s = 1;  // a middle segment
  const std::string data = ReadAll(absl::StrCat(fx.dir(), "/", segs[s]));
  const std::vector<Rec> recs = Records(data);
  const uint64_t records_end = recs.back().end;
  for (size_t k = 1; k < recs.size(); ++k) {
    for (uint64_t off = recs[k].start; off < recs[k].end; off += 3) {
      ExpectFlipDetected(fx, s, off, recs[k].start);
    }
  }
  // Garbage in the zeros after the last record of a finished segment.
  for (uint64_t off : {records_end, records_end + 20, data.size() - 1}) {
    ExpectFlipDetected(fx, s, off, records_end);
  }
}

TEST(WalCorruptionTest, BitFlipInTheLastSegmentWithRecordsAfterIt) {
  Fixture fx(6);
  const std::vector<std::string> segs = fx.Segments();
  const size_t s = segs.size() - 1;
  const std::vector<Rec> recs =
      Records(ReadAll(absl::StrCat(fx.dir(), "/", segs[s])));
  for (size_t k = 1; k + 1 < recs.size(); ++k) {
    for (uint64_t off = recs[k].start; off < recs[k].end; off += 2) {
      ExpectFlipDetected(fx, s, off, recs[k].start);
    }
  }
}

TEST(WalCorruptionTest, BitFlipInTheLastRecordIsNotTakenForATornWrite) {
  // The last record is whole (it ends in a nonzero byte), so damage to it
  // is not what an interrupted write leaves.
  Fixture fx(3);
  {
    WalContents c;
    auto wal = OpenWal(fx.dir(), &c);
    ASSERT_TRUE(wal.ok()) << wal.status();
    const uint64_t next = c.entries.back().index() + 1;
    ASSERT_TRUE((*wal)->Save(nullptr, {E(next, 1, "final record")}, true).ok());
  }
  const std::vector<std::string> segs = fx.Segments();
  const std::string data = ReadAll(fx.LastSegment());
  const std::vector<Rec> recs = Records(data);
  const Rec& last = recs.back();
  ASSERT_EQ(data[last.end - 1], 'd');
  for (uint64_t off = last.start; off < last.end; ++off) {
    ExpectFlipDetected(fx, segs.size() - 1, off, last.start);
  }
}

TEST(WalCorruptionTest, BitFlipInSegmentHeader) {
  Fixture fx(2);
  const std::vector<std::string> segs = fx.Segments();
  for (size_t s : {size_t{0}, segs.size() - 1}) {
    const std::vector<Rec> recs =
        Records(ReadAll(absl::StrCat(fx.dir(), "/", segs[s])));
    for (uint64_t off = 0; off < recs[0].end; ++off) {
      ScratchDir copy;
      CopyDir(fx.dir(), copy.path());
      const std::string seg = absl::StrCat(copy.path(), "/", segs[s]);
      std::string data = ReadAll(seg);
      data[off] = static_cast<char>(data[off] ^ (1 << (off % 8)));
      WriteAll(seg, data);
      auto wal = OpenWal(copy.path(), nullptr);
      ASSERT_FALSE(wal.ok()) << "offset " << off;
      // A flipped version field may read as a newer format.
      EXPECT_TRUE(absl::IsDataLoss(wal.status()) ||
                  (absl::IsFailedPrecondition(wal.status()) &&
                   absl::StrContains(wal.status().message(), "newer")))
          << wal.status();
      EXPECT_TRUE(absl::StrContains(wal.status().message(), seg))
          << wal.status();
    }
  }
}

TEST(WalCorruptionTest, BrokenChainBetweenSegments) {
  // Records lost from the end of a finished segment (zeroed, so the segment
  // itself looks cleanly ended): the next segment's header catches it.
  Fixture fx(2);
  const std::vector<std::string> segs = fx.Segments();
  const std::string seg = absl::StrCat(fx.dir(), "/", segs[0]);
  std::string data = ReadAll(seg);
  const std::vector<Rec> recs = Records(data);
  std::fill(data.begin() + static_cast<ptrdiff_t>(recs.back().start),
            data.end(), '\0');
  WriteAll(seg, data);
  auto wal = OpenWal(fx.dir(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsDataLoss(wal.status())) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), "chain"))
      << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), segs[1]))
      << wal.status();
}

TEST(WalCorruptionTest, MissingSegment) {
  Fixture fx(2);
  std::vector<std::string> segs = fx.Segments();
  std::filesystem::remove(absl::StrCat(fx.dir(), "/", segs[1]));
  auto wal = OpenWal(fx.dir(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsDataLoss(wal.status())) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), "missing a segment"))
      << wal.status();
}

TEST(WalCorruptionTest, MissingFirstSegmentIsAGap) {
  Fixture fx(2);
  std::vector<std::string> segs = fx.Segments();
  std::filesystem::remove(absl::StrCat(fx.dir(), "/", segs[0]));
  auto wal = OpenWal(fx.dir(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsDataLoss(wal.status())) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), "gap")) << wal.status();
}

TEST(WalCorruptionTest, RenamedSegment) {
  Fixture fx(2);
  std::vector<std::string> segs = fx.Segments();
  const std::string from = absl::StrCat(fx.dir(), "/", segs.back());
  std::string to_name = segs.back();
  to_name[20] = to_name[20] == '0' ? '1' : '0';  // another first index
  std::filesystem::rename(from, absl::StrCat(fx.dir(), "/", to_name));
  auto wal = OpenWal(fx.dir(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsDataLoss(wal.status())) << wal.status();
}

TEST(WalCorruptionTest, NotAWalDirectory) {
  ScratchDir dir;
  WriteAll(dir.Sub("notes.txt"), "hello");
  auto wal = OpenWal(dir.path(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(wal.status())) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), "not a WAL directory"))
      << wal.status();
  // Nothing was created in it.
  EXPECT_TRUE(FilesIn(dir.path(), ".wal").empty());
}

TEST(WalCorruptionTest, ForeignFileWithASegmentName) {
  for (const std::string& contents :
       {std::string(), std::string("just some text"), std::string(4096, '\0'),
        std::string(100, 'x')}) {
    ScratchDir dir;
    const std::string seg = dir.Sub(wal_internal::SegmentName(0, 1));
    WriteAll(seg, contents);
    auto wal = OpenWal(dir.path(), nullptr);
    ASSERT_FALSE(wal.ok());
    EXPECT_TRUE(absl::IsDataLoss(wal.status())) << wal.status();
    EXPECT_TRUE(absl::StrContains(wal.status().message(), seg)) << wal.status();
  }
}

TEST(WalCorruptionTest, NewerFormatVersion) {
  Fixture fx(2);
  const std::string seg = absl::StrCat(fx.dir(), "/", fx.Segments()[0]);
  std::string data = ReadAll(seg);
  data[wal_internal::kVersionOffset] = 2;
  WriteAll(seg, data);
  auto wal = OpenWal(fx.dir(), nullptr);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(wal.status())) << wal.status();
  EXPECT_TRUE(absl::StrContains(wal.status().message(), "newer version"))
      << wal.status();
}

}  // namespace
}  // namespace craft
