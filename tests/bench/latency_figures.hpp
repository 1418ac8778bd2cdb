#pragma once

// What every benchmark reports about latency: samples taken with one steady
// clock, summarised as p50, p99 and max.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace junction::bench {

inline std::int64_t steady_nanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Percentiles {
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

inline Percentiles percentiles(std::vector<std::int64_t> nanoseconds) {
  Percentiles result;
  if (nanoseconds.empty()) return result;
  std::sort(nanoseconds.begin(), nanoseconds.end());
  auto at = [&](double fraction) {
    const auto index = std::min(nanoseconds.size() - 1, std::size_t(fraction * nanoseconds.size()));
    return double(nanoseconds[index]) / 1e6;
  };
  result.p50_ms = at(0.50);
  result.p99_ms = at(0.99);
  result.max_ms = double(nanoseconds.back()) / 1e6;
  return result;
}

}  // namespace junction::bench
