"""large_records.py URL TOPIC COUNT SIZE: records larger than the broker's write
buffer (512 KiB, even compressed) reach a broadcast subscriber whole and in
order, over permessage-deflate."""
import asyncio
import random
import string
import sys

from wsclient import connect, receive_op, report, send


async def collect(ws, count):
    values = []
    while len(values) < count:
        values.append((await receive_op(ws, "record", timeout=30))["value"])
    return values


async def main(url, topic, count, size):
    # Random letters and digits: deflate saves only about a quarter of them.
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    values = ["".join(rng.choices(alphabet, k=size)) for _ in range(count)]
    async with connect(url) as subscriber, connect(url) as producer:
        await send(subscriber, op="subscribe", topic=topic, mode="broadcast", credit=10)
        await receive_op(subscriber, "subscribed")
        reader = asyncio.create_task(collect(subscriber, count))
        for i, value in enumerate(values):
            await send(producer, op="publish", id=i, topic=topic, value=value)
            await receive_op(producer, "ack", timeout=30)
        got = await asyncio.wait_for(reader, 60)
        deflate = all(any("permessage-deflate" in extension.name for extension in ws.extensions)
                      for ws in (subscriber, producer))
    report(received=len(got), whole_and_in_order=got == values, deflate=deflate)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
