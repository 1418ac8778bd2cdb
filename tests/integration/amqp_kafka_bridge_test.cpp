// One broker, two protocols: what a Kafka client produces an AMQP receiver
// gets, and the other way round, with key, value, headers and timestamp
// intact (docs/transports/amqp.md, "Message mapping").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transports/amqp/amqp_test_broker.hpp"

namespace junction::testing {
namespace {

using ::testing::HasSubstr;

CommandOutput run_bridge_client(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3",
                                std::string(JUNCTION_BRIDGE_CLIENTS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, {}, std::chrono::seconds(120));
}

class AmqpKafkaBridge : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(broker_.start()); }
  AmqpTestBroker broker_{{"[topics]\ndefault_partitions = 3\n", "", true}};
};

TEST_F(AmqpKafkaBridge, KafkaRecordsReachAnAmqpReceiverIntactAndInPartitionOrder) {
  auto run = run_bridge_client("bridge_kafka_to_amqp.py",
                               {broker_.kafka_bootstrap(), broker_.url(), "signups", "1000"});
  ASSERT_EQ(run.status, 0) << run.err << run.out;
  EXPECT_THAT(run.out, HasSubstr("\"received\": 1000"));
  EXPECT_THAT(run.out, HasSubstr("\"mismatches\": []"));
  EXPECT_THAT(run.out, HasSubstr("\"order_violations\": 0"));
  // 37 keys over 3 partitions: every partition carries some of them.
  for (const char* partition : {"\"0\": ", "\"1\": ", "\"2\": "}) {
    EXPECT_THAT(run.out, HasSubstr(partition));
  }
}

TEST_F(AmqpKafkaBridge, AmqpMessagesReachAKafkaConsumerOnTheKeysKafkaPartition) {
  auto run = run_bridge_client("bridge_amqp_to_kafka.py",
                               {broker_.kafka_bootstrap(), broker_.url(), "orders", "1000", "3"});
  ASSERT_EQ(run.status, 0) << run.err << run.out;
  EXPECT_THAT(run.out, HasSubstr("\"received\": 1000")) << run.err << broker_.process().log();
  EXPECT_THAT(run.out, HasSubstr("\"mismatches\": []"));
  EXPECT_THAT(run.out, HasSubstr("\"wrong_partition\": 0"));
  EXPECT_THAT(run.out, HasSubstr("\"expected_keys\": 41"));
}

}  // namespace
}  // namespace junction::testing
