"""Produces numbered records with confluent-kafka (librdkafka) and reports
each delivery: one line "delivered <partition> <offset> <value>" or
"failed <error name> <value>", then "done"."""
import argparse
import sys

from confluent_kafka import Producer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--acks", default="all")
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--value-size", type=int, default=0,
                        help="pad values to this many bytes")
    parser.add_argument("--first-timestamp", type=int, default=0,
                        help="record i gets this + i * 1000 ms as its timestamp")
    parser.add_argument("--partition", type=int, default=-1)
    parser.add_argument("--config", action="append", default=[],
                        help="an extra librdkafka property, name=value")
    args = parser.parse_args()

    config = {
        "bootstrap.servers": args.bootstrap,
        "acks": args.acks,
        "enable.idempotence": args.idempotent,
        "message.timeout.ms": 15000,
        "socket.timeout.ms": 10000,
        "message.max.bytes": max(1000000, args.value_size * 2),
        "linger.ms": 5,
    }
    for extra in args.config:
        name, _, value = extra.partition("=")
        config[name] = value
    producer = Producer(config)
    out = []

    def report(error, message):
        value = message.value().decode()[:32].rstrip(".")
        if error is None:
            out.append(f"delivered {message.partition()} {message.offset()} {value}")
        else:
            out.append(f"failed {error.name()} {value}")

    for i in range(args.count):
        value = f"r{i}".ljust(args.value_size, ".")
        extra = {}
        if args.first_timestamp:
            extra["timestamp"] = args.first_timestamp + i * 1000
        if args.partition >= 0:
            extra["partition"] = args.partition
        while True:
            try:
                producer.produce(args.topic, key=f"k{i % 7}", value=value, on_delivery=report,
                                 **extra)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(30)
    out.append(f"unflushed {remaining}")
    print("\n".join(out))
    print("done")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
