// A transport plugin that claims another SDK ABI version, as a plugin built
// against an older or newer Junction would.
#include "junction/plugin.hpp"

namespace {

const junction::PluginInfo* plugin_info() {
  static const junction::PluginInfo info{junction::kSdkAbiVersion + 1000,
                                         junction::PluginKind::transport, "wrong_abi",
                                         "built for another SDK", "g++ 0.0"};
  return &info;
}

std::unique_ptr<junction::Transport> create(junction::ConfigSection&) {
  // Never reached: the host must refuse the plugin before calling this.
  std::abort();
}

}  // namespace

BOOST_DLL_ALIAS(plugin_info, junction_plugin_info)
BOOST_DLL_ALIAS(create, junction_create_transport)
