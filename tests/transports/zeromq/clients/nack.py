"""Consumes TOPIC (two or more records, one partition) in group GROUP with a
credit of 1: NACKs the first MSG, expects it again, ACKs it, then expects the
next offset. Prints the offsets seen as JSON: {"offsets": [...]}.
"""
import argparse
import json

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("router")
parser.add_argument("topic")
parser.add_argument("group")
args = parser.parse_args()

dealer = zmq.Context().socket(zmq.DEALER)
dealer.setsockopt(zmq.LINGER, 0)
dealer.setsockopt(zmq.RCVTIMEO, 5000)
dealer.connect(args.router)
topic = args.topic.encode()
dealer.send_multipart([b"J1", b"SUB", topic, args.group.encode(), b"1", b"earliest"])
assert dealer.recv_multipart()[:2] == [b"J1", b"OK"]


def next_message():
    frames = dealer.recv_multipart()
    assert frames[1] == b"MSG", frames
    return frames[3], frames[4]


offsets = []
partition, offset = next_message()
offsets.append(int(offset))
dealer.send_multipart([b"J1", b"NACK", topic, partition, offset])
partition, offset = next_message()
offsets.append(int(offset))
dealer.send_multipart([b"J1", b"ACK", topic, partition, offset])
partition, offset = next_message()
offsets.append(int(offset))
print(json.dumps({"offsets": offsets}), flush=True)
