"""ListOffsets through confluent-kafka: watermarks, and offsets_for_times for
each --timestamp (-2 earliest, -1 latest, else milliseconds). Prints
"watermarks <low> <high>" and "for_time <timestamp> <offset>" lines."""
import argparse

from confluent_kafka import Consumer, TopicPartition


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partition", type=int, default=0)
    parser.add_argument("--timestamp", type=int, action="append", default=[])
    args = parser.parse_args()

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "unused-assign-only",
                         "socket.timeout.ms": 10000})
    low, high = consumer.get_watermark_offsets(TopicPartition(args.topic, args.partition),
                                               timeout=10)
    print(f"watermarks {low} {high}")
    for timestamp in args.timestamp:
        found = consumer.offsets_for_times(
            [TopicPartition(args.topic, args.partition, timestamp)], timeout=10)
        print(f"for_time {timestamp} {found[0].offset}")
    consumer.close()


if __name__ == "__main__":
    main()
