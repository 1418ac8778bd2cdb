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
#include "support/client_process.hpp"

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
  EXPECT_EQ(records.size(), std::size_t(count)) << output.err;
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

// 10 000 keyed messages with properties, ids and creation times, sent as fast
// as credit allows to a topic that fsyncs every append: every one is accepted, and the kafka
// transport reads back each value, key, header and timestamp, on the partition Kafka's partitioner
// picks for its key, in the order they were sent.
TEST(AmqpProduce, TenThousandUnsettledMessagesAreAcceptedAndStoredIntact) {
  AmqpTestBroker broker({"[topics]\ndefault_partitions = 3\nflush = \"always\"\n", "", true});
  ASSERT_TRUE(broker.start());
  constexpr int kCount = 10000;
  // Recent: retention deletes records by their timestamp, as Kafka does.
  const long long timestamp_base = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count() -
                                   60000;
  auto output =
      send(broker, "orders", kCount,
           {"--keyed", "--properties", "--timestamp-base", std::to_string(timestamp_base)});
  ASSERT_EQ(output.status, 0) << output.err;
  auto result = result_of(output);
  EXPECT_EQ(result["accepted"], std::to_string(kCount))
      << output.out << output.err << broker.process().log();
  EXPECT_EQ(result["rejected"], "0");
  EXPECT_EQ(result["link_error"], "-");

  auto records = read_with_kafka(broker, "orders", 3, kCount);
  ASSERT_EQ(records.size(), std::size_t(kCount));
  std::vector<bool> seen(kCount, false);
  std::map<int, int> last_index_on_partition;
  for (const auto& record : records) {
    auto value = record.value;
    ASSERT_EQ(value.substr(0, 12), hex("value-"));
    std::string text;
    for (std::size_t i = 12; i < value.size(); i += 2) {
      text.push_back(static_cast<char>(std::stoi(value.substr(i, 2), nullptr, 16)));
    }
    const int i = std::stoi(text);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, kCount);
    EXPECT_FALSE(seen[i]) << "message " << i << " stored twice";
    seen[i] = true;
    const std::string key = "key-" + std::to_string(i % 13);
    EXPECT_EQ(record.key, hex(key));
    EXPECT_EQ(record.partition, partition_for_key(key, 3)) << "message " << i;
    EXPECT_EQ(record.timestamp, timestamp_base + i);
    std::map<std::string, std::string> expected_headers{
        {hex("amqp-message-id"), hex("id-" + std::to_string(i))},
        {hex("amqp-correlation-id-ulong"), hex(std::to_string(i))},
        {hex("amqp-content-type"), hex("text/plain")},
        {hex("index"), hex(std::to_string(i))},
        {hex("tag"), hex("t" + std::to_string(i))},
        {hex("raw"), "00ff"},
        {hex("flag"), hex("true")}};
    EXPECT_EQ(record.headers, expected_headers) << "message " << i;
    auto last = last_index_on_partition.find(record.partition);
    if (last != last_index_on_partition.end()) {
      EXPECT_LT(last->second, i) << "partition " << record.partition << " out of send order";
    }
    last_index_on_partition[record.partition] = i;
  }
  EXPECT_EQ(broker.stop(), 0);
}

// The subject is the key when no x-opt-partition-key annotation is given.
TEST(AmqpProduce, SubjectIsTheKeyWithoutAnnotation) {
  AmqpTestBroker broker({"[topics]\ndefault_partitions = 4\n", "", true});
  ASSERT_TRUE(broker.start());
  auto output = send(broker, "subjects", 26, {"--keyed", "--subject-key"});
  ASSERT_EQ(output.status, 0) << output.err;
  EXPECT_EQ(result_of(output)["accepted"], "26");
  auto records = read_with_kafka(broker, "subjects", 4, 26);
  ASSERT_EQ(records.size(), 26u);
  for (const auto& record : records) {
    ASSERT_NE(record.key, "-");
    std::string key;
    for (std::size_t i = 0; i < record.key.size(); i += 2) {
      key.push_back(static_cast<char>(std::stoi(record.key.substr(i, 2), nullptr, 16)));
    }
    EXPECT_EQ(key.substr(0, 4), "key-");
    EXPECT_EQ(record.partition, partition_for_key(key, 4));
  }
}

