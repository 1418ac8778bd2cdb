"""Joins queue group GROUP of TOPIC over a DEALER and consumes until killed.

Prints "ready" once the broker answered the SUB, then one line per record:
"acked <partition> <offset> <value>", or with --hold "held <partition>
<offset> <value>" (the record is never acknowledged, as a consumer that
crashes mid-work). Sends PING when it has nothing else to say, so the broker's
heartbeat keeps it attached.
"""
import argparse
import sys
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("router")
parser.add_argument("topic")
parser.add_argument("group")
parser.add_argument("credit")
parser.add_argument("--hold", action="store_true")
parser.add_argument("--ping-ms", type=int, default=200)
args = parser.parse_args()

context = zmq.Context()
dealer = context.socket(zmq.DEALER)
dealer.setsockopt(zmq.LINGER, 0)
dealer.connect(args.router)
topic = args.topic.encode()
dealer.send_multipart([b"J1", b"SUB", topic, args.group.encode(), args.credit.encode(), b"earliest"])
if not dealer.poll(5000):
    sys.exit("no answer to SUB")
answer = dealer.recv_multipart()
if answer[:2] != [b"J1", b"OK"]:
    sys.exit("SUB refused: %r" % answer)
print("ready", flush=True)

last_sent = time.monotonic()
while True:
    if dealer.poll(args.ping_ms):
        message = dealer.recv_multipart()
        if message[:2] == [b"J1", b"PONG"]:
            continue
        if message[:2] != [b"J1", b"MSG"]:
            print("unexpected %r" % message, flush=True)
            continue
        partition, offset, value = message[3], message[4], message[7]
        if args.hold:
            print("held %s %s %s" % (partition.decode(), offset.decode(), value.decode()), flush=True)
            continue
        dealer.send_multipart([b"J1", b"ACK", topic, partition, offset])
        last_sent = time.monotonic()
        print("acked %s %s %s" % (partition.decode(), offset.decode(), value.decode()), flush=True)
    if time.monotonic() - last_sent >= args.ping_ms / 1000:
        dealer.send_multipart([b"J1", b"PING"])
        last_sent = time.monotonic()
