"""binary.py URL TOPIC: publishes bytes that are not UTF-8 (as base64) next to a
text record; reports how a subscriber receives both."""
import asyncio
import sys

from wsclient import connect, receive_op, report, send


async def main(url, topic):
    async with connect(url) as ws:
        await send(ws, op="publish", topic=topic, key="aw==", value="AP8=",
                   headers={"aA==": "/w=="}, encoding="base64")
        await receive_op(ws, "ack")
        await send(ws, op="publish", topic=topic, key="k", value="caf\u00e9")
        await receive_op(ws, "ack")
        await send(ws, op="subscribe", topic=topic, **{"from": "earliest"})
        await receive_op(ws, "subscribed")
        binary = await receive_op(ws, "record")
        text = await receive_op(ws, "record")
    fields = ("key", "value", "headers", "encoding")
    report(binary={name: binary.get(name) for name in fields},
           text={name: text.get(name) for name in fields})


asyncio.run(main(sys.argv[1], sys.argv[2]))
