"""publish_record.py URL TOPIC KEY VALUE NAME=VALUE...: one record with headers."""
import asyncio
import sys

from wsclient import connect, receive_op, report, send


async def main(url, topic, key, value, headers):
    async with connect(url) as ws:
        await send(ws, op="publish", id=1, topic=topic, key=key, value=value, headers=headers)
        ack = await receive_op(ws, "ack")
    report(offset=ack["offset"])


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4],
                 dict(pair.split("=", 1) for pair in sys.argv[5:])))
