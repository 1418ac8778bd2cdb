#include "broker_config.hpp"

#include <sstream>

#include <toml++/toml.h>

#include "support/junctiond_process.hpp"

namespace junction::testing {
namespace {

std::string with_port(const std::string& address, std::uint16_t port) {
  return address.substr(0, address.rfind(':') + 1) + std::to_string(port);
}

}  // namespace

std::uint16_t port_of(const std::string& address) {
  return std::uint16_t(std::stoi(address.substr(address.rfind(':') + 1)));
}

RewrittenConfig rewrite_example_config(const std::filesystem::path& file,
                                       const std::filesystem::path& data_dir) {
  toml::table document = toml::parse_file(file.string());
  if (!document.contains("broker")) document.insert("broker", toml::table{});
  document["broker"].as_table()->insert_or_assign("data_dir", data_dir.string());
  RewrittenConfig rewritten;
  if (auto* transports = document["transport"].as_array()) {
    for (auto& node : *transports) {
      auto& table = *node.as_table();
      ExampleTransport transport{table["plugin"].value_or(std::string()), {}};
      for (const char* key : {"listen", "publish", "pull"}) {
        if (auto address = table[key].value<std::string>()) {
          const auto moved = with_port(*address, free_port());
          table.insert_or_assign(key, moved);
          transport.addresses.push_back(moved);
        }
      }
      rewritten.transports.push_back(std::move(transport));
    }
  }
  std::ostringstream text;
  text << document;
  rewritten.toml = text.str();
  return rewritten;
}

}  // namespace junction::testing
