"""Receives --count messages with BlockingConnection (credit --credit),
accepting each, and prints one line per message, then "done":
  message <partition> <offset> <delivery-count> <topic> <body>
Exits 3 when a message does not come within --timeout seconds."""
import argparse
import sys

from proton import Timeout, symbol
from proton.utils import BlockingConnection


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--credit", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    connection = BlockingConnection(args.url, timeout=args.timeout)
    receiver = connection.create_receiver(args.address, credit=args.credit)
    for _ in range(args.count):
        try:
            message = receiver.receive(timeout=args.timeout)
        except Timeout:
            print("error timeout", flush=True)
            sys.exit(3)
        annotations = message.annotations or {}
        print("message", int(annotations[symbol("x-opt-partition")]),
              int(annotations[symbol("x-opt-offset")]), message.delivery_count,
              annotations[symbol("x-opt-topic")], bytes(message.body).decode(), flush=True)
        receiver.accept()
    # Detach first so the last accept reaches the broker before the close.
    receiver.close()
    connection.close()
    print("done", flush=True)


main()
