"""consume.py URL TOPIC COUNT: a broadcast subscriber from the earliest record;
prints key, value and headers of COUNT records, one JSON line each."""
import asyncio
import json
import sys

from wsclient import connect, receive_op, send


async def main(url, topic, count):
    async with connect(url) as ws:
        await send(ws, op="subscribe", topic=topic, mode="broadcast", **{"from": "earliest"})
        await receive_op(ws, "subscribed")
        for _ in range(count):
            record = await receive_op(ws, "record")
            print(json.dumps({"key": record["key"], "value": record["value"],
                              "headers": record["headers"]}), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
