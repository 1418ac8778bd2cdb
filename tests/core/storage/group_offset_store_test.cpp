#include "storage/group_offset_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "storage_test_util.hpp"

namespace junction::storage {
namespace {

namespace fs = std::filesystem;
using testing_util::append_to_file;
using testing_util::read_file;
using testing_util::TempDir;
using testing_util::write_file;

std::string message(const Result<void>& result) {
  return result.ok() ? std::string() : result.error().message;
}

class GroupOffsetStoreTest : public ::testing::Test {
 protected:
  fs::path file() const { return dir_.path() / "~group-offsets"; }

  std::unique_ptr<GroupOffsetStore> open() {
    auto store = GroupOffsetStore::open(file());
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store.value()) : nullptr;
  }

  void commit(GroupOffsetStore& store, std::string_view group, std::string_view topic,
              std::int32_t partition, std::int64_t offset, std::string metadata = {},
              bool durable = false) {
    const auto committed = store.commit(group, topic, partition,
                                        CommittedOffset{offset, std::move(metadata)}, durable);
    EXPECT_TRUE(committed.ok()) << message(committed);
  }

  static void expect_offset(const GroupOffsetStore& store, std::string_view group,
                            std::string_view topic, std::int32_t partition, std::int64_t offset,
                            std::string_view metadata = {}) {
    const auto found = store.fetch(group, topic, partition);
    ASSERT_TRUE(found.has_value()) << group << " " << topic << "/" << partition;
    EXPECT_EQ(found->offset, offset) << group << " " << topic << "/" << partition;
    EXPECT_EQ(found->metadata, metadata) << group << " " << topic << "/" << partition;
  }

  // Three commits to partitions 0, 1 and 2 of one topic; returns the size of
  // the file before the third.
  std::uint64_t write_three_commits() {
    auto store = open();
    commit(*store, "g", "orders", 0, 10, "first");
    commit(*store, "g", "orders", 1, 20, "second");
    const auto before_third = fs::file_size(file());
    commit(*store, "g", "orders", 2, 30, "third");
    return before_third;
  }

  void expect_two_commits_and_working_appends(std::uint64_t size_of_two) {
    {
      auto store = open();
      ASSERT_TRUE(store);
      EXPECT_EQ(fs::file_size(file()), size_of_two);
      expect_offset(*store, "g", "orders", 0, 10, "first");
      expect_offset(*store, "g", "orders", 1, 20, "second");
      EXPECT_FALSE(store->fetch("g", "orders", 2));
      commit(*store, "g", "orders", 2, 31, "again");
    }
    auto store = open();
    ASSERT_TRUE(store);
    expect_offset(*store, "g", "orders", 2, 31, "again");
  }

  TempDir dir_;
};

TEST_F(GroupOffsetStoreTest, CommitFetchAndOverwrite) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->fetch("g", "orders", 0));
  commit(*store, "g", "orders", 0, 5, "meta-5");
  expect_offset(*store, "g", "orders", 0, 5, "meta-5");
  commit(*store, "g", "orders", 0, 9, "", true);
  expect_offset(*store, "g", "orders", 0, 9, "");
  EXPECT_FALSE(store->fetch("g", "orders", 1));
  EXPECT_FALSE(store->fetch("g", "sms", 0));
  EXPECT_FALSE(store->fetch("h", "orders", 0));
}

TEST_F(GroupOffsetStoreTest, FetchAllAndGroups) {
  auto store = open();
  ASSERT_TRUE(store);
  commit(*store, "b", "orders", 1, 11);
  commit(*store, "b", "orders", 0, 10, "zero");
  commit(*store, "b", "sms", 0, 3);
  commit(*store, "a", "sms", 0, 4);
  EXPECT_EQ(store->groups(), (std::vector<std::string>{"a", "b"}));
  const auto all = store->fetch_all("b");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.at({"orders", 0}).offset, 10);
  EXPECT_EQ(all.at({"orders", 0}).metadata, "zero");
  EXPECT_EQ(all.at({"orders", 1}).offset, 11);
  EXPECT_EQ(all.at({"sms", 0}).offset, 3);
  EXPECT_TRUE(store->fetch_all("nobody").empty());
}

