#include "storage/subscription_journal.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <random>
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

SubscriptionMeta billing_meta(std::int32_t partitions = 2) {
  return {"orders", "billing::eu", DeliveryMode::queue, true, partitions};
}

// The inverse of encode_folder_name for names short enough to keep whole.
std::string decode_folder_name(std::string_view folder) {
  std::string name;
  for (std::size_t i = 0; i < folder.size(); ++i) {
    if (folder[i] == '%' && i + 2 < folder.size()) {
      name += char(std::stoi(std::string(folder.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      name += folder[i];
    }
  }
  return name;
}

ino_t inode_of(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

class SubscriptionJournalTest : public ::testing::Test {
 protected:
  fs::path folder() const { return dir_.path() / "orders" / encode_folder_name("billing::eu"); }
  fs::path journal_file() const { return folder() / "journal"; }

  std::unique_ptr<SubscriptionJournal> create(const std::vector<PartitionProgress>& initial = {
                                                  {}, {}}) {
    auto journal =
        SubscriptionJournal::open(folder(), billing_meta(std::int32_t(initial.size())), initial);
    EXPECT_TRUE(journal.ok()) << (journal.ok() ? "" : journal.error().message);
    return journal.ok() ? std::move(journal.value()) : nullptr;
  }

  // Opens the existing folder as recovery does, knowing nothing about it.
  std::unique_ptr<SubscriptionJournal> reopen() {
    auto journal = SubscriptionJournal::open(folder(), {}, {});
    EXPECT_TRUE(journal.ok()) << (journal.ok() ? "" : journal.error().message);
    return journal.ok() ? std::move(journal.value()) : nullptr;
  }

  std::uint64_t journal_file_size() const { return fs::file_size(journal_file()); }

  // Acks 0, 1, 2, 5 and 7 of partition 0, flushed: floor 3, {5, 7}.
  std::uint64_t write_five_acks() {
    auto journal = create();
    for (const std::int64_t offset : {0, 1, 2, 5, 7}) journal->record_ack(0, offset);
    EXPECT_TRUE(journal->flush().ok());
    EXPECT_EQ(journal_file_size() % 5, 0u);
    return journal_file_size() / 5;
  }

  // After damage to the fifth entry: the first four are kept, and appending
  // goes on from there.
  void expect_four_acks_and_working_appends(std::uint64_t entry_size) {
    {
      auto journal = reopen();
      ASSERT_TRUE(journal);
      EXPECT_EQ(journal->recovered()[0], (PartitionProgress{3, {5}}));
      EXPECT_EQ(journal_file_size(), 4 * entry_size);
      journal->record_ack(0, 3);
      journal->record_ack(0, 4);
      ASSERT_TRUE(journal->flush().ok());
    }
    auto journal = reopen();
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->recovered()[0], (PartitionProgress{6, {}}));
  }

  TempDir dir_;
};

TEST_F(SubscriptionJournalTest, CreateAndReopenKeepMetaAndInitialFloors) {
  const std::vector<PartitionProgress> initial = {{10, {12, 15}}, {0, {}}, {7, {}}};
  {
    auto journal = create(initial);
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->recovered(), initial);
    EXPECT_EQ(journal->journal_bytes(), 0u);
    EXPECT_TRUE(fs::is_regular_file(folder() / "snapshot"));
    EXPECT_TRUE(fs::is_regular_file(journal_file()));
  }
  auto journal = reopen();
  ASSERT_TRUE(journal);
  const auto& meta = journal->meta();
  EXPECT_EQ(meta.topic, "orders");
  EXPECT_EQ(meta.name, "billing::eu");
  EXPECT_EQ(meta.mode, DeliveryMode::queue);
  EXPECT_TRUE(meta.key_shared);
  EXPECT_EQ(meta.partitions, 3);
  EXPECT_EQ(journal->recovered(), initial);
}

TEST_F(SubscriptionJournalTest, InitialProgressIsNormalized) {
  auto journal = create({{5, {9, 5, 6, 3, 9}}, {0, {}}});
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{7, {9}}));
}

