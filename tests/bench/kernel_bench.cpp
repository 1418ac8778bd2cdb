// Kernel append and fetch of 100-byte records in batches of 500, against the
// raw sequential write bandwidth of the same file system measured in the
// same run. Run: cmake --build build --target bench
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "junction/log.hpp"
#include "junction/record_batch.hpp"
#include "kernel/local_kernel.hpp"

namespace {

namespace fs = std::filesystem;
using namespace junction;

constexpr int kRecordsPerBatch = 500;
constexpr std::size_t kValueBytes = 100;

fs::path bench_dir() {
  static const fs::path dir = [] {
    const char* env = std::getenv("JUNCTION_BENCH_DIR");
    fs::path base = env ? fs::path(env) : fs::temp_directory_path();
    auto dir = base / ("junction-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  return dir;
}

std::vector<Record> make_records() {
  // Recent timestamps, so retention leaves the data alone.
  const std::int64_t start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  std::vector<Record> records(kRecordsPerBatch);
  for (int i = 0; i < kRecordsPerBatch; ++i) {
    records[i].value = std::string(kValueBytes, char('a' + i % 26));
    records[i].timestamp_ms = start_ms + i;
  }
  return records;
}

const std::string& encoded_batch() {
  static const std::string batch = batch::encode(make_records()).value();
  return batch;
}

std::unique_ptr<kernel::LocalKernel> open_kernel(const std::string& name) {
  kernel::KernelOptions options;
  options.data_dir = bench_dir() / name;
  fs::remove_all(options.data_dir);
  return std::move(kernel::LocalKernel::open(options).value());
}

void set_counters(benchmark::State& state, std::int64_t records, std::int64_t bytes) {
  state.counters["records/s"] = benchmark::Counter(double(records), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(bytes);
}

// The baseline: the same bytes appended with plain write() to new files of
// segment_bytes each, kept until the end as the log keeps its segments (so
// both pay for fresh page-cache pages).
void BM_SequentialWrite(benchmark::State& state) {
  const std::string& batch = encoded_batch();
  constexpr std::int64_t kFileBytes = 1LL << 30;
  const auto dir = bench_dir() / "baseline";
  fs::remove_all(dir);
  fs::create_directories(dir);
  int fd = -1, files = 0;
  std::int64_t written = 0, in_file = kFileBytes;
  for (auto _ : state) {
    if (in_file >= kFileBytes) {
      if (fd >= 0) ::close(fd);
      const auto file = dir / (std::to_string(files++) + ".bin");
      fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      in_file = 0;
    }
    if (::write(fd, batch.data(), batch.size()) != ssize_t(batch.size())) {
      state.SkipWithError("write failed");
      break;
    }
    written += std::int64_t(batch.size());
    in_file += std::int64_t(batch.size());
  }
  ::close(fd);
  fs::remove_all(dir);
  set_counters(state, state.iterations() * kRecordsPerBatch, written);
}
// Every writer writes the same ~1 GiB and deletes it afterwards, so each one
// reuses page-cache memory the warm-up already touched: on a VM the first
// touch of guest memory costs more than the write itself.
constexpr int kWriteIterations = 18'000;
BENCHMARK(BM_SequentialWrite)->UseRealTime()->Iterations(kWriteIterations);

// The Kafka path: an encoded batch, CRC checked, offsets assigned, appended.
void BM_KernelAppendBatch(benchmark::State& state) {
  auto kernel = open_kernel("append-batch");
  (void)kernel->create_topic("bench", 1);
  const std::string& batch = encoded_batch();
  for (auto _ : state) {
    std::string copy = batch;  // the transport's request buffer
    kernel->produce_batch("bench", 0, std::move(copy), [&](Result<ProduceAck> ack) {
      if (!ack) state.SkipWithError(ack.error().message.c_str());
    });
  }
  set_counters(state, state.iterations() * kRecordsPerBatch,
               state.iterations() * std::int64_t(batch.size()));
  kernel.reset();
  fs::remove_all(bench_dir() / "append-batch");
}
BENCHMARK(BM_KernelAppendBatch)->UseRealTime()->Iterations(kWriteIterations);

// The other transports' path: records encoded by the kernel, then appended.
void BM_KernelAppendRecords(benchmark::State& state) {
  auto kernel = open_kernel("append-records");
  (void)kernel->create_topic("bench", 1);
  const auto records = make_records();
  for (auto _ : state) {
    kernel->produce("bench", 0, records, [&](Result<ProduceAck> ack) {
      if (!ack) state.SkipWithError(ack.error().message.c_str());
    });
  }
  set_counters(state, state.iterations() * kRecordsPerBatch,
               state.iterations() * std::int64_t(encoded_batch().size()));
  kernel.reset();
  fs::remove_all(bench_dir() / "append-records");
}
BENCHMARK(BM_KernelAppendRecords)->UseRealTime()->Iterations(kWriteIterations);

// Fetch of data in the page cache, 1 MiB at a time, counting records from the
// batch headers as a Kafka fetch does (no decoding).
void BM_KernelFetchCached(benchmark::State& state) {
  auto kernel = open_kernel("fetch");
  (void)kernel->create_topic("bench", 1);
  for (int i = 0; i < 400; ++i) (void)kernel->produce_batch_and_wait("bench", 0, encoded_batch());
  const auto end = kernel->offsets("bench", 0)->high_watermark;
  std::int64_t offset = 0, records = 0, bytes = 0;
  for (auto _ : state) {
    auto fetched = kernel->fetch("bench", 0, offset, 1 << 20);
    if (!fetched) {
      state.SkipWithError(fetched.error().message.c_str());
      break;
    }
    batch::Iterator batches(fetched->batches);
    batch::Header header;
    std::string_view view;
    while (batches.next(header, view).value()) {
      records += header.record_count;
      offset = header.last_offset() + 1;
    }
    bytes += std::int64_t(fetched->batches.size());
    if (offset >= end) offset = 0;
  }
  set_counters(state, records, bytes);
  kernel.reset();
  fs::remove_all(bench_dir() / "fetch");
}
BENCHMARK(BM_KernelFetchCached)->UseRealTime();

// Prints the append/write bandwidth ratios after the usual table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const auto bytes = run.counters.find("bytes_per_second");
      if (bytes != run.counters.end()) bandwidth_[run.benchmark_name()] = bytes->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    double baseline = 0;
    for (const auto& [name, value] : bandwidth_) {
      if (name.starts_with("BM_SequentialWrite")) baseline = value;
    }
    if (baseline <= 0) return;
    for (const auto& [name, value] : bandwidth_) {
      if (!name.starts_with("BM_KernelAppend")) continue;
      std::printf("%s: %.0f MB/s = %.0f%% of plain write() (%.0f MB/s)\n", name.c_str(),
                  value / 1e6, 100.0 * value / baseline, baseline / 1e6);
    }
  }

 private:
  std::map<std::string, double> bandwidth_;
};

}  // namespace

// Touches (and frees) as much page cache as one writer uses.
void warm_up_page_cache() {
  const auto file = bench_dir() / "warm-up.bin";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const std::string chunk(1 << 20, 'w');
  for (int i = 0; i < 1200; ++i) {
    if (::write(fd, chunk.data(), chunk.size()) < 0) break;
  }
  ::close(fd);
  fs::remove(file);
}

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Logger::set_level(LogLevel::warn);
  warm_up_page_cache();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  fs::remove_all(bench_dir());
  return 0;
}
