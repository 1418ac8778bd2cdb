"""Reads --count records of a topic from the earliest offset with
confluent-kafka and prints one line per record, bytes in hex ("-" for null):
  record PARTITION OFFSET TIMESTAMP KEY VALUE NAME=VALUE,NAME=VALUE|-"""
import argparse
import sys
import time

from confluent_kafka import Consumer, TopicPartition


def hex_or_dash(data):
    return "-" if data is None else (data.hex() or "_")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "amqp-test-reader",
                         "enable.auto.commit": False, "socket.timeout.ms": 10000})
    consumer.assign([TopicPartition(args.topic, p, 0) for p in range(args.partitions)])
    seen = 0
    deadline = time.monotonic() + args.timeout
    while seen < args.count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            print("error %s" % message.error(), file=sys.stderr)
            continue
        headers = message.headers() or []
        header_text = ",".join("%s=%s" % (name.encode().hex(), hex_or_dash(value))
                               for name, value in headers) or "-"
        print("record %d %d %d %s %s %s" % (message.partition(), message.offset(),
                                            message.timestamp()[1], hex_or_dash(message.key()),
                                            hex_or_dash(message.value()), header_text))
        seen += 1
    consumer.close()


main()
