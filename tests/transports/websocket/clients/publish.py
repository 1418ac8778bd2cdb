"""publish.py URL TOPIC COUNT: publishes COUNT records, reports acks received."""
import asyncio
import sys

from wsclient import connect, publish_all, report


async def main(url, topic, count):
    async with connect(url) as ws:
        acks = await publish_all(ws, topic, count)
    ids = sorted(ack["id"] for ack in acks)
    offsets = sorted(ack["offset"] for ack in acks)
    report(acks=len(acks), ids_match=ids == list(range(count)),
           offsets_distinct=len(set(offsets)) == count)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
