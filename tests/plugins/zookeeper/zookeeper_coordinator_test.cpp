// The zookeeper coordination plugin, loaded as junctiond loads it, with
// several brokers in one process against a real ZooKeeper server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <toml++/toml.h>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>

#include "host/plugin_loader.hpp"
#include "sdk/config_errors.hpp"
#include "support/junctiond_process.hpp"
#include "support/zookeeper_server.hpp"

namespace junction::zookeeper {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::wait_until;

const fs::path kBundledPlugins = fs::path(JUNCTION_BINARY_DIR) / "lib" / "junction" / "plugins";

// A [coordination] table parsed from TOML text, as the host hands it over.
struct ParsedSection {
  explicit ParsedSection(const std::string& text)
      : document(std::make_shared<toml::table>(
            toml::parse(std::string_view(text), std::string_view("zk.toml")))),
        errors(std::make_shared<ConfigErrors>("zk.toml")),
        section(make_config_section(document, document.get(), "zk.toml", errors)) {}

  std::string messages() const {
    std::string all;
    for (const auto& message : errors->messages()) all += message + "\n";
    return all;
  }

  std::shared_ptr<toml::table> document;
  std::shared_ptr<ConfigErrors> errors;
  ConfigSection section;
};

struct Broker {
  std::int32_t id = 0;
  std::shared_ptr<Coordinator> coordinator;
  std::shared_ptr<std::atomic<int>> changes = std::make_shared<std::atomic<int>>(0);
};

BrokerInfo broker_info(std::int32_t id) {
  return BrokerInfo{id,
                    {{"kafka", "127.0.0.1:" + std::to_string(19090 + id)},
                     {"cluster", "127.0.0.1:" + std::to_string(19190 + id)}}};
}

class ZooKeeperCoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ready()) << server_.log();
    root_ = std::string("/") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  Result<std::shared_ptr<Coordinator>> load(const std::string& text) {
    ParsedSection parsed(text);
    auto coordinator = loader_.create_coordinator("zookeeper", parsed.section);
    if (!coordinator) return coordinator.error();
    if (!parsed.errors->empty()) return make_error(Errc::invalid_config, parsed.messages());
    return coordinator;
  }

  std::string config(const std::string& root, int session_timeout_ms) const {
    return "connect = \"" + server_.connect_string() + "\"\nroot = \"" + root +
           "\"\nsession_timeout_ms = " + std::to_string(session_timeout_ms) + "\n";
  }

  // A started broker of the cluster under `root` (the test's own by default).
  Broker start_broker(std::int32_t id, int session_timeout_ms = 2000, std::string root = {}) {
    Broker broker;
    broker.id = id;
    auto loaded = load(config(root.empty() ? root_ : root, session_timeout_ms));
    EXPECT_TRUE(loaded) << loaded.error().message;
    if (!loaded) return broker;
    broker.coordinator = loaded.value();
    broker.coordinator->on_change([changes = broker.changes] { ++*changes; });
    auto started = broker.coordinator->start(broker_info(id));
    EXPECT_TRUE(started) << started.error().message;
    return broker;
  }

  std::vector<Broker> start_brokers(int count) {
    std::vector<Broker> brokers;
    for (int id = 1; id <= count; ++id) brokers.push_back(start_broker(id));
    return brokers;
  }

  static bool all_see_brokers(const std::vector<Broker>& brokers, std::size_t count) {
    for (const auto& broker : brokers) {
      if (broker.coordinator->live_brokers().size() != count) return false;
    }
    return true;
  }

  // The controller every broker agrees on, once they do.
  static std::optional<std::int32_t> agreed_controller(const std::vector<Broker*>& brokers) {
    std::optional<std::int32_t> agreed;
    for (const auto* broker : brokers) {
      auto controller = broker->coordinator->controller();
      if (!controller || (agreed && *agreed != *controller)) return std::nullopt;
      agreed = controller;
    }
    return agreed;
  }

  static std::vector<Broker*> all(std::vector<Broker>& brokers) {
    std::vector<Broker*> pointers;
    for (auto& broker : brokers) pointers.push_back(&broker);
    return pointers;
  }

  // Waits until every broker sees `name` as `broker` does.
  static bool all_agree_on(const std::vector<Broker*>& brokers, const std::string& name) {
    return wait_until([&] {
      auto reference = brokers.front()->coordinator->topic(name);
      if (!reference) return false;
      for (const auto* broker : brokers) {
        auto seen = broker->coordinator->topic(name);
        if (!seen || *seen != *reference) return false;
      }
      return true;
    });
  }

  static std::map<std::int32_t, int> leaders(const TopicMetadata& topic) {
    std::map<std::int32_t, int> count;
    for (const auto& partition : topic.partitions) ++count[partition.leader];
    return count;
  }

  testing::ZooKeeperServer server_;
  host::PluginLoader loader_{{kBundledPlugins}};
  std::string root_;
};

