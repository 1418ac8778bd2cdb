"""A SUB for TOPIC (which need not exist yet) that prints COUNT records as
JSON lines {"key", "value", "headers"} and exits.

Prints "ready" once the broker is known to have seen the subscription: it also
subscribes to TOPIC-probe after TOPIC and produces probe records over a DEALER
until one arrives (XPUB passes subscriptions on in order).
"""
import argparse
import json
import sys

import zmq

from subscription_probe import wait_until_subscribed

parser = argparse.ArgumentParser()
parser.add_argument("router")
parser.add_argument("publisher")
parser.add_argument("topic")
parser.add_argument("count", type=int)
args = parser.parse_args()

context = zmq.Context()
topic = args.topic.encode()
probe = topic + b"-probe"
sub = context.socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
sub.connect(args.publisher)
sub.subscribe(topic)
sub.subscribe(probe)
dealer = context.socket(zmq.DEALER)
dealer.setsockopt(zmq.LINGER, 0)
dealer.connect(args.router)

wait_until_subscribed(sub, dealer, probe, 10)
print("ready", flush=True)

printed = 0
while printed < args.count:
    if not sub.poll(20000):
        sys.exit("only %d records arrived" % printed)
    frames = sub.recv_multipart()
    if frames[0] != topic:
        continue
    headers = [[frames[i].decode(), frames[i + 1].decode()] for i in range(6, len(frames), 2)]
    print(json.dumps({"key": frames[4].decode(), "value": frames[5].decode(), "headers": headers}),
          flush=True)
    printed += 1
