"""broadcast.py URL TOPIC COUNT: two broadcast subscribers both get every record in order."""
import asyncio
import sys

from wsclient import connect, publish_all, receive_op, report, send


async def collect(ws, count):
    values = []
    while len(values) < count:
        values.append((await receive_op(ws, "record"))["value"])
    return values


async def main(url, topic, count):
    async with connect(url) as first, connect(url) as second, connect(url) as producer:
        for ws in (first, second):
            await send(ws, op="subscribe", topic=topic, mode="broadcast", credit=50)
            await receive_op(ws, "subscribed")
        readers = [asyncio.create_task(collect(ws, count)) for ws in (first, second)]
        await publish_all(producer, topic, count)
        got = await asyncio.wait_for(asyncio.gather(*readers), 60)
    expected = [f"m{i}" for i in range(count)]
    report(received=[len(values) for values in got], in_order=[values == expected for values in got])


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
