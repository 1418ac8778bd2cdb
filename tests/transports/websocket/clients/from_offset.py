"""from_offset.py URL TOPIC: publishes 10 records, subscribes from offset 7."""
import asyncio
import sys

from wsclient import connect, publish_all, receive_op, report, send


async def main(url, topic):
    async with connect(url) as ws:
        await publish_all(ws, topic, 10)
        await send(ws, op="subscribe", id="s", topic=topic, mode="broadcast", **{"from": {"offset": 7}})
        subscribed = await receive_op(ws, "subscribed")
        records = [await receive_op(ws, "record") for _ in range(3)]
    report(subscribed_id=subscribed["id"], offsets=[r["offset"] for r in records],
           values=[r["value"] for r in records])


asyncio.run(main(sys.argv[1], sys.argv[2]))
