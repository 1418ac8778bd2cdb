#pragma once

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace email {

// `--name value` pairs with defaults: the services need a handful of flags and
// nothing more, so a map beats a parser library.
class ServiceFlags {
 public:
  ServiceFlags(int argc, char** argv, std::map<std::string, std::string> defaults)
      : values_(std::move(defaults)) {
    for (int i = 1; i < argc; i += 2) {
      const std::string name = argv[i];
      if (name.rfind("--", 0) != 0 || i + 1 >= argc || !values_.contains(name.substr(2))) {
        usage(argv[0]);
      }
      values_[name.substr(2)] = argv[i + 1];
    }
  }

  const std::string& text(const std::string& name) const { return values_.at(name); }

  long number(const std::string& name) const {
    char* end = nullptr;
    const long value = std::strtol(text(name).c_str(), &end, 10);
    if (*end != '\0' || value < 0) {
      std::cerr << "--" << name << " wants a number, not \"" << text(name) << "\"\n";
      std::exit(2);
    }
    return value;
  }

 private:
  [[noreturn]] void usage(const char* program) const {
    std::cerr << "usage: " << program;
    for (const auto& [name, value] : values_) std::cerr << " [--" << name << ' ' << value << ']';
    std::cerr << '\n';
    std::exit(2);
  }

  std::map<std::string, std::string> values_;
};

}  // namespace email