TEST_F(SubscriptionJournalTest, PartitionCountMustMatchTheInitialFloors) {
  auto journal = SubscriptionJournal::open(folder(), billing_meta(3), {{}, {}});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, Errc::invalid_argument);
  EXPECT_FALSE(fs::exists(folder()));
}

TEST_F(SubscriptionJournalTest, AcksInAndOutOfOrderAdvanceTheFloorExactly) {
  {
    auto journal = create();
    for (const std::int64_t offset : {2, 0, 1}) journal->record_ack(0, offset);
    ASSERT_TRUE(journal->flush().ok());
  }
  {
    auto journal = reopen();
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->recovered()[0], (PartitionProgress{3, {}}));
    EXPECT_EQ(journal->recovered()[1], (PartitionProgress{0, {}}));
    journal->record_ack(0, 5);
    journal->record_ack(0, 1);  // below the floor: nothing to do
    journal->record_ack(1, 0);
    ASSERT_TRUE(journal->flush().ok());
  }
  {
    auto journal = reopen();
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->recovered()[0], (PartitionProgress{3, {5}}));
    EXPECT_EQ(journal->recovered()[1], (PartitionProgress{1, {}}));
    journal->record_ack(0, 4);
    journal->record_ack(0, 3);
    ASSERT_TRUE(journal->flush().ok());
  }
  auto journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{6, {}}));
}

TEST_F(SubscriptionJournalTest, RecordFloorRaisesTheFloorAndDropsAcksBelowIt) {
  {
    auto journal = create();
    for (const std::int64_t offset : {3, 5, 9, 12}) journal->record_ack(0, offset);
    journal->record_floor(0, 5);  // 5 is acked: the floor moves on to 6
    journal->record_floor(0, 2);  // floors never go back
    journal->record_floor(1, 40);
    ASSERT_TRUE(journal->flush().ok());
  }
  auto journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{6, {9, 12}}));
  EXPECT_EQ(journal->recovered()[1], (PartitionProgress{40, {}}));
}

TEST_F(SubscriptionJournalTest, OnlyFlushedEntriesReachTheDisk) {
  {
    auto journal = create();
    journal->record_ack(0, 0);
    journal->record_ack(0, 2);
    ASSERT_TRUE(journal->flush().ok());
    const auto flushed = journal_file_size();
    journal->record_ack(0, 1);
    journal->record_floor(1, 10);
    EXPECT_EQ(journal_file_size(), flushed);
    EXPECT_GT(journal->journal_bytes(), flushed);
  }
  // Destroyed without a flush: the buffered entries are gone, as with a crash
  // between two flush intervals.
  auto journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{1, {2}}));
  EXPECT_EQ(journal->recovered()[1], (PartitionProgress{0, {}}));
}

TEST_F(SubscriptionJournalTest, CutsAnEntryTornInTheMiddle) {
  const auto entry_size = write_five_acks();
  fs::resize_file(journal_file(), 4 * entry_size + entry_size / 2);
  ::testing::internal::CaptureStderr();
  {
    auto journal = reopen();
    ASSERT_TRUE(journal);
  }
  const auto log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("WARN"), std::string::npos) << log;
  EXPECT_NE(log.find(journal_file().string()), std::string::npos) << log;
  expect_four_acks_and_working_appends(entry_size);
}

TEST_F(SubscriptionJournalTest, CutsAnEntryWithAFlippedByte) {
  const auto entry_size = write_five_acks();
  auto bytes = read_file(journal_file());
  bytes[4 * entry_size + entry_size - 3] ^= 0x10;
  write_file(journal_file(), bytes);
  expect_four_acks_and_working_appends(entry_size);
}

