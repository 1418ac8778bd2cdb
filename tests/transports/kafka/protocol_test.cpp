// The protocol layer as clients meet it: version negotiation, metadata, and
// what happens to connections that send garbage.
#include <gtest/gtest.h>

#include "kafka_test_broker.hpp"

namespace junction::testing {
namespace {

TEST(KafkaProtocol, KcatListsTheBrokerAndAutoCreatesATopic) {
  KafkaTestBroker broker("[topics]\ndefault_partitions = 3\n");
  ASSERT_TRUE(broker.start());
  auto listed = run_kcat(broker.bootstrap(), {"-L", "-t", "orders"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_NE(listed.out.find("broker 0 at " + broker.bootstrap()), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("topic \"orders\" with 3 partitions"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.err.find("Disconnected"), std::string::npos) << listed.err;
}

}  // namespace
}  // namespace junction::testing
