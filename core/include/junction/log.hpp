#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace junction {

enum class LogLevel { trace, debug, info, warn, error, off };

// One line per event, "time LEVEL [component] message", to stderr.
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  class Line {
   public:
    Line(const Logger* logger, LogLevel level) : logger_(logger), level_(level) {}
    Line(Line&&) = delete;
    ~Line();
    template <class T>
    Line& operator<<(const T& value) {
      if (logger_) stream_ << value;
      return *this;
    }

   private:
    const Logger* logger_;
    LogLevel level_;
    std::ostringstream stream_;
  };

  Line trace() const { return line(LogLevel::trace); }
  Line debug() const { return line(LogLevel::debug); }
  Line info() const { return line(LogLevel::info); }
  Line warn() const { return line(LogLevel::warn); }
  Line error() const { return line(LogLevel::error); }
  const std::string& component() const { return component_; }

  static void set_level(LogLevel level);
  static bool enabled(LogLevel level);
  static void flush();

 private:
  Line line(LogLevel level) const { return Line(enabled(level) ? this : nullptr, level); }
  std::string component_;
};

bool parse_log_level(std::string_view text, LogLevel& level);

}  // namespace junction