TEST_F(GroupOffsetStoreTest, DeleteGroupAndDeleteTopicPersist) {
  {
    auto store = open();
    ASSERT_TRUE(store);
    commit(*store, "a", "orders", 0, 1);
    commit(*store, "a", "sms", 0, 2);
    commit(*store, "b", "orders", 0, 3);
    commit(*store, "c", "sms", 0, 4);
    commit(*store, "d", "orders", 0, 5);
    ASSERT_TRUE(store->delete_group("d", true).ok());
    ASSERT_TRUE(store->delete_group("nobody", false).ok());
    ASSERT_TRUE(store->delete_topic("orders").ok());
    ASSERT_TRUE(store->delete_topic("never-existed").ok());
    EXPECT_EQ(store->groups(), (std::vector<std::string>{"a", "c"}));
    EXPECT_FALSE(store->fetch("a", "orders", 0));
    expect_offset(*store, "a", "sms", 0, 2);
    ASSERT_TRUE(store->flush().ok());
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->groups(), (std::vector<std::string>{"a", "c"}));
  EXPECT_FALSE(store->fetch("a", "orders", 0));
  EXPECT_FALSE(store->fetch("b", "orders", 0));
  expect_offset(*store, "a", "sms", 0, 2);
  expect_offset(*store, "c", "sms", 0, 4);
  // A deleted group starts afresh.
  commit(*store, "d", "orders", 0, 50);
  expect_offset(*store, "d", "orders", 0, 50);
}

TEST_F(GroupOffsetStoreTest, PersistsAcrossReopen) {
  const std::string odd_metadata("bin\0ary\xff", 8);
  {
    auto store = open();
    ASSERT_TRUE(store);
    commit(*store, "group with spaces", "orders", 7, 700, odd_metadata);
    commit(*store, "g", "orders", 0, 1);
    commit(*store, "g", "orders", 0, 2, "latest");
  }
  auto store = open();
  ASSERT_TRUE(store);
  expect_offset(*store, "group with spaces", "orders", 7, 700, odd_metadata);
  expect_offset(*store, "g", "orders", 0, 2, "latest");
}

TEST_F(GroupOffsetStoreTest, CutsAnEntryTornInTheMiddle) {
  const auto size_of_two = write_three_commits();
  fs::resize_file(file(), (size_of_two + fs::file_size(file())) / 2);
  ::testing::internal::CaptureStderr();
  {
    auto store = open();
    ASSERT_TRUE(store);
  }
  const auto log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("WARN"), std::string::npos) << log;
  EXPECT_NE(log.find(file().string()), std::string::npos) << log;
  expect_two_commits_and_working_appends(size_of_two);
}

TEST_F(GroupOffsetStoreTest, CutsAnEntryWithAFlippedByte) {
  const auto size_of_two = write_three_commits();
  auto bytes = read_file(file());
  bytes[bytes.size() - 2] ^= 0x40;
  write_file(file(), bytes);
  expect_two_commits_and_working_appends(size_of_two);
}

TEST_F(GroupOffsetStoreTest, CutsGarbageAfterTheLastEntry) {
  write_three_commits();
  const auto size_of_three = fs::file_size(file());
  append_to_file(file(), std::string("\x10\x00\x00\x00\x00\x00\x00\x00garbage", 15));
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(fs::file_size(file()), size_of_three);
  expect_offset(*store, "g", "orders", 2, 30, "third");
}

TEST_F(GroupOffsetStoreTest, RefusesAFileThatIsNotItsOwn) {
  fs::create_directories(dir_.path());
  write_file(file(), "hello, this is not a group offset file");
  auto store = GroupOffsetStore::open(file());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::io_error);
  EXPECT_NE(store.error().message.find(file().string()), std::string::npos);
}

