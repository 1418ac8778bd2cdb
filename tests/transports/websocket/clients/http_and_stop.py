"""http_and_stop.py PORT: the console's HTTP side on the WebSocket port, then
waits (holding an open WebSocket) for the broker to stop and reports the close
code it sent. Prints "ready" once the WebSocket is open."""
import asyncio
import http.client
import json
import sys

import websockets

from wsclient import connect, receive, receive_op, report, send


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), body


async def main(port):
    async with connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await send(ws, op="publish", id=1, topic="listed", value="x")
        await receive_op(ws, "ack")
        topics_status, topics_type, topics_body = get(port, "/api/topics")
        index_status, index_type, _ = get(port, "/")
        report(topics_status=topics_status, topics_type=topics_type,
               topics=json.loads(topics_body), index_status=index_status, index_type=index_type,
               traversal_status=get(port, "/../ws_test_broker.cpp")[0],
               encoded_traversal_status=get(port, "/%2e%2e/secret")[0],
               missing_status=get(port, "/missing.js")[0])
        print("ready", flush=True)
        try:
            await receive(ws, timeout=30)
            close_code = None
        except websockets.ConnectionClosed as closed:
            close_code = closed.code
        report(close_code=close_code)


asyncio.run(main(int(sys.argv[1])))
