"""ZeroMQ clients spread over a cluster: a DEALER producer on broker A, a queue
group with one DEALER member on broker B and one on broker C, and a SUB on
broker C's XPUB.

usage: cluster_zmq.py ROUTER_A ROUTER_B ROUTER_C PUBLISHER_C TOPIC COUNT

Produces COUNT keyed records "v<i>" once the members joined and the SUB is
known to be subscribed, then reads until every record was acked once in the
group and published once to the SUB, or 30 s pass. Prints one JSON line:
produced (acknowledged produces), acked (deliveries acked in the group),
distinct, max_copies, taken_b, taken_c, broadcast (distinct records the SUB
got), errors.
"""
import json
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../transports/zeromq/clients"))
from subscription_probe import wait_until_subscribed  # noqa: E402

router_a, router_b, router_c, publisher_c, topic_name, count = sys.argv[1:7]
count = int(count)
topic = topic_name.encode()
context = zmq.Context()


def dealer(endpoint):
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    return socket


def join(member):
    member.send_multipart([b"J1", b"SUB", topic, b"workers", b"50", b"earliest"])
    if not member.poll(10000):
        sys.exit("no answer to SUB")
    answer = member.recv_multipart()
    if answer[:2] != [b"J1", b"OK"]:
        sys.exit("SUB refused: %r" % answer)


members = {"b": dealer(router_b), "c": dealer(router_c)}
for member in members.values():
    join(member)

probe = topic + b"-probe"
subscriber = context.socket(zmq.SUB)
subscriber.setsockopt(zmq.LINGER, 0)
subscriber.connect(publisher_c)
subscriber.subscribe(topic)
subscriber.subscribe(probe)
wait_until_subscribed(subscriber, dealer(router_c), probe, 15)

producer = dealer(router_a)
for i in range(count):
    producer.send_multipart([b"J1", b"PUB", topic, b"k%d" % i, b"v%d" % i])

poller = zmq.Poller()
for socket in (producer, subscriber, *members.values()):
    poller.register(socket, zmq.POLLIN)
produced = 0
errors = []
copies = {}
taken = {name: 0 for name in members}
broadcast = set()
last_ping = time.monotonic()
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    if produced + len(errors) == count and len(copies) == count and len(broadcast) == count:
        break
    ready = dict(poller.poll(100))
    if producer in ready:
        reply = producer.recv_multipart()
        if reply[:2] == [b"J1", b"ACK"]:
            produced += 1
        else:
            errors.append([frame.decode(errors="replace") for frame in reply])
    if subscriber in ready:
        frames = subscriber.recv_multipart()
        if frames[0] == topic:
            broadcast.add(frames[5].decode())
    for name, member in members.items():
        if member not in ready:
            continue
        message = member.recv_multipart()
        if message[:2] != [b"J1", b"MSG"]:
            continue
        member.send_multipart([b"J1", b"ACK", topic, message[3], message[4]])
        value = message[7].decode()
        copies[value] = copies.get(value, 0) + 1
        taken[name] += 1
    # Members that have nothing to ack still show they are alive.
    if time.monotonic() - last_ping > 0.2:
        for member in members.values():
            member.send_multipart([b"J1", b"PING"])
        last_ping = time.monotonic()

print(json.dumps({"produced": produced, "acked": sum(copies.values()), "distinct": len(copies),
                  "max_copies": max(copies.values(), default=0), "taken_b": taken["b"],
                  "taken_c": taken["c"], "broadcast": len(broadcast), "errors": errors[:3]}))
