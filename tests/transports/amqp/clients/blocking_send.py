"""Sends --count messages "value-i" with BlockingConnection, each waiting for
its outcome (pre-settled with --presettled: nothing to wait for), then prints
  result sent=N accepted=N link_error=NAME|-"""
import argparse

from proton import Message
from proton.reactor import AtMostOnce
from proton.utils import BlockingConnection, LinkDetached


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--presettled", action="store_true")
    args = parser.parse_args()
    connection = BlockingConnection(args.url, timeout=10)
    sent = accepted = 0
    link_error = "-"
    try:
        options = AtMostOnce() if args.presettled else None
        sender = connection.create_sender(args.address, options=options)
        for i in range(args.count):
            sender.send(Message(body=("value-%d" % i).encode(), inferred=True))
            sent += 1
            if not args.presettled:
                accepted += 1
        sender.close()
    except LinkDetached as error:
        link_error = error.condition or "-"
    connection.close()
    print("result sent=%d accepted=%d link_error=%s" % (sent, accepted, link_error))


main()
