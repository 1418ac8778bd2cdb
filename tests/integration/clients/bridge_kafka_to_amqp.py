"""Kafka producer -> Junction -> AMQP receiver.

confluent-kafka produces keyed records with headers and explicit timestamps;
an AMQP receiver in a new group (which starts at the earliest record) takes
them all. Prints a JSON summary of what arrived and every mismatch found."""
import json
import sys
import time

from confluent_kafka import Producer
from proton import symbol
from proton.utils import BlockingConnection

kafka_bootstrap, amqp_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Recent, so that retention (7 days by default) keeps the records.
BASE_TIMESTAMP = int(time.time() * 1000) - 60_000

producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 5,
                     "message.timeout.ms": 15000})
sent = {}
for n in range(count):
    key = f"member-{n % 37}"
    value = f"signup {n}".encode()
    headers = [("source", b"kafka"), ("n", str(n).encode()), ("raw", bytes([0, 255, n % 256]))]
    producer.produce(topic, key=key.encode(), value=value, headers=headers,
                     timestamp=BASE_TIMESTAMP + n)
    sent[n] = {"key": key, "value": value}
assert producer.flush(20) == 0, "not every record was delivered"

summary = {"received": 0, "mismatches": [], "order_violations": 0, "partitions": {}}
last_offset = {}
connection = BlockingConnection(amqp_url, timeout=20)
receiver = connection.create_receiver(f"{topic}::bridge", credit=200)
for _ in range(count):
    message = receiver.receive(timeout=20)
    receiver.accept()
    annotations = {str(k): v for k, v in (message.annotations or {}).items()}
    properties = message.properties or {}
    n = int(properties.get("n", b"-1") if not isinstance(properties.get("n"), bytes)
            else properties["n"].decode())
    body = message.body if isinstance(message.body, bytes) else bytes(message.body or b"")
    partition = int(annotations.get("x-opt-partition", -1))
    offset = int(annotations.get("x-opt-offset", -1))
    summary["received"] += 1
    summary["partitions"][str(partition)] = summary["partitions"].get(str(partition), 0) + 1
    problems = []
    if n not in sent:
        problems.append("unknown n")
    else:
        if body != sent[n]["value"]:
            problems.append(f"value {body!r}")
        if annotations.get("x-opt-partition-key") != sent[n]["key"]:
            problems.append(f"key {annotations.get('x-opt-partition-key')!r}")
        if int(message.creation_time * 1000) != BASE_TIMESTAMP + n:
            problems.append(f"creation_time {message.creation_time}")
    if annotations.get("x-opt-topic") != topic:
        problems.append(f"topic {annotations.get('x-opt-topic')!r}")
    source = properties.get("source")
    if source not in (b"kafka", "kafka"):
        problems.append(f"header source {source!r}")
    raw = properties.get("raw")
    if n in sent and bytes(raw or b"") != bytes([0, 255, n % 256]):
        problems.append(f"header raw {raw!r}")
    if partition in last_offset and offset <= last_offset[partition]:
        summary["order_violations"] += 1
    last_offset[partition] = offset
    if problems:
        summary["mismatches"].append({"n": n, "problems": problems})
connection.close()
summary["mismatches"] = summary["mismatches"][:10]
print(json.dumps(summary))
