#include "integration/cluster/test_cluster.hpp"

#include <algorithm>
#include <sstream>

namespace junction::testing {

TestCluster::TestCluster(std::string zookeeper, std::string root, int brokers)
    : zookeeper_(std::move(zookeeper)), root_(std::move(root)) {
  for (int id = 1; id <= brokers; ++id) {
    ClusterBroker broker;
    broker.id = id;
    broker.kafka_port = free_port();
    broker.amqp_port = free_port();
    broker.websocket_port = free_port();
    broker.cluster_port = free_port();
    broker.zmq_router_port = free_port();
    broker.zmq_publish_port = free_port();
    broker.zmq_pull_port = free_port();
    broker.dir = std::make_unique<TempDir>();
    broker.process = std::make_unique<JunctiondProcess>(broker.dir->path(), config_for(broker));
    brokers_.push_back(std::move(broker));
  }
}

std::string TestCluster::config_for(const ClusterBroker& broker) const {
  std::ostringstream toml;
  toml << "[broker]\nid = " << broker.id << "\ndata_dir = \""
       << (broker.dir->path() / "data").string() << "\"\n"
       << "[topics]\ndefault_partitions = 3\n"
       << "[coordination]\nplugin = \"zookeeper\"\nconnect = \"" << zookeeper_ << "\"\nroot = \""
       << root_ << "\"\nsession_timeout_ms = " << kSessionTimeoutMs << "\n"
       << "[cluster]\nlisten = \"127.0.0.1:" << broker.cluster_port << "\"\n"
       << "[[transport]]\nplugin = \"kafka\"\nlisten = \"127.0.0.1:" << broker.kafka_port << "\"\n"
       << "[[transport]]\nplugin = \"amqp\"\nlisten = \"127.0.0.1:" << broker.amqp_port << "\"\n"
       << "[[transport]]\nplugin = \"websocket\"\nlisten = \"127.0.0.1:" << broker.websocket_port
       << "\"\n"
       << "[[transport]]\nplugin = \"zeromq\"\nlisten = \"" << broker.zmq_router()
       << "\"\npublish = \"" << broker.zmq_publisher()
       << "\"\npull = \"tcp://127.0.0.1:" << broker.zmq_pull_port << "\"\n";
  return toml.str();
}

bool TestCluster::start_all() {
  for (auto& broker : brokers_)
    if (!broker.process->start()) return false;
  return true;
}

std::vector<std::int32_t> TestCluster::ids() const {
  std::vector<std::int32_t> ids;
  for (const auto& broker : brokers_) ids.push_back(broker.id);
  return ids;
}

std::string TestCluster::bootstrap_all() const {
  std::string all;
  for (const auto& broker : brokers_) all += (all.empty() ? "" : ",") + broker.bootstrap();
  return all;
}

std::vector<std::int32_t> ClusterMetadata::partitions_led_by(const std::string& topic,
                                                             std::int32_t id) const {
  std::vector<std::int32_t> led;
  for (const auto& [key, partition] : partitions)
    if (key.first == topic && partition.leader == id) led.push_back(key.second);
  return led;
}

std::size_t ClusterMetadata::partition_count(const std::string& topic) const {
  return std::count_if(partitions.begin(), partitions.end(),
                       [&](const auto& entry) { return entry.first.first == topic; });
}

ClusterMetadata read_metadata(const std::string& bootstrap) {
  ClusterMetadata metadata;
  auto output =
      run_integration_client("cluster_admin.py", {"metadata", bootstrap}, std::chrono::seconds(20));
  if (output.status != 0) return metadata;
  std::istringstream lines(output.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "controller") {
      words >> metadata.controller;
    } else if (kind == "brokers") {
      for (std::int32_t id; words >> id;) metadata.brokers.push_back(id);
    } else if (kind == "partition") {
      std::string topic;
      std::int32_t index = 0;
      ClusterMetadata::Partition partition;
      words >> topic >> index >> partition.leader >> partition.error;
      metadata.partitions[{topic, index}] = partition;
    }
  }
  metadata.ok = true;
  return metadata;
}

std::string create_topic(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto output = run_integration_client("cluster_admin.py",
                                       {"create", bootstrap, topic, std::to_string(partitions)},
                                       std::chrono::seconds(40));
  auto answer = output.out;
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  return output.status == 0 ? answer : "exit " + std::to_string(output.status) + ": " + output.err;
}

namespace {

CommandOutput run_python(const std::string& path, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{"/usr/bin/python3", path};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, {}, timeout);
}

}  // namespace

CommandOutput run_integration_client(const std::string& script,
                                     const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout) {
  return run_python(std::string(JUNCTION_INTEGRATION_CLIENTS_DIR) + "/" + script, args, timeout);
}

CommandOutput run_kafka_client(const std::string& script, const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) {
  return run_python(std::string(JUNCTION_KAFKA_CLIENTS_DIR) + "/" + script, args, timeout);
}

CommandOutput run_amqp_client(const std::string& script, const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) {
  return run_python(std::string(JUNCTION_AMQP_CLIENTS_DIR) + "/" + script, args, timeout);
}

}  // namespace junction::testing
