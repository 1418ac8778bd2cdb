// junctiond: a Junction broker assembled from a TOML file, or from the
// embedded default when no file is given.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "host/broker.hpp"
#include "host/config_key_listing.hpp"
#include "host/host_config.hpp"
#include "host/plugin_loader.hpp"
#include "junction/log.hpp"

namespace {
namespace fs = std::filesystem;
using namespace junction;

constexpr const char* kUsage =
    "usage: junctiond [--config FILE]    run a broker (no file: the embedded default)\n"
    "       junctiond --check-config FILE validate FILE, print every error, exit 0 or 1\n"
    "       junctiond --print-default     print the embedded default config\n"
    "       junctiond --list-config-keys  print 'section key' for every key the host and\n"
    "                                     each bundled plugin reads\n"
    "       junctiond --version\n";

fs::path default_plugin_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return (exe.parent_path() / JUNCTION_PLUGIN_RELATIVE_DIR).lexically_normal();
}

host::HostConfig embedded_default() {
  const auto plugin_dir = default_plugin_dir();
  const auto text = host::default_config_text(host::PluginLoader::transports_in(plugin_dir));
  return host::parse_config(text, "<embedded default>", {}, plugin_dir);
}

int report_errors(const host::HostConfig& config) {
  for (const auto& message : config.errors->messages()) std::cerr << message << "\n";
  return 1;
}

int list_config_keys() {
  std::vector<std::string> problems;
  for (const auto& [section, key] : host::list_config_keys(default_plugin_dir(), problems)) {
    std::cout << section << " " << key << "\n";
  }
  for (const auto& problem : problems) std::cerr << problem << "\n";
  return problems.empty() ? 0 : 1;
}

int check_config(const fs::path& file) {
  auto config = host::load_config_file(file, default_plugin_dir());
  auto broker = host::Broker::assemble(config);
  if (!config.errors->empty()) return report_errors(config);
  std::cout << file.string() << ": ok\n";
  return 0;
}

// Waits on SIGINT/SIGTERM synchronously: they are blocked in every thread
// (threads inherit the mask), so no handler runs inside library code.
int run(host::HostConfig config) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Logger::set_level(config.log_level);
  const Logger log{"junctiond"};
  auto broker = host::Broker::assemble(config);
  if (!broker) return report_errors(config);
  if (auto started = (*broker)->start(); !started) {
    log.error() << "cannot start: " << started.error().message;
    (*broker)->stop();
    Logger::flush();
    return 1;
  }
  if (config.transports.empty()) {
    log.warn() << "no transport is configured (none is built, or the config names none): "
                  "no client can connect";
  }
  log.info() << "junctiond " << JUNCTION_VERSION << " ready (config: " << config.source << ")";

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log.info() << "received " << strsignal(signal_number) << ", stopping";
  // A second signal during a stop that hangs ends the process at once.
  std::thread impatient([&] {
    int again = 0;
    sigwait(&stop_signals, &again);
    log.warn() << "received " << strsignal(again) << " again, exiting without a clean stop";
    Logger::flush();
    std::_Exit(1);
  });
  impatient.detach();
  (*broker)->stop();
  Logger::flush();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<fs::path> config_file;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--version") {
      std::cout << "junctiond " << JUNCTION_VERSION << " (SDK ABI " << kSdkAbiVersion << ")\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--print-default") {
      std::cout << host::default_config_text(
          host::PluginLoader::transports_in(default_plugin_dir()));
      return 0;
    } else if (arg == "--list-config-keys") {
      return list_config_keys();
    } else if (arg == "--check-config" && has_value) {
      return check_config(argv[++i]);
    } else if (arg == "--config" && has_value) {
      config_file = argv[++i];
    } else {
      std::cerr << "junctiond: unknown or incomplete argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  return run(config_file ? host::load_config_file(*config_file, default_plugin_dir())
                         : embedded_default());
}