// Pre-settled sends are at-most-once: nothing is answered, yet everything
// sent on a healthy broker is stored, including what was still batching when
// the client closed.
TEST(AmqpProduce, PresettledSendsAreStored) {
  AmqpTestBroker broker({"", "", true});
  ASSERT_TRUE(broker.start());
  auto blocking = blocking_send(broker, "fire", 200, {"--presettled"});
  ASSERT_EQ(blocking.status, 0) << blocking.err;
  EXPECT_EQ(result_of(blocking)["sent"], "200");
  auto fast = send(broker, "fire", 3000, {"--presettled"});
  ASSERT_EQ(fast.status, 0) << fast.err;
  EXPECT_EQ(result_of(fast)["sent"], "3000");
  EXPECT_EQ(result_of(fast)["accepted"], "0");
  auto records = read_with_kafka(broker, "fire", 1, 3200);
  EXPECT_EQ(records.size(), 3200u);
}

TEST(AmqpProduce, PartitionAddressProducesToThatPartition) {
  AmqpTestBroker broker({"[topics]\ndefault_partitions = 4\n", "", true});
  ASSERT_TRUE(broker.start());
  auto output = send(broker, "orders/2", 100, {"--keyed"});
  ASSERT_EQ(output.status, 0) << output.err;
  EXPECT_EQ(result_of(output)["accepted"], "100");
  auto records = read_with_kafka(broker, "orders", 4, 100);
  ASSERT_EQ(records.size(), 100u);
  for (const auto& record : records) EXPECT_EQ(record.partition, 2);

  auto missing = blocking_send(broker, "orders/4", 1);
  ASSERT_EQ(missing.status, 0) << missing.err;
  EXPECT_EQ(result_of(missing)["link_error"], "amqp:not-found");
}

TEST(AmqpProduce, UnknownTopicWithoutAutoCreateIsNotFound) {
  AmqpTestBroker broker({"[topics]\nauto_create = false\n"});
  ASSERT_TRUE(broker.start());
  auto output = blocking_send(broker, "nowhere", 1);
  ASSERT_EQ(output.status, 0) << output.err;
  EXPECT_EQ(result_of(output)["link_error"], "amqp:not-found");
  EXPECT_EQ(result_of(output)["sent"], "0");
}

TEST(AmqpProduce, AddressesThatDoNotParseAreInvalidFields) {
  AmqpTestBroker broker;
  ASSERT_TRUE(broker.start());
  for (std::string address : {"orders::group", "orders/two", "orders/-1", "/2", ""}) {
    auto output = blocking_send(broker, address, 1);
    ASSERT_EQ(output.status, 0) << output.err;
    EXPECT_EQ(result_of(output)["link_error"], "amqp:invalid-field") << "address " << address;
  }
  auto fine = blocking_send(broker, "orders", 1);
  EXPECT_EQ(result_of(fine)["accepted"], "1");
}

// The limit is advertised as the link's max-message-size; a larger message is
// rejected with amqp:link:message-size-exceeded and the link goes on.
TEST(AmqpProduce, OversizedMessageIsRejectedWithMessageSizeExceeded) {
  AmqpTestBroker broker({"", "max_message_bytes = 2048\n"});
  ASSERT_TRUE(broker.start());
  auto big = send(broker, "sizes", 3, {"--body-size", "5000"});
  ASSERT_EQ(big.status, 0) << big.err;
  auto result = result_of(big);
  EXPECT_EQ(result["rejected"], "3");
  EXPECT_EQ(result["conditions"], "amqp:link:message-size-exceeded:3");
  EXPECT_EQ(result["remote_max_message_size"], "2048");
  EXPECT_EQ(result["link_error"], "-");

  auto small = send(broker, "sizes", 50, {"--body-size", "1000"});
  EXPECT_EQ(result_of(small)["accepted"], "50");
}

// A sender started in the background with send.py; "opened" once attached.
std::unique_ptr<ClientProcess> start_sender(const AmqpTestBroker& broker,
                                            const std::string& address, int count) {
  return std::make_unique<ClientProcess>(std::vector<std::string>{
      "/usr/bin/python3", std::string(JUNCTION_AMQP_CLIENTS_DIR) + "/send.py", "--url",
      broker.url(), "--address", address, "--count", std::to_string(count), "--timeout", "60"});
}

bool attached(ClientProcess& client) {
  return client
      .wait_for_line([](const std::string& line) { return line == "opened"; },
                     std::chrono::seconds(10))
      .has_value();
}

// The result line of a background sender that has exited.
Fields finished_result(ClientProcess& client) {
  EXPECT_EQ(client.wait(std::chrono::seconds(60)), 0) << client.stderr_text();
  CommandOutput output;
  for (const auto& line : client.lines()) output.out += line + "\n";
  return result_of(output);
}

