"""queue_share.py URL TOPIC COUNT: three queue consumers share COUNT records.

The first takes a few records, never acks them and disconnects while the other
two work; its records must be redelivered to them. Reports how often each
value was acked."""
import asyncio
import collections
import sys

from wsclient import connect, publish_all, receive_op, report, send

GROUP = "workers"


async def subscribe(ws, topic, credit):
    await send(ws, op="subscribe", topic=topic, mode="queue", group=GROUP, credit=credit,
               **{"from": "earliest"})
    await receive_op(ws, "subscribed")


async def main(url, topic, count):
    acked = collections.Counter()
    redelivered = 0

    async def work(ws):
        nonlocal redelivered
        while sum(acked.values()) < count:
            try:
                record = await receive_op(ws, "record", timeout=1)
            except asyncio.TimeoutError:
                continue
            if record["attempt"] > 1:
                redelivered += 1
            acked[record["value"]] += 1
            await send(ws, op="ack", topic=topic, group=GROUP, partition=record["partition"],
                       offset=record["offset"])

    async with connect(url) as producer:
        await publish_all(producer, topic, count)
    async with connect(url) as quitter, connect(url) as first, connect(url) as second:
        await subscribe(quitter, topic, 5)
        held = [await receive_op(quitter, "record") for _ in range(5)]
        await subscribe(first, topic, 20)
        await subscribe(second, topic, 20)
        workers = asyncio.gather(work(first), work(second))
        await quitter.close()
        await asyncio.wait_for(workers, 60)
    held_values = {record["value"] for record in held}
    report(distinct=len(acked), max_copies=max(acked.values()), total=sum(acked.values()),
           held_acked_once=all(acked[value] == 1 for value in held_values),
           redelivered=redelivered)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