TEST_F(SubscriptionJournalTest, CutsGarbageAfterTheLastEntry) {
  const auto entry_size = write_five_acks();
  append_to_file(journal_file(), std::string(entry_size + 3, '\x5a'));
  {
    auto journal = reopen();
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->recovered()[0], (PartitionProgress{3, {5, 7}}));
    EXPECT_EQ(journal_file_size(), 5 * entry_size);
    journal->record_ack(0, 3);
    ASSERT_TRUE(journal->flush().ok());
  }
  auto journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{4, {5, 7}}));
}

TEST_F(SubscriptionJournalTest, SnapshotEmptiesTheJournal) {
  const std::vector<PartitionProgress> progress = {{4, {6, 8}}, {2, {}}};
  {
    auto journal = create();
    for (const std::int64_t offset : {0, 1, 2, 3, 6, 8}) journal->record_ack(0, offset);
    journal->record_floor(1, 2);
    ASSERT_TRUE(journal->flush().ok());
    EXPECT_GT(journal->journal_bytes(), 0u);
    ASSERT_TRUE(journal->snapshot(progress).ok());
    EXPECT_EQ(journal->journal_bytes(), 0u);
    EXPECT_EQ(journal_file_size(), 0u);
    EXPECT_FALSE(fs::exists(folder() / "snapshot.tmp"));
  }
  {
    auto journal = reopen();
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->recovered(), progress);
    journal->record_ack(0, 4);
    journal->record_ack(1, 3);
    ASSERT_TRUE(journal->flush().ok());
  }
  auto journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered(), (std::vector<PartitionProgress>{{5, {6, 8}}, {2, {3}}}));
}

TEST_F(SubscriptionJournalTest, SnapshotDropsOnlyBufferedEntriesItCovers) {
  auto journal = create();
  journal->record_ack(0, 0);
  journal->record_ack(0, 1);
  ASSERT_TRUE(journal->snapshot({{2, {}}, {0, {}}}).ok());
  EXPECT_EQ(journal->journal_bytes(), 0u);
  journal->record_ack(0, 2);
  ASSERT_TRUE(journal->flush().ok());
  journal.reset();
  journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{3, {}}));
}

TEST_F(SubscriptionJournalTest, SnapshotNeedsEveryPartition) {
  auto journal = create();
  auto written = journal->snapshot({{1, {}}});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Errc::invalid_argument);
}

TEST_F(SubscriptionJournalTest, EntriesRecordedDuringASnapshotSurvive) {
  constexpr int kRounds = 5;
  constexpr std::int64_t kAcksPerRound = 2000;
  auto journal = create();
  ASSERT_TRUE(journal);
  // A big snapshot keeps snapshot() busy while partition 1 is acked.
  std::vector<PartitionProgress> progress(2);
  for (std::int64_t offset = 1; offset < 400'000; offset += 2) {
    progress[0].acked_above.push_back(offset);
  }
  const auto snapshot_path = folder() / "snapshot";
  const auto temporary_path = folder() / "snapshot.tmp";
  std::int64_t next = 0;
  for (int round = 0; round < kRounds; ++round) {
    const auto before = inode_of(snapshot_path);
    progress[1].ack_floor = next;
    std::thread recorder([&] {
      // The temporary file, or a new snapshot, shows that snapshot() started.
      while (!fs::exists(temporary_path) && inode_of(snapshot_path) == before) {
        std::this_thread::yield();
      }
      for (std::int64_t i = 0; i < kAcksPerRound; ++i) {
        journal->record_ack(1, next + i);
        if (i % 500 == 499) {
          const auto flushed = journal->flush();
          EXPECT_TRUE(flushed.ok()) << message(flushed);
        }
      }
    });
    EXPECT_TRUE(journal->snapshot(progress).ok());
    recorder.join();
    next += kAcksPerRound;
  }
  ASSERT_TRUE(journal->flush().ok());
  journal.reset();
  journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], progress[0]);
  EXPECT_EQ(journal->recovered()[1], (PartitionProgress{next, {}}));
}

