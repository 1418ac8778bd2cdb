"""Sends malformed commands to the ROUTER (DEALER and REQ peers) and the PULL
endpoint, then checks the broker still serves.

Prints a JSON object: "router" maps each case to the ERR code it got (or the
reply it got instead), "after" says whether a valid PUB was still acknowledged
on DEALER and REQ, and "stored" lists the values a queue consumer then reads
from TOPIC (only valid records may be there).
"""
import argparse
import json

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("router")
parser.add_argument("puller")
parser.add_argument("topic")
args = parser.parse_args()

context = zmq.Context()
topic = args.topic.encode()
big = b"x" * 4096


def socket(kind, endpoint):
    s = context.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.connect(endpoint)
    return s


dealer = socket(zmq.DEALER, args.router)
cases = {
    "bad_version": [b"J2", b"PING"],
    "no_command": [b"J1"],
    "unknown_command": [b"J1", b"FETCH", topic],
    "pub_too_few_frames": [b"J1", b"PUB", topic, b"key"],
    "pub_odd_header": [b"J1", b"PUB", topic, b"", b"v", b"lonely-name"],
    "sub_credit_not_decimal": [b"J1", b"SUB", topic, b"g", b"ten", b"earliest"],
    "sub_bad_start": [b"J1", b"SUB", topic, b"g", b"10", b"yesterday"],
    "ack_offset_not_decimal": [b"J1", b"ACK", topic, b"0", b"0x10"],
    "ack_not_subscribed": [b"J1", b"ACK", topic, b"0", b"0"],
    "oversized": [b"J1", b"PUB", topic, b"", big],
    "bad_topic_name": [b"J1", b"PUB", b"no/slashes", b"", b"v"],
}
router = {}
for name, frames in cases.items():
    dealer.send_multipart(frames)
    try:
        reply = dealer.recv_multipart()
    except zmq.Again:
        router[name] = "no answer"
        continue
    router[name] = reply[2].decode() if reply[:2] == [b"J1", b"ERR"] else repr(reply)

req = socket(zmq.REQ, args.router)
req.send_multipart([b"J2"])
reply = req.recv_multipart()
router["req_bad_version"] = reply[2].decode() if reply[1] == b"ERR" else repr(reply)

pusher = socket(zmq.PUSH, args.puller)
for frames in ([b"J2", b"PUB", topic, b"", b"bad-version"], [b"J1", b"PUB", topic],
               [b"J1", b"PING"], [b"J1", b"PUB", topic, b"", big],
               [b"J1", b"PUB", topic, b"", b"nope", b"odd"]):
    pusher.send_multipart(frames)
pusher.send_multipart([b"J1", b"PUB", topic, b"", b"pushed"])

after = {}
dealer.send_multipart([b"J1", b"PUB", topic, b"", b"dealer"])
after["dealer"] = dealer.recv_multipart()[1].decode()
req.send_multipart([b"J1", b"PUB", topic, b"", b"req"])
after["req"] = req.recv_multipart()[1].decode()

consumer = socket(zmq.DEALER, args.router)
consumer.setsockopt(zmq.RCVTIMEO, 3000)
consumer.send_multipart([b"J1", b"SUB", topic, b"check", b"100", b"earliest"])
stored = []
try:
    while True:
        message = consumer.recv_multipart()
        if message[1] == b"MSG":
            stored.append(message[7].decode())
            consumer.send_multipart([b"J1", b"ACK", topic, message[3], message[4]])
            if len(stored) == 3:
                break
except zmq.Again:
    pass
print(json.dumps({"router": router, "after": after, "stored": sorted(stored)}), flush=True)
