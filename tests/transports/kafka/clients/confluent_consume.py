"""Reads a topic from the beginning with confluent-kafka's Consumer.assign()
(no consumer group) until --count records came or --timeout seconds passed.
Prints "record <partition> <offset> <timestamp> <key> <value>" per record,
then "done <count>"."""
import argparse
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "unused-assign-only",
        "enable.auto.commit": False,
        "socket.timeout.ms": 10000,
        "fetch.wait.max.ms": 100,
    })
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING)
                     for p in range(args.partitions)])
    received = 0
    deadline = time.monotonic() + args.timeout
    lines = []
    while received < args.count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            lines.append(f"error {message.error().name()}")
            continue
        received += 1
        key = message.key().decode() if message.key() is not None else "-"
        lines.append(f"record {message.partition()} {message.offset()} "
                     f"{message.timestamp()[1]} {key} {message.value().decode()}")
    consumer.close()
    lines.append(f"done {received}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