// Bytes that are not AMQP close that one connection; a sender attached at the
// same time goes on, and new clients are served as before.
TEST(AmqpProduce, GarbageOnTheSocketClosesOnlyThatConnection) {
  AmqpTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto neighbour = start_sender(broker, "steady", 20000);
  ASSERT_TRUE(attached(*neighbour)) << neighbour->stderr_text();

  int fd = connect_loopback(broker.port());
  ASSERT_GE(fd, 0);
  const std::string garbage = "GET / HTTP/1.1\r\nHost: junction\r\n\r\n\x01\x02\x03";
  ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL), ssize_t(garbage.size()));
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buffer[4096];
  ssize_t got = 0;
  bool closed = false;
  while ((got = ::recv(fd, buffer, sizeof buffer, 0)) >= 0) {
    if (got == 0) {
      closed = true;
      break;
    }
  }
  ::close(fd);
  EXPECT_TRUE(closed) << "the broker kept a connection that sent garbage";

  EXPECT_EQ(finished_result(*neighbour)["accepted"], "20000");
  auto after = send(broker, "steady", 500);
  ASSERT_EQ(after.status, 0) << after.err;
  EXPECT_EQ(result_of(after)["accepted"], "500");
  EXPECT_EQ(broker.stop(), 0);
}

// Several connections sending at once, to one topic and to partitions of it,
// all get everything accepted and stored.
TEST(AmqpProduce, ConcurrentSendersAllGetTheirMessagesStored) {
  AmqpTestBroker broker({"[topics]\ndefault_partitions = 2\n", "container_threads = 2\n", true});
  ASSERT_TRUE(broker.start());
  std::vector<std::unique_ptr<ClientProcess>> senders;
  for (const char* address : {"shared", "shared", "shared/0", "shared/1"}) {
    senders.push_back(start_sender(broker, address, 5000));
  }
  for (auto& sender : senders) {
    EXPECT_EQ(finished_result(*sender)["accepted"], "5000")
        << sender->stderr_text() << broker.process().log();
  }
  EXPECT_EQ(read_with_kafka(broker, "shared", 2, 20000).size(), 20000u);
}

// Without a transport limit the topic's max_message_bytes is the limit.
TEST(AmqpProduce, SizeLimitFollowsTheTopic) {
  AmqpTestBroker broker({"[topics]\nmax_message_bytes = 4096\n"});
  ASSERT_TRUE(broker.start());
  auto big = send(broker, "small-topic", 1, {"--body-size", "4096"});
  auto result = result_of(big);
  EXPECT_EQ(result["remote_max_message_size"], "4096");
  EXPECT_EQ(result["conditions"], "amqp:link:message-size-exceeded:1");
  auto fits = send(broker, "small-topic", 1, {"--body-size", "3000"});
  EXPECT_EQ(result_of(fits)["accepted"], "1");
}

// With fsync after every append the kernel is the bottleneck: a client that
// sends as fast as it may never gets more credit than max_in_flight_messages,
// and still gets everything accepted. Its own count of unsettled messages
// lags the broker's: Proton writes the flow frame that replaces acknowledged
// messages ahead of their dispositions, so credit plus what the client still
// believes unsettled may reach twice the bound, never more.
TEST(AmqpProduce, CreditNeverExceedsTheInFlightBound) {
  AmqpTestBroker broker({"[topics]\nflush = \"always\"\n", "max_in_flight_messages = 50\n"});
  ASSERT_TRUE(broker.start());
  auto output = send(broker, "bounded", 3000);
  ASSERT_EQ(output.status, 0) << output.err;
  auto result = result_of(output);
  EXPECT_EQ(result["accepted"], "3000");
  EXPECT_EQ(result["max_credit"], "50");
  EXPECT_GE(std::stoi(result["max_credit_plus_unsettled"]), 50);
  EXPECT_LE(std::stoi(result["max_credit_plus_unsettled"]), 100);
}

// A stop with clients attached closes them with amqp:connection:forced
// rather than dropping them, and exits cleanly.
TEST(AmqpProduce, StopClosesConnectedClientsGracefully) {
  AmqpTestBroker broker;
  ASSERT_TRUE(broker.start());
  auto sender = ClientProcess(
      {"/usr/bin/python3", std::string(JUNCTION_AMQP_CLIENTS_DIR) + "/send.py", "--url",
       broker.url(), "--address", "endless", "--count", "100000000", "--timeout", "60"});
  ASSERT_TRUE(sender.wait_for_line([](const std::string& line) { return line == "opened"; },
                                   std::chrono::seconds(10)));
  ASSERT_EQ(broker.stop(), 0);
  EXPECT_EQ(sender.wait(std::chrono::seconds(20)), 0);
  bool forced = false;
  for (const auto& line : sender.lines()) {
    if (line.find("link_error=amqp:connection:forced") != std::string::npos) forced = true;
  }
  EXPECT_TRUE(forced) << sender.stderr_text();
}

}  // namespace
}  // namespace junction::testing