TEST_F(ZooKeeperCoordinatorTest, EveryBrokerSeesAllRegisteredBrokersAndOneController) {
  auto brokers = start_brokers(3);
  ASSERT_TRUE(wait_until([&] { return all_see_brokers(brokers, 3); }));
  const auto seen = brokers[0].coordinator->live_brokers();
  for (const auto& broker : seen) {
    EXPECT_EQ(broker.endpoints, broker_info(broker.id).endpoints) << "broker " << broker.id;
  }
  ASSERT_TRUE(wait_until([&] { return agreed_controller(all(brokers)).has_value(); }));
  for (const auto& broker : brokers) EXPECT_TRUE(broker.coordinator->session_active());
}

TEST_F(ZooKeeperCoordinatorTest, DuplicateBrokerIdIsRefusedNamingTheLiveHolder) {
  auto first = start_broker(2);
  auto second = load(config(root_, 1000));
  ASSERT_TRUE(second) << second.error().message;
  const auto began = std::chrono::steady_clock::now();
  auto started = second.value()->start(BrokerInfo{2, {{"kafka", "127.0.0.1:1"}}});
  ASSERT_FALSE(started);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 10s);
  EXPECT_EQ(started.error().code, Errc::invalid_config);
  EXPECT_THAT(started.error().message,
              HasSubstr("broker id 2 is already registered at " + server_.connect_string() + root_ +
                        " by a live broker (endpoints cluster=127.0.0.1:19192, " +
                        "kafka=127.0.0.1:19092)"));
  EXPECT_TRUE(first.coordinator->session_active());
  EXPECT_EQ(first.coordinator->live_brokers().size(), 1u);
}

TEST_F(ZooKeeperCoordinatorTest, ARestartedBrokerWaitsForItsOldRegistrationToGo) {
  auto old = start_broker(2);
  auto restarted = load(config(root_, 8000));
  ASSERT_TRUE(restarted) << restarted.error().message;
  const BrokerInfo new_info{2, {{"kafka", "127.0.0.1:2"}}};
  auto started = std::async(std::launch::async, [&] { return restarted.value()->start(new_info); });
  // Still waiting half a second later, well within its 8 s wait.
  ASSERT_EQ(started.wait_for(500ms), std::future_status::timeout);
  old.coordinator->stop();
  ASSERT_EQ(started.wait_for(10s), std::future_status::ready);
  auto result = started.get();
  ASSERT_TRUE(result) << result.error().message;
  auto live = restarted.value()->live_brokers();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].endpoints, new_info.endpoints);
  restarted.value()->stop();
}

TEST_F(ZooKeeperCoordinatorTest, AnotherBrokerBecomesControllerWhenTheControllerStops) {
  auto brokers = start_brokers(3);
  std::optional<std::int32_t> old_controller;
  ASSERT_TRUE(wait_until([&] { return (old_controller = agreed_controller(all(brokers))); }));
  std::vector<Broker*> survivors;
  Broker* stopped = nullptr;
  for (auto& broker : brokers) {
    if (broker.id == *old_controller) {
      stopped = &broker;
    } else {
      survivors.push_back(&broker);
    }
  }
  std::map<std::int32_t, int> changes_before;
  for (auto* broker : survivors) changes_before[broker->id] = *broker->changes;
  stopped->coordinator->stop();

  // The controller seat, the registration and the callback are separate
  // events: each survivor must come to see all three.
  std::optional<std::int32_t> new_controller;
  EXPECT_TRUE(wait_until(
      [&] {
        new_controller = agreed_controller(survivors);
        return new_controller && *new_controller != *old_controller;
      },
      2000ms + 3s));
  for (auto* broker : survivors) {
    EXPECT_TRUE(wait_until([&] { return broker->coordinator->live_brokers().size() == 2u; }))
        << "broker " << broker->id << " still sees the stopped broker";
    EXPECT_TRUE(wait_until([&] { return *broker->changes > changes_before[broker->id]; }))
        << "broker " << broker->id << " was never told";
  }
}

