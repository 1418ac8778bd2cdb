// Admin clients: topics created, listed, described and deleted through the
// Kafka protocol by kafka-python and confluent-kafka.
#include <gtest/gtest.h>

#include "kafka_test_broker.hpp"

namespace junction::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(KafkaAdmin, KafkaPythonCreatesListsAndDeletesTopics) {
  KafkaTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto run = run_python_client("admin_kafka_python.py", {broker.bootstrap(), "audit"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "\"create_errors\": [0]")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"listed_after_create\": true")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"partitions\": 4")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"duplicate\": \"TopicAlreadyExistsError\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"delete_errors\": [0]")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"listed_after_delete\": false")) << run.out;
  EXPECT_TRUE(broker.process().log_contains("deleted topic 'audit'"));
}

TEST(KafkaAdmin, ConfluentCreatesTopicsAndDescribesConfigs) {
  KafkaTestBroker broker("[topics]\nretention_ms = 3600000\n");
  ASSERT_TRUE(broker.start());
  auto run = run_python_client("admin_confluent.py", {broker.bootstrap(), "billing"});
  ASSERT_EQ(run.status, 0) << run.err;
  // A config equal to what the topic gets is fine; an override the kernel
  // cannot keep is refused rather than silently dropped.
  EXPECT_TRUE(contains(run.out, "\"billing\": \"ok\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"billing-override\": \"INVALID_CONFIG\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"billing-three-replicas\": \"INVALID_REPLICATION_FACTOR\""))
      << run.out;
  EXPECT_TRUE(contains(run.out, "\"retention.ms\": \"3600000\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"cleanup.policy\": \"delete\"")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"broker.id\": \"0\"")) << run.out;
  auto listed = run_kcat(broker.bootstrap(), {"-L", "-m", "10"});
  EXPECT_TRUE(contains(listed.out, "topic \"billing\" with 2 partitions")) << listed.out;
  EXPECT_FALSE(contains(listed.out, "billing-override")) << listed.out;
}

}  // namespace
}  // namespace junction::testing
