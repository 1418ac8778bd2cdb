#include "junction/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace junction {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::mutex g_write_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "TRACE";
    case LogLevel::debug:
      return "DEBUG";
    case LogLevel::info:
      return "INFO ";
    case LogLevel::warn:
      return "WARN ";
    case LogLevel::error:
      return "ERROR";
    case LogLevel::off:
      break;
  }
  return "?    ";
}

// UTC with milliseconds, e.g. 2026-11-25T10:04:05.123Z.
void format_now(char (&out)[32]) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t seconds = ms.count() / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  const auto length = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(out + length, sizeof out - length, ".%03dZ", int(ms.count() % 1000));
}

}  // namespace

Logger::Line::~Line() {
  if (!logger_) return;
  char time[32];
  format_now(time);
  std::string text = time;
  text += ' ';
  text += level_name(level_);
  text += " [";
  text += logger_->component();
  text += "] ";
  text += stream_.str();
  text += '\n';
  // One write per line so lines from many threads never interleave.
  std::lock_guard lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void Logger::set_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

bool Logger::enabled(LogLevel level) {
  return level != LogLevel::off && level >= g_level.load(std::memory_order_relaxed);
}

void Logger::flush() {
  std::lock_guard lock(g_write_mutex);
  std::fflush(stderr);
}

bool parse_log_level(std::string_view text, LogLevel& level) {
  static constexpr std::pair<std::string_view, LogLevel> kNames[] = {
      {"trace", LogLevel::trace}, {"debug", LogLevel::debug}, {"info", LogLevel::info},
      {"warn", LogLevel::warn},   {"error", LogLevel::error}, {"off", LogLevel::off}};
  for (const auto& [name, value] : kNames) {
    if (text == name) {
      level = value;
      return true;
    }
  }
  return false;
}

}  // namespace junction
