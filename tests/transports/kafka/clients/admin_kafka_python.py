"""kafka-python's KafkaAdminClient: create, list and delete topics.

Prints one JSON object describing what the broker answered at each step."""
import json
import sys

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
report = {}
created = admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
report["create_errors"] = [error for _, error, _ in created.topic_errors]
report["listed_after_create"] = topic in admin.list_topics()
report["partitions"] = len(admin.describe_topics([topic])[0]["partitions"])
try:
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    report["duplicate"] = "accepted"
except TopicAlreadyExistsError:
    report["duplicate"] = "TopicAlreadyExistsError"
deleted = admin.delete_topics([topic])
report["delete_errors"] = [error for _, error in deleted.topic_error_codes]
report["listed_after_delete"] = topic in admin.list_topics()
admin.close()
print(json.dumps(report))
