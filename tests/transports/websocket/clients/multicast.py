"""multicast.py URL TOPIC COUNT: two multicast groups each get every record once."""
import asyncio
import sys

from wsclient import connect, publish_all, receive_op, report, send


async def drain(ws, topic, group, count):
    values = set()
    while len(values) < count:
        record = await receive_op(ws, "record")
        values.add(record["value"])
        await send(ws, op="ack", topic=topic, group=group, partition=record["partition"],
                   offset=record["offset"])
    return len(values)


async def main(url, topic, count):
    async with connect(url) as producer, connect(url) as audit, connect(url) as billing:
        await publish_all(producer, topic, count)
        for ws, group in ((audit, "audit"), (billing, "billing")):
            await send(ws, op="subscribe", topic=topic, mode="multicast", group=group)
            await receive_op(ws, "subscribed")
        got = await asyncio.wait_for(
            asyncio.gather(drain(audit, topic, "audit", count),
                           drain(billing, topic, "billing", count)), 60)
    report(received=list(got))


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