TEST_F(ZooKeeperCoordinatorTest, SixPartitionsSpreadTwoPerBrokerAndAllSeeTheSame) {
  auto brokers = start_brokers(3);
  ASSERT_TRUE(wait_until([&] { return all_see_brokers(brokers, 3); }));
  auto created = brokers[0].coordinator->create_topic("spread", 6);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->name, "spread");
  ASSERT_EQ(created->partitions.size(), 6u);
  EXPECT_EQ(leaders(*created), (std::map<std::int32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
  for (const auto& partition : created->partitions) {
    EXPECT_EQ(partition.leader_epoch, 0);
    EXPECT_EQ(partition.replicas, std::vector<std::int32_t>{partition.leader});
    EXPECT_EQ(partition.in_sync_replicas, std::vector<std::int32_t>{partition.leader});
  }
  ASSERT_TRUE(all_agree_on(all(brokers), "spread"));
  EXPECT_EQ(*brokers[2].coordinator->topic("spread"), *created);
  EXPECT_EQ(brokers[1].coordinator->topics().size(), 1u);

  auto again = brokers[1].coordinator->create_topic("spread", 3);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::topic_exists);
}

TEST_F(ZooKeeperCoordinatorTest, NonControllerCreatesAndDeletesTopics) {
  auto brokers = start_brokers(3);
  std::optional<std::int32_t> controller;
  ASSERT_TRUE(wait_until([&] { return (controller = agreed_controller(all(brokers))); }));
  auto& other = brokers[*controller == 1 ? 1 : 0];
  auto created = other.coordinator->create_topic("from-follower", 4);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->partitions.size(), 4u);
  ASSERT_TRUE(all_agree_on(all(brokers), "from-follower"));

  ASSERT_TRUE(other.coordinator->delete_topic("from-follower"));
  EXPECT_FALSE(other.coordinator->topic("from-follower"));
  ASSERT_TRUE(wait_until([&] {
    for (auto& broker : brokers) {
      if (broker.coordinator->topic("from-follower")) return false;
    }
    return true;
  }));
  auto missing = other.coordinator->delete_topic("from-follower");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::unknown_topic);
}

TEST_F(ZooKeeperCoordinatorTest, CreateTopicWorksWhenTheControllerStoppedJustBefore) {
  auto brokers = start_brokers(3);
  std::optional<std::int32_t> controller;
  ASSERT_TRUE(wait_until([&] { return (controller = agreed_controller(all(brokers))); }));
  brokers[*controller - 1].coordinator->stop();
  auto& survivor = brokers[*controller == 1 ? 1 : 0];
  auto created = survivor.coordinator->create_topic("after-failover", 4);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->partitions.size(), 4u);
  for (const auto& partition : created->partitions) EXPECT_NE(partition.leader, *controller);
}

