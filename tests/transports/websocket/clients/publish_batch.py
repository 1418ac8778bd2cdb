"""publish_batch.py URL: publishes sent back to back, some of them bad, are
answered in the order they were sent: each good one with an ack at the next
offset, each bad one with its own error."""
import asyncio
import json
import sys

from wsclient import connect, receive, report

COUNT = 600


def request(i):
    if i == 100:
        return "{oops", None
    if i % 50 == 7:
        return json.dumps({"op": "publish", "id": i, "topic": "batched", "partition": 99,
                           "value": f"bad{i}"}), "unknown_partition"
    return json.dumps({"op": "publish", "id": i, "topic": "batched", "partition": 0,
                       "value": f"v{i}"}), "ack"


async def main(url):
    problems = []
    async with connect(url) as ws:
        expected = []
        for i in range(COUNT):
            text, outcome = request(i)
            await ws.send(text)
            expected.append((i, outcome))
        next_offset = None
        for i, outcome in expected:
            answer = await receive(ws)
            if outcome is None:
                if answer.get("op") != "error" or answer.get("code") != "bad_json" or "id" in answer:
                    problems.append({"sent": i, "got": answer})
                continue
            if answer.get("id") != i:
                problems.append({"sent": i, "got": answer})
                continue
            if outcome == "ack":
                if answer.get("op") != "ack" or answer.get("partition") != 0:
                    problems.append({"sent": i, "got": answer})
                elif next_offset is not None and answer["offset"] != next_offset:
                    problems.append({"sent": i, "got": answer, "expected_offset": next_offset})
                else:
                    next_offset = answer["offset"] + 1
            elif answer.get("op") != "error" or answer.get("code") != outcome:
                problems.append({"sent": i, "got": answer})
    report(in_order=not problems, problems=problems[:5])


asyncio.run(main(sys.argv[1]))
