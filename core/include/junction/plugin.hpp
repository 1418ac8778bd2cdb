#pragma once

#include <cstdint>
#include <memory>

#include <boost/dll/alias.hpp>

#include "junction/config.hpp"
#include "junction/coordinator.hpp"
#include "junction/transport.hpp"

// The boundary between junctiond and a plugin .so. A plugin exports, with
// BOOST_DLL_ALIAS, one `junction_plugin_info` function returning a plain
// struct the host reads before anything else, and one factory. The host
// refuses a plugin whose abi_version differs from its own.
namespace junction {

// Bump on any change to the SDK headers that alters layout or vtables.
inline constexpr std::uint32_t kSdkAbiVersion = 2;

enum class PluginKind : std::uint32_t { transport = 1, coordinator = 2 };

// Only plain data, so a host can read it from a plugin of any ABI.
struct PluginInfo {
  std::uint32_t abi_version;
  PluginKind kind;
  const char* name;
  const char* description;
  const char* compiler;  // the toolchain that built it, for error messages
};

using TransportFactory = std::unique_ptr<Transport>(ConfigSection& config);
using CoordinatorFactory = std::unique_ptr<Coordinator>(ConfigSection& config);

}  // namespace junction

#define JUNCTION_PLUGIN_STRINGIFY2(x) #x
#define JUNCTION_PLUGIN_STRINGIFY(x) JUNCTION_PLUGIN_STRINGIFY2(x)
#define JUNCTION_PLUGIN_COMPILER \
  "g++ " JUNCTION_PLUGIN_STRINGIFY(__GNUC__) "." JUNCTION_PLUGIN_STRINGIFY(__GNUC_MINOR__)

#define JUNCTION_PLUGIN_INFO_(KIND, NAME, DESCRIPTION)                                            \
  namespace junction_plugin_export {                                                              \
  inline const ::junction::PluginInfo* plugin_info() {                                            \
    static const ::junction::PluginInfo info{::junction::kSdkAbiVersion, KIND, NAME, DESCRIPTION, \
                                             JUNCTION_PLUGIN_COMPILER};                           \
    return &info;                                                                                 \
  }                                                                                               \
  }                                                                                               \
  BOOST_DLL_ALIAS(junction_plugin_export::plugin_info, junction_plugin_info)

// Declares a transport plugin. FACTORY: std::unique_ptr<Transport>(ConfigSection&).
#define JUNCTION_TRANSPORT_PLUGIN(NAME, DESCRIPTION, FACTORY)                 \
  JUNCTION_PLUGIN_INFO_(::junction::PluginKind::transport, NAME, DESCRIPTION) \
  BOOST_DLL_ALIAS(FACTORY, junction_create_transport)

// Declares a coordination plugin. FACTORY: std::unique_ptr<Coordinator>(ConfigSection&).
#define JUNCTION_COORDINATOR_PLUGIN(NAME, DESCRIPTION, FACTORY)                 \
  JUNCTION_PLUGIN_INFO_(::junction::PluginKind::coordinator, NAME, DESCRIPTION) \
  BOOST_DLL_ALIAS(FACTORY, junction_create_coordinator)