TEST_F(ZooKeeperCoordinatorTest, DeadBrokersPartitionsLoseTheirLeaderUntilItReturns) {
  auto brokers = start_brokers(3);
  ASSERT_TRUE(wait_until([&] { return all_see_brokers(brokers, 3); }));
  auto created = brokers[0].coordinator->create_topic("moves", 6);
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_TRUE(all_agree_on(all(brokers), "moves"));

  brokers[1].coordinator->stop();  // broker 2
  std::vector<Broker*> survivors{&brokers[0], &brokers[2]};
  const auto led_by_2_is = [&](std::int32_t leader, std::int32_t epoch) {
    for (auto* broker : survivors) {
      auto topic = broker->coordinator->topic("moves");
      if (!topic) return false;
      for (std::size_t p = 0; p < topic->partitions.size(); ++p) {
        const auto& now = topic->partitions[p];
        const auto& before = created->partitions[p];
        const bool was_2 = before.leader == 2;
        if (now.leader != (was_2 ? leader : before.leader)) return false;
        if (now.leader_epoch != (was_2 ? epoch : 0)) return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(wait_until([&] { return led_by_2_is(-1, 1); }, 10s))
      << "partitions of broker 2 did not become leaderless";

  brokers[1] = start_broker(2);
  survivors.push_back(&brokers[1]);
  ASSERT_TRUE(wait_until([&] { return led_by_2_is(2, 2); }, 10s))
      << "broker 2 did not get its partitions back";
}

TEST_F(ZooKeeperCoordinatorTest, AClusterUnderAnotherRootSeesNoneOfTheFirstsTopics) {
  auto first = start_broker(1, 2000, root_ + "/one");
  auto second = start_broker(1, 2000, root_ + "/two");
  ASSERT_TRUE(first.coordinator->create_topic("only-in-one", 2));
  auto created = second.coordinator->create_topic("only-in-two", 3);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(second.coordinator->topic("only-in-one"));
  EXPECT_EQ(second.coordinator->topics().size(), 1u);
  EXPECT_EQ(first.coordinator->topics().size(), 1u);
  EXPECT_EQ(second.coordinator->live_brokers().size(), 1u);
}

TEST_F(ZooKeeperCoordinatorTest, ABrokerRejoinsAfterItsSessionExpires) {
  auto broker = start_broker(1, 2000);
  auto observer = start_broker(2, 20000);
  ASSERT_TRUE(broker.coordinator->session_active());
  const int changes_before = *broker.changes;

  server_.pause();
  ASSERT_TRUE(wait_until([&] { return !broker.coordinator->session_active(); }, 10s));
  // The server must stay frozen for longer than the session timeout, so the
  // session is expired when it resumes: this wait is the point of the test.
  std::this_thread::sleep_for(3s);
  server_.resume();

  ASSERT_TRUE(wait_until(
      [&] {
        return broker.coordinator->session_active() &&
               broker.coordinator->live_brokers().size() == 2;
      },
      20s))
      << server_.log();
  EXPECT_GT(*broker.changes, changes_before);
  EXPECT_TRUE(wait_until([&] { return observer.coordinator->live_brokers().size() == 2; }));
  EXPECT_TRUE(broker.coordinator->create_topic("after-expiry", 1));
}

TEST_F(ZooKeeperCoordinatorTest, TheCallbackCannotWaitForTheWorkerThatRunsIt) {
  auto loaded = load(config(root_, 2000));
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto coordinator = loaded.value();
  std::mutex mutex;
  std::optional<Error> refused;
  coordinator->on_change([&] {
    auto created = coordinator->create_topic("from-callback", 1);
    std::lock_guard lock(mutex);
    if (!created && !refused) refused = created.error();
  });
  ASSERT_TRUE(coordinator->start(broker_info(1)));
  auto other = start_broker(2);  // a change, so the callback runs
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mutex);
    return refused.has_value();
  }));
  EXPECT_EQ(refused->code, Errc::invalid_argument);
  EXPECT_THAT(refused->message, HasSubstr("cannot be called from the on_change callback"));
  coordinator->stop();
}

TEST_F(ZooKeeperCoordinatorTest, ConfigErrorsNameTheKeyAndItsPosition) {
  ParsedSection missing("root = \"/x\"\n");
  ASSERT_TRUE(loader_.create_coordinator("zookeeper", missing.section));
  EXPECT_THAT(missing.messages(), HasSubstr("zk.toml"));
  EXPECT_THAT(missing.messages(), HasSubstr("needs connect = \"host:port"));

  ParsedSection wrong_type(
      "connect = \"127.0.0.1:2181\"\nsession_timeout_ms = \"fast\"\nroot = \"junction\"\n"
      "bogus = 1\n");
  ASSERT_TRUE(loader_.create_coordinator("zookeeper", wrong_type.section));
  const auto messages = wrong_type.messages();
  EXPECT_THAT(messages, HasSubstr("zk.toml:2:"));
  EXPECT_THAT(messages, HasSubstr("session_timeout_ms"));
  EXPECT_THAT(messages, HasSubstr("zk.toml:3:"));
  EXPECT_THAT(messages, HasSubstr("root must be an absolute ZooKeeper path"));
  EXPECT_THAT(messages, HasSubstr("zk.toml:4:1: unknown key 'bogus'"));
}

TEST_F(ZooKeeperCoordinatorTest, AnUnreachableServerFailsStartWithinTheSessionTimeout) {
  const auto port = testing::free_port();
  auto coordinator =
      load("connect = \"127.0.0.1:" + std::to_string(port) + "\"\nsession_timeout_ms = 1500\n");
  ASSERT_TRUE(coordinator) << coordinator.error().message;
  const auto began = std::chrono::steady_clock::now();
  auto started = coordinator.value()->start(broker_info(1));
  ASSERT_FALSE(started);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
  EXPECT_THAT(started.error().message,
              HasSubstr("cannot connect to ZooKeeper at 127.0.0.1:" + std::to_string(port)));
  EXPECT_FALSE(coordinator.value()->session_active());
  coordinator.value()->stop();
  coordinator.value()->stop();
}

}  // namespace
}  // namespace junction::zookeeper
