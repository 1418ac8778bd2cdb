"""Shared helpers for the WebSocket test clients: short timeouts everywhere."""
import asyncio
import json

import websockets

TIMEOUT = 10


def connect(url, **kwargs):
    return websockets.connect(url, open_timeout=TIMEOUT, close_timeout=2, max_size=None, **kwargs)


async def send(ws, **message):
    await ws.send(json.dumps(message))


async def receive(ws, timeout=TIMEOUT):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_op(ws, op, timeout=TIMEOUT):
    """The next message with this op; anything else first is an error."""
    message = await receive(ws, timeout)
    if message.get("op") != op:
        raise AssertionError(f"expected {op}, got {message}")
    return message


async def publish_all(ws, topic, count, prefix="m"):
    """Publishes count records while reading the acks concurrently."""
    acks = []

    async def read_acks():
        while len(acks) < count:
            acks.append(await receive_op(ws, "ack"))

    reader = asyncio.create_task(read_acks())
    for i in range(count):
        await send(ws, op="publish", id=i, topic=topic, key=f"k{i}", value=f"{prefix}{i}")
    await asyncio.wait_for(reader, 60)
    return acks


def report(**fields):
    print(json.dumps(fields), flush=True)
