"""cluster_ws_queue.py PUBLISH_URL URL_A URL_B TOPIC COUNT

Publishes COUNT records through one broker's WebSocket; two queue consumers of
one group, connected to two other brokers, ack what they get until every
record was acked once. Reports, as JSON, the distinct values acked, the most
copies of one value, and how many each consumer took."""
import asyncio
import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "transports",
                                "websocket", "clients"))
from wsclient import connect, publish_all, receive_op, report, send  # noqa: E402

GROUP = "mailers"


async def main(publish_url, url_a, url_b, topic, count):
    acked = collections.Counter()
    taken = collections.Counter()

    async def consume(name, ws):
        await send(ws, op="subscribe", topic=topic, mode="queue", group=GROUP, credit=50,
                   **{"from": "earliest"})
        await receive_op(ws, "subscribed")
        while sum(acked.values()) < count:
            try:
                record = await receive_op(ws, "record", timeout=1)
            except asyncio.TimeoutError:
                continue
            acked[record["value"]] += 1
            taken[name] += 1
            await send(ws, op="ack", topic=topic, group=GROUP, partition=record["partition"],
                       offset=record["offset"])

    async with connect(publish_url) as producer:
        acks = await publish_all(producer, topic, count)
    async with connect(url_a) as first, connect(url_b) as second:
        await asyncio.wait_for(asyncio.gather(consume("a", first), consume("b", second)), 60)
    report(acks=len(acks), distinct=len(acked), max_copies=max(acked.values()),
           taken_a=taken["a"], taken_b=taken["b"])


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
