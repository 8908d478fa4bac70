#include "craft/wal/env.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "wal/fault_env.h"
#include "wal/wal_test_util.h"

namespace craft {
namespace {

using wal_test::ReadAll;
using wal_test::ScratchDir;

TEST(PosixEnvTest, PreallocatedFileReadsZerosAndKeepsAppends) {
  ScratchDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Sub("f");
  auto f = env->NewWritableFile(path, 8192);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->Size(), 0u);
  ASSERT_TRUE((*f)->Append("hello").ok());
  ASSERT_TRUE((*f)->Append(" world").ok());
  EXPECT_EQ((*f)->Size(), 11u);
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_FALSE((*f)->Append("x").ok());  // closed

  std::string data = ReadAll(path);
  ASSERT_EQ(data.size(), 8192u);
  EXPECT_EQ(data.substr(0, 11), "hello world");
  EXPECT_EQ(data.find_first_not_of('\0', 11), std::string::npos);

  // Reopened at an offset: writes continue there, the rest is kept.
  auto g = env->OpenForAppend(path, 6, 16384);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_TRUE((*g)->Append("WORLD").ok());
  ASSERT_TRUE((*g)->Sync().ok());
  data = ReadAll(path);
  ASSERT_EQ(data.size(), 16384u);
  EXPECT_EQ(data.substr(0, 11), "hello WORLD");

  ASSERT_TRUE(env->Truncate(path, 5).ok());
  EXPECT_EQ(ReadAll(path), "hello");
  auto read = env->ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "hello");
}

TEST(PosixEnvTest, ErrorsNameTheOperationAndPath) {
  ScratchDir dir;
  Env* env = Env::Default();
  const std::string missing = dir.Sub("missing/file");
  absl::StatusOr<std::string> r = env->ReadFile(missing);
  ASSERT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), missing));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "No such file"));
  EXPECT_TRUE(absl::IsNotFound(env->RemoveFile(missing)));
  EXPECT_TRUE(absl::IsNotFound(env->OpenForAppend(missing, 0, 0).status()));
  EXPECT_TRUE(absl::IsNotFound(env->ListDir(missing).status()));
  auto exists = env->FileExists(missing);
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);

  EXPECT_TRUE(absl::IsResourceExhausted(IoError("write", "/x", ENOSPC)));
  EXPECT_TRUE(absl::IsDataLoss(IoError("fdatasync", "/x", EIO)));
  EXPECT_TRUE(absl::IsPermissionDenied(IoError("open", "/x", EACCES)));
  EXPECT_TRUE(absl::IsInternal(IoError("open", "/x", EBADF)));
}

TEST(PosixEnvTest, DirectoriesAndRenames) {
  ScratchDir dir;
  Env* env = Env::Default();
  const std::string nested = dir.Sub("a/b/c");
  ASSERT_TRUE(env->CreateDir(nested).ok());
  ASSERT_TRUE(env->CreateDir(nested).ok());  // exists: fine
  auto f = env->NewWritableFile(nested + "/x.tmp", 0);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("x").ok());
  ASSERT_TRUE(env->RenameFile(nested + "/x.tmp", nested + "/x").ok());
  ASSERT_TRUE(env->SyncDir(nested).ok());
  auto names = env->ListDir(nested);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"x"});
  // A file in the way of a directory.
  EXPECT_FALSE(env->CreateDir(nested + "/x").ok());
}

TEST(PosixEnvTest, LockIsExclusive) {
  ScratchDir dir;
  Env* env = Env::Default();
  auto a = env->LockFile(dir.Sub("LOCK"));
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = env->LockFile(dir.Sub("LOCK"));
  EXPECT_TRUE(absl::IsFailedPrecondition(b.status())) << b.status();
  a->reset();
  auto c = env->LockFile(dir.Sub("LOCK"));
  EXPECT_TRUE(c.ok()) << c.status();
}

TEST(FaultEnvTest, InjectsAndDropsUnsyncedData) {
  ScratchDir dir;
  testing::FaultEnv env;
  const std::string path = dir.Sub("f");
  auto f = env.NewWritableFile(path, 64);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(env.SyncDir(dir.path()).ok());
  ASSERT_TRUE((*f)->Append("durable").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("-lost").ok());

  env.FailWrite(1, ENOSPC, 3);
  absl::Status s = (*f)->Append("abcdef");
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(ReadAll(path).substr(0, 15), "durable-lostabc");
  env.FailSync(1);
  EXPECT_TRUE(absl::IsDataLoss((*f)->Sync()));
  f->reset();

  // A file created without a directory sync vanishes in a crash.
  auto g = env.NewWritableFile(dir.Sub("g"), 0);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Append("g").ok());
  ASSERT_TRUE((*g)->Sync().ok());
  g->reset();

  ASSERT_TRUE(env.DropUnsyncedData().ok());
  const std::string data = ReadAll(path);
  ASSERT_EQ(data.size(), 64u);
  EXPECT_EQ(data.substr(0, 7), "durable");
  EXPECT_EQ(data.find_first_not_of('\0', 7), std::string::npos);
  auto exists = env.FileExists(dir.Sub("g"));
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

}  // namespace
}  // namespace craft
