"""Measures how long a record takes to reach a consumer whose fetches wait up
to --max-wait-ms: the consumer sits at the end of partition 0 with a long
poll in flight, then a record is produced. Prints how many Fetch requests
the consumer sent while it sat there ("idle_fetches <n>", from librdkafka's
statistics) and "latency_ms <ms>" or "timeout"."""
import argparse
import json
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--max-wait-ms", type=int, required=True)
    args = parser.parse_args()

    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 0,
                         "message.timeout.ms": 15000})
    # The topic exists and the connection is up before the clock starts.
    producer.produce(args.topic, value=b"warm-up", partition=0)
    assert producer.flush(15) == 0, "warm-up record not delivered"

    fetches_sent = [0]

    def count_fetches(stats_json):
        stats = json.loads(stats_json)
        fetches_sent[0] = sum(broker.get("req", {}).get("Fetch", 0)
                              for broker in stats.get("brokers", {}).values())

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "unused-assign-only",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": args.max_wait_ms,
        "fetch.min.bytes": 1,
        "socket.timeout.ms": args.max_wait_ms + 20000,
        "statistics.interval.ms": 100,
        "stats_cb": count_fetches,
    })
    _, high = consumer.get_watermark_offsets(TopicPartition(args.topic, 0), timeout=10)
    consumer.assign([TopicPartition(args.topic, 0, high)])
    # Long enough for the first fetch to be parked on the broker.
    settle_from = time.monotonic()
    fetches_before = None
    while time.monotonic() < settle_from + 2:
        message = consumer.poll(0.1)
        assert message is None, "nothing should arrive before the produce"
        if fetches_before is None and time.monotonic() > settle_from + 0.5:
            fetches_before = fetches_sent[0]
    print(f"idle_fetches {fetches_sent[0] - fetches_before}")

    sent_at = time.monotonic()
    producer.produce(args.topic, value=b"awaited", partition=0)
    producer.poll(0)
    deadline = sent_at + args.max_wait_ms / 1000 + 5
    while time.monotonic() < deadline:
        message = consumer.poll(0.01)
        if message is not None and not message.error() and message.value() == b"awaited":
            print(f"latency_ms {(time.monotonic() - sent_at) * 1000:.1f}")
            break
    else:
        print("timeout")
    producer.flush(5)
    consumer.close()


if __name__ == "__main__":
    main()