TEST_F(SubscriptionJournalTest, ConcurrentDurableAcksShareSyncsAndAllSurvive) {
  constexpr int kThreads = 8;
  constexpr std::int64_t kAcksPerThread = 300;
  auto journal = create();
  ASSERT_TRUE(journal);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::int64_t i = 0; i < kAcksPerThread; ++i) {
        const auto acked = journal->record_ack_durably(t % 2, i * (kThreads / 2) + t / 2);
        EXPECT_TRUE(acked.ok()) << message(acked);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(journal->journal_bytes() % std::uint64_t(kThreads * kAcksPerThread), 0u);
  journal.reset();
  journal = reopen();
  ASSERT_TRUE(journal);
  const auto per_partition = kAcksPerThread * kThreads / 2;
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{per_partition, {}}));
  EXPECT_EQ(journal->recovered()[1], (PartitionProgress{per_partition, {}}));
}

TEST_F(SubscriptionJournalTest, CorruptSnapshotIsAClearError) {
  {
    auto journal = create();
    ASSERT_TRUE(journal);
  }
  const auto snapshot_path = folder() / "snapshot";
  auto bytes = read_file(snapshot_path);
  bytes[bytes.size() / 2] ^= 0x01;
  write_file(snapshot_path, bytes);
  auto journal = SubscriptionJournal::open(folder(), {}, {});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, Errc::io_error);
  EXPECT_NE(journal.error().message.find(snapshot_path.string()), std::string::npos)
      << journal.error().message;

  write_file(snapshot_path, bytes.substr(0, 6));
  journal = SubscriptionJournal::open(folder(), {}, {});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, Errc::io_error);
}

TEST_F(SubscriptionJournalTest, MissingSnapshotBesideAJournalIsAClearError) {
  {
    auto journal = create();
    ASSERT_TRUE(journal);
  }
  fs::remove(folder() / "snapshot");
  auto journal = SubscriptionJournal::open(folder(), {}, {});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, Errc::io_error);
  EXPECT_NE(journal.error().message.find((folder() / "snapshot").string()), std::string::npos)
      << journal.error().message;
}

TEST_F(SubscriptionJournalTest, FinishesACreationCutShortBeforeTheSnapshot) {
  fs::create_directories(folder());
  write_file(folder() / "snapshot.tmp", "half");
  auto journal = create({{3, {}}, {0, {}}});
  ASSERT_TRUE(journal);
  journal.reset();
  journal = reopen();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered()[0], (PartitionProgress{3, {}}));
}

TEST_F(SubscriptionJournalTest, RefusesAFolderOfAnotherSubscription) {
  {
    auto journal = create();
    ASSERT_TRUE(journal);
  }
  SubscriptionMeta other = billing_meta();
  other.name = "shipping";
  auto journal = SubscriptionJournal::open(folder(), other, {{}, {}});
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.error().code, Errc::invalid_argument);
}

TEST_F(SubscriptionJournalTest, RemoveDeletesTheFolder) {
  auto journal = create();
  ASSERT_TRUE(journal);
  journal->record_ack(0, 0);
  ASSERT_TRUE(journal->remove().ok());
  EXPECT_FALSE(fs::exists(folder()));
  journal->record_ack(0, 1);
  EXPECT_FALSE(journal->flush().ok());
  EXPECT_FALSE(journal->snapshot({{}, {}}).ok());
  EXPECT_FALSE(journal->remove().ok());
}

TEST(EncodeFolderName, GivesSafeNamesThatDecodeBack) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"billing", "billing"},
      {"orders-1.v2_x", "orders-1.v2_x"},
      {"a/b", "a%2Fb"},
      {".", "%2E"},
      {"..", "%2E%2E"},
      {"...", "..."},
      {"\xc3\xbcmlaut", "%C3%BCmlaut"},
      {"x::y", "x%3A%3Ay"},
      {"50%", "50%25"},
      {"a b\n", "a%20b%0A"},
      {std::string("nul\0byte", 8), "nul%00byte"},
  };
  for (const auto& [name, folder] : cases) {
    EXPECT_EQ(encode_folder_name(name), folder) << name;
    EXPECT_EQ(decode_folder_name(folder), name) << folder;
  }
  EXPECT_EQ(encode_folder_name(""), "%");
}

