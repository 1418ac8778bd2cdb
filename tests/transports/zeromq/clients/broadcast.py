"""Two SUB sockets subscribe to TOPIC; COUNT records produced over a DEALER
must reach both, in order.

A SUB cannot tell when the broker has seen its subscription, so warm-up
records (key "warmup") are produced until both SUBs receive one; only then
are the counted records produced. Prints a JSON summary; exit 0 if both SUBs
got every record in order.
"""
import argparse
import json
import sys
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("router")
parser.add_argument("publisher")
parser.add_argument("topic")
parser.add_argument("count", type=int)
args = parser.parse_args()

context = zmq.Context()
topic = args.topic.encode()
subs = []
for _ in range(2):
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(args.publisher)
    sub.subscribe(topic)
    subs.append(sub)
dealer = context.socket(zmq.DEALER)
dealer.setsockopt(zmq.LINGER, 0)
dealer.connect(args.router)


def produce(key, value):
    dealer.send_multipart([b"J1", b"PUB", topic, key, value])
    if not dealer.poll(5000):
        sys.exit("no ACK")
    reply = dealer.recv_multipart()
    if reply[1] != b"ACK":
        sys.exit("produce failed: %r" % reply)


warmed = [False, False]
deadline = time.monotonic() + 10
while not all(warmed):
    if time.monotonic() > deadline:
        sys.exit("the SUBs never saw a warm-up record")
    produce(b"warmup", b"")
    for index, sub in enumerate(subs):
        while sub.poll(100):
            if sub.recv_multipart()[4] == b"warmup":
                warmed[index] = True

for i in range(args.count):
    dealer.send_multipart([b"J1", b"PUB", topic, b"", b"b%d" % i])
acked = 0
while acked < args.count and dealer.poll(10000):
    acked += dealer.recv_multipart()[1] == b"ACK"

received = []
for sub in subs:
    values = []
    while len(values) < args.count and sub.poll(10000):
        frames = sub.recv_multipart()
        if frames[0] == topic and frames[4] != b"warmup":
            values.append(frames[5])
    received.append(values)
expected = [b"b%d" % i for i in range(args.count)]
in_order = [values == expected for values in received]
print(json.dumps({"acked": acked, "received": [len(v) for v in received], "in_order": in_order}),
      flush=True)
sys.exit(0 if acked == args.count and all(in_order) else 1)
