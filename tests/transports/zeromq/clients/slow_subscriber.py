"""A fast and a stalled SUB on TOPIC while COUNT large records are produced.

The fast SUB (unbounded receive queue) must get every record; the stalled SUB
reads nothing until production ends, so the broker's per-SUB high-water mark
fills and the broker drops records for it alone. Prints JSON {"acked",
"fast", "slow"} with the record counts each SUB received.
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


def subscriber(receive_hwm):
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, receive_hwm)
    sub.setsockopt(zmq.RCVBUF, 65536)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(args.publisher)
    sub.subscribe(topic)
    return sub


fast = subscriber(0)
slow = subscriber(10)
dealer = context.socket(zmq.DEALER)
dealer.setsockopt(zmq.LINGER, 0)
dealer.connect(args.router)

warmed = {fast: False, slow: False}
deadline = time.monotonic() + 10
while not all(warmed.values()):
    if time.monotonic() > deadline:
        sys.exit("the SUBs never saw a warm-up record")
    dealer.send_multipart([b"J1", b"PUB", topic, b"warmup", b""])
    dealer.recv_multipart()
    for sub in warmed:
        while sub.poll(100):
            sub.recv_multipart()
            warmed[sub] = True

value = b"v" * 16384
received = {fast: 0, slow: 0}
acked = 0
sent = 0
while acked < args.count:
    while sent < args.count and sent - acked < 100:
        dealer.send_multipart([b"J1", b"PUB", topic, b"", value])
        sent += 1
    if not dealer.poll(10000):
        sys.exit("no ACK")
    acked += dealer.recv_multipart()[1] == b"ACK"
    while fast.poll(0):
        fast.recv_multipart()
        received[fast] += 1
while received[fast] < args.count and fast.poll(5000):
    fast.recv_multipart()
    received[fast] += 1
while slow.poll(1000):
    slow.recv_multipart()
    received[slow] += 1
print(json.dumps({"acked": acked, "fast": received[fast], "slow": received[slow]}), flush=True)
