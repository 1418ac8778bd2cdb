#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace junction::testing {

// One [[transport]] of an example config after its ports were moved.
struct ExampleTransport {
  std::string plugin;
  std::vector<std::string> addresses;  // listen, then publish and pull for zeromq
};

// An example broker config rewritten to run beside other tests: every listen
// address gets a free port and data_dir points into `data_dir`; everything
// else stays as written.
struct RewrittenConfig {
  std::string toml;
  std::vector<ExampleTransport> transports;
};

RewrittenConfig rewrite_example_config(const std::filesystem::path& file,
                                       const std::filesystem::path& data_dir);

// The port of "host:port" or "tcp://host:port".
std::uint16_t port_of(const std::string& address);

}  // namespace junction::testing
