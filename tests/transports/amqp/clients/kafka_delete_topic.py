"""Deletes --topic through the Kafka transport's DeleteTopics; exits 0 once
the broker confirms, 1 with the error otherwise."""
import argparse
import sys

from confluent_kafka.admin import AdminClient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    admin = AdminClient({"bootstrap.servers": args.bootstrap, "socket.timeout.ms": 10000})
    try:
        admin.delete_topics([args.topic], operation_timeout=10)[args.topic].result(timeout=15)
    except Exception as error:  # the client's KafkaException, or a timeout
        print("error", error, flush=True)
        sys.exit(1)
    print("deleted", args.topic, flush=True)


if __name__ == "__main__":
    main()
