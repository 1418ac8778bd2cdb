"""kafka-python (python3-kafka) in a consumer group: consumes until it has
--expect records (or --idle-ms passes without one), commits, and prints
  record <partition> <offset> <value>   committed <partition> <offset>
with the committed offsets read back from the broker."""
import argparse

from kafka import KafkaConsumer, TopicPartition


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--idle-ms", type=int, default=10000)
    args = parser.parse_args()

    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=args.idle_ms,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        request_timeout_ms=15000,
    )
    received = 0
    for message in consumer:
        print("record", message.partition, message.offset, message.value.decode(), flush=True)
        received += 1
        if received >= args.expect:
            break
    consumer.commit()
    for partition in sorted(consumer.partitions_for_topic(args.topic)):
        committed = consumer.committed(TopicPartition(args.topic, partition))
        print("committed", partition, -1 if committed is None else committed, flush=True)
    consumer.close()


if __name__ == "__main__":
    main()
