#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

namespace email {

// One short line per event, `12:00:01.234 member-service  emit member-0003`,
// written whole so that lines of services sharing a terminal never interleave.
class ServiceLog {
 public:
  explicit ServiceLog(std::string service) : service_(std::move(service)) {}

  template <typename... Parts>
  void line(const Parts&... parts) const {
    std::ostringstream text;
    text << clock() << ' ' << std::left << std::setw(15) << service_ << ' ';
    (text << ... << parts);
    text << '\n';
    const std::lock_guard lock(mutex_);
    std::cout << text.str() << std::flush;
  }

 private:
  static std::string clock() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t seconds = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[16];
    std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min,
                  local.tm_sec, static_cast<int>(millis));
    return text;
  }

  std::string service_;
  mutable std::mutex mutex_;
};

}  // namespace email