TEST_F(GroupOffsetStoreTest, CompactionOnOpenKeepsOnlyLiveOffsets) {
  const std::string metadata(200, 'm');
  {
    auto store = open();
    ASSERT_TRUE(store);
    for (int i = 0; i < 6000; ++i) commit(*store, "g", "orders", i % 4, i, metadata);
    commit(*store, "gone", "orders", 0, 1);
    ASSERT_TRUE(store->delete_group("gone", false).ok());
  }
  const auto before = fs::file_size(file());
  ASSERT_GT(before, 1u << 20);
  auto store = open();
  ASSERT_TRUE(store);
  const auto after = fs::file_size(file());
  EXPECT_LT(after, 2000u);
  EXPECT_FALSE(fs::exists(file().string() + ".tmp"));
  for (int p = 0; p < 4; ++p) expect_offset(*store, "g", "orders", p, 5996 + p, metadata);
  EXPECT_EQ(store->groups(), std::vector<std::string>{"g"});
  commit(*store, "g", "orders", 0, 7000);
  store.reset();
  store = open();
  ASSERT_TRUE(store);
  expect_offset(*store, "g", "orders", 0, 7000);
  expect_offset(*store, "g", "orders", 3, 5999, metadata);
}

TEST_F(GroupOffsetStoreTest, FlushCompactsAStaleFile) {
  const std::string metadata(200, 'm');
  auto store = open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 6000; ++i) commit(*store, "g", "orders", i % 2, i, metadata);
  ASSERT_GT(fs::file_size(file()), 1u << 20);
  ASSERT_TRUE(store->flush().ok());
  EXPECT_LT(fs::file_size(file()), 1000u);
  commit(*store, "g", "orders", 1, 9001);
  store.reset();
  store = open();
  ASSERT_TRUE(store);
  expect_offset(*store, "g", "orders", 0, 5998, metadata);
  expect_offset(*store, "g", "orders", 1, 9001);
}

TEST_F(GroupOffsetStoreTest, ManyThreadsCommitDurably) {
  constexpr int kThreads = 8;
  constexpr int kCommits = 200;
  {
    auto store = open();
    ASSERT_TRUE(store);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const auto group = "group-" + std::to_string(t % 3);
        for (int i = 0; i < kCommits; ++i) {
          const auto committed =
              store->commit(group, "orders", t, CommittedOffset{i, std::to_string(i)}, true);
          EXPECT_TRUE(committed.ok()) << message(committed);
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  auto store = open();
  ASSERT_TRUE(store);
  for (int t = 0; t < kThreads; ++t) {
    expect_offset(*store, "group-" + std::to_string(t % 3), "orders", t, kCommits - 1,
                  std::to_string(kCommits - 1));
  }
}

// Commits are written at once: a process killed right after one returns, even
// without any fsync, has it on disk for the next open.
TEST_F(GroupOffsetStoreTest, CommitsSurviveSigkillWithoutFsync) {
  constexpr std::int64_t kPartitions = 4;
  int reports[2];
  ASSERT_EQ(::pipe(reports), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(reports[0]);
    auto store = GroupOffsetStore::open(file());
    if (!store.ok()) ::_exit(1);
    for (std::int64_t i = 0;; ++i) {
      const auto partition = std::int32_t(i % kPartitions);
      if (!(*store)->commit("g", "orders", partition, {i, std::to_string(i)}, false).ok()) {
        ::_exit(2);
      }
      if (partition == kPartitions - 1 && ::write(reports[1], &i, sizeof i) != sizeof i) {
        ::_exit(3);
      }
    }
  }
  ::close(reports[1]);
  std::int64_t committed = -1;
  while (committed < 2000) {
    ASSERT_EQ(::read(reports[0], &committed, sizeof committed), ssize_t(sizeof committed));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(reports[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  auto store = open();
  ASSERT_TRUE(store);
  for (std::int32_t p = 0; p < kPartitions; ++p) {
    const auto found = store->fetch("g", "orders", p);
    ASSERT_TRUE(found.has_value());
    EXPECT_GE(found->offset, committed - (kPartitions - 1) + p);
    EXPECT_EQ(found->offset % kPartitions, p);
    EXPECT_EQ(found->metadata, std::to_string(found->offset));
  }
}

}  // namespace
}  // namespace junction::storage
