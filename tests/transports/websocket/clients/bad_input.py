"""bad_input.py URL MAX_BYTES: every bad request gets an error and the
connection stays usable; an oversized message closes with 1009; a second
client is served throughout."""
import asyncio
import json
import sys

import websockets

from wsclient import connect, receive, receive_op, report, send

BAD_REQUESTS = [
    ("{not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    (json.dumps({"op": "fly", "id": 1}), "unknown_op"),
    (json.dumps({"id": 2}), "bad_request"),
    (json.dumps({"op": "publish", "id": 3, "topic": 5, "value": "x"}), "bad_request"),
    (json.dumps({"op": "publish", "id": 4, "topic": "t"}), "bad_request"),
    (json.dumps({"op": "publish", "id": 5, "topic": "t", "value": "x", "headers": [1]}),
     "bad_request"),
    (json.dumps({"op": "publish", "id": 6, "topic": "t", "value": "!", "encoding": "base64"}),
     "bad_request"),
    (json.dumps({"op": "publish", "id": 7, "topic": "bad/name", "value": "x"}), "bad_request"),
    (json.dumps({"op": "publish", "id": 8, "topic": "t", "value": "x", "partition": 99}),
     "unknown_partition"),
    (json.dumps({"op": "subscribe", "id": 9, "topic": "t", "mode": "queue"}), "bad_request"),
    (json.dumps({"op": "subscribe", "id": 10, "topic": "t", "mode": "sideways"}), "bad_request"),
    (json.dumps({"op": "subscribe", "id": 11, "topic": "t", "from": {"offset": "x"}}),
     "bad_request"),
    (json.dumps({"op": "ack", "id": 12, "topic": "t", "group": "g", "partition": 0, "offset": 0}),
     "not_subscribed"),
    (json.dumps({"op": "unsubscribe", "id": 13, "topic": "t"}), "not_subscribed"),
]


async def main(url, max_bytes):
    codes = []
    async with connect(url) as bystander, connect(url) as ws:
        for text, _ in BAD_REQUESTS:
            await ws.send(text)
            codes.append((await receive_op(ws, "error"))["code"])
        await send(ws, op="publish", id="ok", topic="t", value="still here")
        still_open = (await receive_op(ws, "ack"))["id"] == "ok"
        await ws.send(json.dumps({"op": "publish", "topic": "t", "value": "x" * (max_bytes + 1)}))
        try:
            await receive(ws)
            close_code = None
        except websockets.ConnectionClosed as closed:
            close_code = closed.code
        await send(bystander, op="publish", id="b", topic="t", value="after")
        bystander_ok = (await receive_op(bystander, "ack"))["id"] == "b"
    report(codes_match=codes == [code for _, code in BAD_REQUESTS], codes=codes,
           still_open=still_open, close_code=close_code, bystander_ok=bystander_ok)


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