TEST(EncodeFolderName, ShortensLongNamesKeepingThemApart) {
  const std::string stem(300, 'q');
  const auto first = encode_folder_name(stem + "1");
  const auto second = encode_folder_name(stem + "2");
  EXPECT_LE(first.size(), 200u);
  EXPECT_LE(second.size(), 200u);
  EXPECT_NE(first, second);
  EXPECT_EQ(first.find('/'), std::string::npos);
  const auto wide = encode_folder_name(std::string(100, '\xff'));
  EXPECT_LE(wide.size(), 200u);
  EXPECT_EQ(encode_folder_name(std::string(100, '\xff')), wide);
}

TEST(SubscriptionJournalList, FindsSubscriptionFoldersWithTheirRealNames) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> subscriptions = {
      {"orders", "a/b"}, {"orders", ".."}, {"sms", "\xc3\xbcmlaut"}, {"sms", "x::y"}};
  for (const auto& [topic, name] : subscriptions) {
    SubscriptionMeta meta{topic, name, DeliveryMode::multicast, false, 1};
    auto journal =
        SubscriptionJournal::open(dir.path() / topic / encode_folder_name(name), meta, {{}});
    ASSERT_TRUE(journal.ok()) << journal.error().message;
  }
  fs::create_directories(dir.path() / "orders" / "not-a-subscription");
  write_file(dir.path() / "stray-file", "x");

  std::vector<std::pair<std::string, std::string>> found;
  for (const auto& folder : SubscriptionJournal::list(dir.path())) {
    EXPECT_EQ(folder.parent_path().parent_path(), dir.path());
    auto journal = SubscriptionJournal::open(folder, {}, {});
    ASSERT_TRUE(journal.ok()) << journal.error().message;
    found.emplace_back((*journal)->meta().topic, (*journal)->meta().name);
  }
  std::sort(found.begin(), found.end());
  auto expected = subscriptions;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found, expected);
  EXPECT_TRUE(SubscriptionJournal::list(dir.path() / "missing").empty());
}

// A process killed at any moment keeps every ack it had flushed.
TEST_F(SubscriptionJournalTest, FlushedAcksSurviveSigkill) {
  constexpr std::int64_t kBlock = 100;
  int reports[2];
  ASSERT_EQ(::pipe(reports), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(reports[0]);
    auto journal = SubscriptionJournal::open(folder(), billing_meta(), {{}, {}});
    if (!journal.ok()) ::_exit(1);
    std::mt19937 random(7);
    std::vector<std::int64_t> block(kBlock);
    for (std::int64_t round = 0;; ++round) {
      std::iota(block.begin(), block.end(), round * kBlock);
      std::shuffle(block.begin(), block.end(), random);
      for (const auto offset : block) (*journal)->record_ack(0, offset);
      (*journal)->record_floor(1, round + 1);
      if (!(*journal)->flush().ok()) ::_exit(2);
      // Buffered only: lost by the kill unless a later flush takes it along.
      (*journal)->record_ack(0, (round + 1) * kBlock + 1);
      if (::write(reports[1], &round, sizeof round) != sizeof round) ::_exit(3);
    }
  }
  ::close(reports[1]);
  std::int64_t flushed_round = -1;
  while (flushed_round < 30) {
    ASSERT_EQ(::read(reports[0], &flushed_round, sizeof flushed_round),
              ssize_t(sizeof flushed_round));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(reports[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  auto journal = reopen();
  ASSERT_TRUE(journal);
  const auto& recovered = journal->recovered();
  EXPECT_GE(recovered[0].ack_floor, (flushed_round + 1) * kBlock);
  EXPECT_GE(recovered[1].ack_floor, flushed_round + 1);
  for (const auto offset : recovered[0].acked_above) EXPECT_GT(offset, recovered[0].ack_floor);
}

}  // namespace
}  // namespace junction::storage
