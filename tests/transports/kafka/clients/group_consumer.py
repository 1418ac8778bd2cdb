"""A confluent-kafka consumer in a group, driven by a test.

Prints one line per event, flushed at once so the test can follow along:
  assigned <partition>...   revoked   record <partition> <offset> <value>
  committed <partition> <next offset>   closed   error <text>
Reads "close" on stdin to close gracefully (LeaveGroup). With --max-records it
closes after that many records, first polling --linger-ms more for records
that should not come. Exits 3 when --lifetime-ms passes first.
"""
import argparse
import select
import sys
import time

from confluent_kafka import Consumer


def emit(*words):
    print(" ".join(str(word) for word in words), flush=True)


def close_requested():
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable) and sys.stdin.readline().strip() == "close"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--commit-each", action="store_true")
    parser.add_argument("--max-records", type=int, default=0)
    parser.add_argument("--linger-ms", type=int, default=0)
    parser.add_argument("--lifetime-ms", type=int, default=60000)
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": 500,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "socket.timeout.ms": 10000,
    })

    def on_assign(_, partitions):
        emit("assigned", *sorted(p.partition for p in partitions))

    def on_revoke(_, partitions):
        emit("revoked")

    consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke)
    deadline = time.monotonic() + args.lifetime_ms / 1000
    linger_until = None
    received = 0
    while not close_requested():
        now = time.monotonic()
        if now >= deadline:
            emit("error", "lifetime over")
            sys.exit(3)
        if linger_until is not None and now >= linger_until:
            break
        message = consumer.poll(0.1)
        if message is None:
            continue
        if message.error():
            emit("error", message.error())
            continue
        emit("record", message.partition(), message.offset(), message.value().decode())
        received += 1
        if args.commit_each:
            for committed in consumer.commit(message=message, asynchronous=False):
                emit("committed", committed.partition, committed.offset)
        if args.max_records and received >= args.max_records and linger_until is None:
            linger_until = time.monotonic() + args.linger_ms / 1000
    consumer.close()
    emit("closed")


if __name__ == "__main__":
    main()
