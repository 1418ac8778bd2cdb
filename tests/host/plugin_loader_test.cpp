#include "host/plugin_loader.hpp"

#include <dlfcn.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fstream>

#include "host/host_config.hpp"

namespace junction::host {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kTestPlugins = fs::path(JUNCTION_BINARY_DIR) / "tests" / "plugins";
const fs::path kBundledPlugins = fs::path(JUNCTION_BINARY_DIR) / "lib" / "junction" / "plugins";

bool library_is_loaded(const fs::path& file) {
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (!handle) return false;
  ::dlclose(handle);
  return true;
}

TEST(PluginLoader, FindsPluginsByNameInTheSearchPath) {
  PluginLoader loader({"/nonexistent", kBundledPlugins});
  auto file = loader.locate("memory");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->filename(), "junction_memory.so");
}

TEST(PluginLoader, MissingPluginNamesWhatWasSearched) {
  PluginLoader loader({"/nonexistent"});
  ConfigSection config;
  auto transport = loader.create_transport("nosuch", config);
  ASSERT_FALSE(transport);
  EXPECT_EQ(transport.error().code, Errc::plugin_error);
  EXPECT_THAT(
      transport.error().message,
      HasSubstr("no plugin named 'nosuch' (looked for junction_nosuch.so in: /nonexistent)"));
}

TEST(PluginLoader, MissingFileIsAClearError) {
  PluginLoader loader({});
  ConfigSection config;
  auto transport = loader.create_transport("/nonexistent/junction_x.so", config);
  ASSERT_FALSE(transport);
  EXPECT_THAT(transport.error().message, HasSubstr("/nonexistent/junction_x.so does not exist"));
}

TEST(PluginLoader, RefusesAPluginBuiltForAnotherAbi) {
  PluginLoader loader({kTestPlugins});
  ConfigSection config;
  auto transport = loader.create_transport("wrong_abi", config);
  ASSERT_FALSE(transport);
  EXPECT_THAT(transport.error().message, HasSubstr("junction_wrong_abi.so"));
  EXPECT_THAT(transport.error().message,
              HasSubstr("was built for SDK ABI version " + std::to_string(kSdkAbiVersion + 1000)));
  EXPECT_THAT(transport.error().message,
              HasSubstr("this junctiond has ABI version " + std::to_string(kSdkAbiVersion)));
  EXPECT_THAT(transport.error().message, HasSubstr("rebuild the plugin"));
}

TEST(PluginLoader, RefusesALibraryWithoutJunctionExports) {
  PluginLoader loader({kTestPlugins});
  ConfigSection config;
  auto transport = loader.create_transport("not_a_plugin", config);
  ASSERT_FALSE(transport);
  EXPECT_THAT(transport.error().message, HasSubstr("is not a Junction plugin"));
}

TEST(PluginLoader, RefusesAPluginOfTheWrongKind) {
  PluginLoader loader({kBundledPlugins});
  ConfigSection config;
  auto transport = loader.create_transport("memory", config);
  ASSERT_FALSE(transport);
  EXPECT_THAT(
      transport.error().message,
      HasSubstr("is a coordination plugin, but is named where a transport plugin is expected"));
}

TEST(PluginLoader, RefusesAFileThatIsNotALibrary) {
  const fs::path bogus = fs::temp_directory_path() / "junction_bogus_test.so";
  std::ofstream(bogus) << "not an ELF file";
  PluginLoader loader({});
  ConfigSection config;
  auto transport = loader.create_transport(bogus.string(), config);
  fs::remove(bogus);
  ASSERT_FALSE(transport);
  EXPECT_THAT(transport.error().message, HasSubstr("cannot be loaded"));
}

TEST(PluginLoader, ObjectsKeepTheirLibraryLoaded) {
  const fs::path file = kTestPlugins / "junction_lifetime.so";
  std::shared_ptr<Transport> transport;
  {
    PluginLoader loader({kTestPlugins});
    auto config = parse_config("[[transport]]\nplugin = \"lifetime\"\nendpoint = \"here\"\n",
                               "t.toml", {}, {});
    auto created = loader.create_transport("lifetime", config.transports[0].config);
    ASSERT_TRUE(created) << created.error().message;
    transport = std::move(created.value());
    auto again = loader.create_transport(file.string(), config.transports[0].config);
    ASSERT_TRUE(again);
  }
  // The loader is gone; the object still runs code from its library.
  EXPECT_TRUE(library_is_loaded(file));
  EXPECT_EQ(transport->advertised_endpoint(), "endpoint=here");
  transport.reset();
  EXPECT_FALSE(library_is_loaded(file));
}

TEST(PluginLoader, BundledMemoryCoordinatorLoads) {
  PluginLoader loader({kBundledPlugins});
  ConfigSection config;
  auto coordinator = loader.create_coordinator("memory", config);
  ASSERT_TRUE(coordinator) << coordinator.error().message;
  ASSERT_TRUE((*coordinator)->start(BrokerInfo{3, {{"kafka", "127.0.0.1:9092"}}}));
  EXPECT_EQ((*coordinator)->controller(), 3);
  auto topic = (*coordinator)->create_topic("orders", 2);
  ASSERT_TRUE(topic);
  EXPECT_EQ(topic->partitions.size(), 2u);
  EXPECT_EQ(topic->partitions[1].leader, 3);
  EXPECT_EQ((*coordinator)->create_topic("orders", 2).error().code, Errc::topic_exists);
}

}  // namespace
}  // namespace junction::host
