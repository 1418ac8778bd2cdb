"""AMQP sender -> Junction -> Kafka consumer.

An AMQP sender sends messages with application-properties and a partition key
(unsettled: each is accepted only once stored). confluent-kafka then reads the
topic from the start. The partition each key should land on is what a Kafka
producer using Kafka's own partitioner (murmur2) picks: a confluent-kafka
producer with partitioner=murmur2_random sends the same keys to a second topic
with the same partition count. Prints a JSON summary."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from proton import Message, symbol
from proton.utils import BlockingConnection

kafka_bootstrap, amqp_url, topic, count, partitions = (
    sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
# Recent, so that retention (7 days by default) keeps the records.
BASE_TIMESTAMP = int(time.time() * 1000) - 60_000

connection = BlockingConnection(amqp_url, timeout=20)
sender = connection.create_sender(topic)
sent = {}
for n in range(count):
    key = f"order-{n % 41}"
    message = Message(body=f"order {n}".encode(), inferred=True,
                      properties={"source": "amqp", "n": n, "blob": b"\x00\x01"},
                      annotations={symbol("x-opt-partition-key"): key},
                      creation_time=(BASE_TIMESTAMP + n) / 1000.0)
    sender.send(message, timeout=20)
    sent[n] = key
connection.close()

expected_topic = topic + "-expected"
keyed = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random",
                  "message.timeout.ms": 15000})
expected_partition = {}

def remember(error, record):
    if error is None:
        expected_partition[record.key().decode()] = record.partition()

for key in sorted(set(sent.values())):
    keyed.produce(expected_topic, key=key.encode(), value=b"", on_delivery=remember)
assert keyed.flush(20) == 0

consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "bridge-check",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
summary = {"received": 0, "mismatches": [], "wrong_partition": 0, "expected_keys":
           len(expected_partition)}
while summary["received"] < count:
    record = consumer.poll(20)
    if record is None:
        partitions_now = [TopicPartition(topic, p) for p in range(partitions)]
        print("timed out; positions", consumer.position(partitions_now), "watermarks",
              [consumer.get_watermark_offsets(tp, timeout=5) for tp in partitions_now],
              file=sys.stderr)
        break
    if record.error():
        continue
    summary["received"] += 1
    headers = dict(record.headers() or [])
    n = int(headers.get("n", b"-1"))
    problems = []
    if record.value() != f"order {n}".encode():
        problems.append(f"value {record.value()!r}")
    if n not in sent or record.key() != sent[n].encode():
        problems.append(f"key {record.key()!r}")
    if headers.get("source") != b"amqp":
        problems.append(f"header source {headers.get('source')!r}")
    if headers.get("blob") != b"\x00\x01":
        problems.append(f"header blob {headers.get('blob')!r}")
    if record.timestamp()[1] != BASE_TIMESTAMP + n:
        problems.append(f"timestamp {record.timestamp()}")
    if n in sent and expected_partition.get(sent[n]) != record.partition():
        summary["wrong_partition"] += 1
    if problems:
        summary["mismatches"].append({"n": n, "problems": problems})
consumer.close()
summary["mismatches"] = summary["mismatches"][:10]
print(json.dumps(summary))
