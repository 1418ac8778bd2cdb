"""nack.py URL TOPIC: a nacked record comes back with attempt 2."""
import asyncio
import sys

from wsclient import connect, receive_op, report, send


async def main(url, topic):
    async with connect(url) as ws:
        await send(ws, op="publish", topic=topic, value="retry me")
        await receive_op(ws, "ack")
        await send(ws, op="subscribe", topic=topic, mode="queue", group="g", credit=1)
        await receive_op(ws, "subscribed")
        first = await receive_op(ws, "record")
        await send(ws, op="nack", topic=topic, group="g", partition=0, offset=first["offset"])
        again = await receive_op(ws, "record")
        await send(ws, op="ack", topic=topic, group="g", partition=0, offset=again["offset"])
    report(attempts=[first["attempt"], again["attempt"]], same=first["offset"] == again["offset"])


asyncio.run(main(sys.argv[1], sys.argv[2]))
