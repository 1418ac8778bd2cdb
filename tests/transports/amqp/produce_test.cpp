// The produce path with real AMQP clients (python3-qpid-proton): settlement,
// credit, addressing and bad input. What AMQP stored is read back through the
// kafka transport of the same broker, with confluent-kafka.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "amqp_test_broker.hpp"
#include "junction/partitioner.hpp"

namespace junction::testing {
namespace {

using Fields = std::map<std::string, std::string>;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  return parts;
}

// The "result name=value ..." line of a client's output.
Fields result_of(const CommandOutput& output) {
  Fields fields;
  for (const auto& line : split(output.out, '\n')) {
    if (line.rfind("result ", 0) != 0) continue;
    for (const auto& word : split(line.substr(7), ' ')) {
      auto equals = word.find('=');
      if (equals != std::string::npos) fields[word.substr(0, equals)] = word.substr(equals + 1);
    }
  }
  return fields;
}

std::string hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

struct ReadRecord {
  int partition = 0;
  long long offset = 0;
  long long timestamp = 0;
  std::string key;                             // hex, "-" for null
  std::string value;                           // hex
  std::map<std::string, std::string> headers;  // hex name -> hex value
};

std::vector<ReadRecord> read_with_kafka(const AmqpTestBroker& broker, const std::string& topic,
                                        int partitions, int count) {
  auto output =
      run_amqp_client("kafka_read.py",
                      {"--bootstrap", broker.kafka_bootstrap(), "--topic", topic, "--partitions",
                       std::to_string(partitions), "--count", std::to_string(count)},
                      {}, std::chrono::seconds(90));
  EXPECT_EQ(output.status, 0) << output.err;
  std::vector<ReadRecord> records;
  for (const auto& line : split(output.out, '\n')) {
    auto words = split(line, ' ');
    if (words.size() != 7 || words[0] != "record") continue;
    ReadRecord record{
        std::stoi(words[1]), std::stoll(words[2]), std::stoll(words[3]), words[4], words[5], {}};
    if (words[6] != "-") {
      for (const auto& header : split(words[6], ',')) {
        auto equals = header.find('=');
        record.headers[header.substr(0, equals)] = header.substr(equals + 1);
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

CommandOutput send(const AmqpTestBroker& broker, const std::string& address, int count,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--url", broker.url(), "--address",
                                address, "--count",    std::to_string(count)};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_amqp_client("send.py", args, {}, std::chrono::seconds(90));
}

CommandOutput blocking_send(const AmqpTestBroker& broker, const std::string& address, int count,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--url", broker.url(), "--address",
                                address, "--count",    std::to_string(count)};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_amqp_client("blocking_send.py", args);
}

TEST(AmqpProduce, OneUnsettledMessageIsAccepted) {
  AmqpTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto output = blocking_send(broker, "first", 1);
  ASSERT_EQ(output.status, 0) << output.err;
  auto result = result_of(output);
  EXPECT_EQ(result["sent"], "1");
  EXPECT_EQ(result["accepted"], "1");
  EXPECT_EQ(result["link_error"], "-");
  EXPECT_EQ(broker.stop(), 0);
}

}  // namespace
}  // namespace junction::testing
