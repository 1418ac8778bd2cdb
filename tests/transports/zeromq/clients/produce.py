"""Produces COUNT records to TOPIC over a DEALER and waits for every ACK.

Record i: key "k<i>", value "v<i>", header ("seq", "<i>"). Keeps up to
--window commands in flight. Prints one JSON summary line; exit 0 only if every
record was acknowledged with a distinct (partition, offset).
"""
import argparse
import json
import sys

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("router")
parser.add_argument("topic")
parser.add_argument("count", type=int)
parser.add_argument("--window", type=int, default=500)
parser.add_argument("--timeout-ms", type=int, default=10000)
args = parser.parse_args()

context = zmq.Context()
dealer = context.socket(zmq.DEALER)
dealer.setsockopt(zmq.LINGER, 0)
dealer.connect(args.router)

sent = 0
positions = set()
errors = []
while len(positions) + len(errors) < args.count:
    while sent < args.count and sent - len(positions) - len(errors) < args.window:
        i = str(sent).encode()
        dealer.send_multipart([b"J1", b"PUB", args.topic.encode(), b"k" + i, b"v" + i, b"seq", i])
        sent += 1
    if not dealer.poll(args.timeout_ms):
        break
    reply = dealer.recv_multipart()
    if reply[:2] == [b"J1", b"ACK"] and len(reply) == 4:
        positions.add((int(reply[2]), int(reply[3])))
    else:
        errors.append([frame.decode(errors="replace") for frame in reply])

print(json.dumps({"acked": len(positions), "errors": errors[:5]}), flush=True)
sys.exit(0 if len(positions) == args.count else 1)
