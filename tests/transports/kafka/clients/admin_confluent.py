"""confluent-kafka's AdminClient: create topics (with and without config
overrides) and describe a topic's and the broker's configs.

Prints one JSON object: per topic the creation outcome, then the configs."""
import json
import sys

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})
report = {"created": {}}
requests = [
    NewTopic(topic, 2, 1, config={"cleanup.policy": "delete"}),
    NewTopic(topic + "-override", 2, 1, config={"retention.ms": "5"}),
    NewTopic(topic + "-three-replicas", 2, 3),
]
for name, future in admin.create_topics(requests, request_timeout=10).items():
    try:
        future.result(10)
        report["created"][name] = "ok"
    except Exception as error:  # the KafkaError's name is what the test checks
        report["created"][name] = error.args[0].name()
described = admin.describe_configs(
    [ConfigResource("topic", topic), ConfigResource("broker", "0")], request_timeout=10)
for resource, future in described.items():
    kind = "topic" if resource.restype == ConfigResource.Type.TOPIC else "broker"
    report[kind] = {name: entry.value for name, entry in future.result(10).items()}
print(json.dumps(report))
